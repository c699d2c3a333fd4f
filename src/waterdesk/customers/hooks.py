"""What apps above the platform do when an account changes, without customers knowing them.

- ``account_closed``: ``(account=, actor=)``, called by ``services.account_close`` inside
  its transaction after the account is marked closed (a remaining prepaid balance becomes
  a refund request). What it raises refuses the closing.
"""

from __future__ import annotations

from waterdesk.core.listeners import Listeners

account_closed = Listeners("account_closed")
