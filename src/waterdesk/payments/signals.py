"""Signals of payments."""

from django.dispatch import Signal

# Sent after the commit of the transaction that recorded a new payment (not for a repeat).
# Arguments: ``payment_id``.
payment_received = Signal()
