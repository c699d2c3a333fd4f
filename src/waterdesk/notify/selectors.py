"""Reads of the notification queue. The queue is read by its admin and tasks only; no
selector is needed yet."""
