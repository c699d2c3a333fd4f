"""Named listener lists: how an app lets apps above it react to its events without
knowing them (a payment posted, bills issued). A list is keyed by each listener's
qualified name, so registering twice (a second ``ready()``) adds nothing; listeners are
called in registration order."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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

    def __iter__(self):
        return iter(list(self._listeners.values()))

    def __len__(self) -> int:
        return len(self._listeners)
