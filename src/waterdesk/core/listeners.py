"""Named listener lists: how an app lets apps above it react to its events without
knowing them (a payment posted, bills issued). A list is keyed by each listener's
qualified name, so registering twice (a second ``ready()``) adds nothing; listeners are
called in registration order."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)

Listener = Callable[..., Any]


class Listeners:
    """One event's listeners: ``register`` from an app's ``ready()``, ``notify(**event)``
    where the event happens."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._listeners: dict[str, Listener] = {}

    def register(self, listener: Listener) -> Listener:
        self._listeners[f"{listener.__module__}.{listener.__qualname__}"] = listener
        return listener

    def notify(self, **event) -> None:
        for listener in list(self._listeners.values()):
            listener(**event)

    def notify_each(self, **event) -> None:
        """Call each listener in its own transaction, after the event's own commit: one
        that fails is rolled back and logged, and the others still run."""
        for name, listener in list(self._listeners.items()):
            try:
                with transaction.atomic():
                    listener(**event)
            except Exception:  # the boundary of an independent follow-up
                logger.exception("%s: follow-up %s failed", self.name, name)

    def __len__(self) -> int:
        return len(self._listeners)
