"""Signals of billing, for the apps that act on what happens to an account's money."""

from django.dispatch import Signal

# Sent after the commit of a transaction that recorded a payment on an account's ledger (a
# repeat of a payment already recorded sends it again: receivers must be idempotent).
# Arguments: ``account_id``, ``entry_id`` (the ledger entry).
payment_posted = Signal()
