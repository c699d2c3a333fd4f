"""What other apps hear of incidents, without emergency knowing them (apps above or beside
it register from their ``ready()``): the repairs linked to an incident are completed when
its supply is restored, for example.

``incident_restored_listener_register(listener)``: ``listener(incident=, actor=, at=)`` is
called inside the restoration's transaction, after it is recorded; what it raises refuses
the restoration."""

from __future__ import annotations

from collections.abc import Callable

IncidentListener = Callable[..., None]
_RESTORED: dict[str, IncidentListener] = {}


def incident_restored_listener_register(listener: IncidentListener) -> IncidentListener:
    _RESTORED[f"{listener.__module__}.{listener.__qualname__}"] = listener
    return listener


def incident_restored(*, incident, actor, at) -> None:
    """Called by the restoration service."""
    for listener in list(_RESTORED.values()):
        listener(incident=incident, actor=actor, at=at)
