"""What happens when a sample's results come to count: listeners called by the results
service inside the transaction that confirms the sample (the anomaly response registers
one: a failing sample opens an anomaly, a follow-up sample counts towards its closure).
What a listener writes commits or rolls back with the confirmation."""

from __future__ import annotations

from collections.abc import Callable

SampleListener = Callable[..., None]  # (sample=, actor=) -> None

_CONFIRMED: list[SampleListener] = []


def sample_confirmed_listener_register(listener: SampleListener) -> SampleListener:
    if listener not in _CONFIRMED:
        _CONFIRMED.append(listener)
    return listener


def sample_confirmed_notify(*, sample, actor) -> None:
    """Called once per sample, when its verdict counts: a passing sample when the analyst
    confirms it, a failing one when the second analyst does."""
    for listener in list(_CONFIRMED):
        listener(sample=sample, actor=actor)
