"""A remote valve instead of a crew (issue 15 §4).

An app that can turn a meter's valve from afar (``amr``: remote-read meters whose head-end
sends valve commands) registers one ``RemoteValve`` from its ``ready()``. Collection knows no
such app by name: where the ladder would send a crew to cut or restore supply it asks
``remote_valve_for(account)``, and when the account's meter has a remote valve it has the
provider close or open it instead — with the same approvals (a disconnection order asked
for, then approved by a second person, a collection supervisor; restoring supply after
payment needs none, as for a crew).

The provider reports back through ``disconnection_remote_done`` / ``disconnection_remote_failed``
and ``reconnection_remote_done`` / ``reconnection_remote_failed``
(``collection.services.disconnection``): done is the crew's finish (supply suspended or
restored, the case moved), failed sends a crew after all.

- ``supports(account) -> bool``: whether the account's meter has a valve the provider can
  turn now (an active remote meter with a valve);
- ``close(case=, account=, requested_by=, approved_by=, crew=, note=, at=) -> str``: the
  approved close command made, inside the approval's transaction (sent after commit); returns
  its reference for the case's timeline;
- ``open(case=, account=, approved_by=, reason=, at=) -> str``: likewise, to restore supply;
- ``withdraw(case=, reason=, at=)``: a pending close command of ``case`` withdrawn (a
  payment, an exemption, a plan cancelled the order before the head-end confirmed it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class RemoteValve:
    name: str
    supports: Callable[..., bool]
    close: Callable[..., str]
    open: Callable[..., str]
    withdraw: Callable[..., None]


_PROVIDERS: dict[str, RemoteValve] = {}


def remote_valve_register(provider: RemoteValve) -> RemoteValve:
    known = _PROVIDERS.get(provider.name)
    if known is not None and known is not provider:
        raise ImproperlyConfigured(f"remote valve {provider.name!r} is registered twice")
    _PROVIDERS[provider.name] = provider
    return provider


def remote_valve_for(account) -> RemoteValve | None:
    """The provider that can turn ``account``'s valve now, or None (a crew goes)."""
    for provider in _PROVIDERS.values():
        if provider.supports(account):
            return provider
    return None
