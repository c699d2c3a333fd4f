"""What other apps do when a payment is posted or cancelled (an e-invoice issued, then
reversed), without the payments app knowing them.

- ``payment_posted``: ``(payment=)``, called once per new payment after its commit, by the
  payment follow-ups task (``services.notices.payment_followups``), each listener in its
  own transaction: a listener that fails is logged and does not stop the others.
- ``payment_cancelled``: ``(payment=, correction=, actor=)``, called inside the transaction
  that approves a void or a reversal, after the ledger entries are reversed: what a
  listener writes commits or rolls back with the approval, and what it raises refuses it.
"""

from waterdesk.core.listeners import Listeners

payment_posted = Listeners("payment_posted")
payment_cancelled = Listeners("payment_cancelled")
