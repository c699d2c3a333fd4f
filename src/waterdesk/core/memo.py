"""Settings rows read once per request: the working calendar, a kind's policy row, the
notification templates of a key.

A hotline report reads the calendar for each clock it starts and again for the answer,
and the repair policy in the duplicate check and again for the new repair. Inside
``request_memo()`` (``RequestMemoMiddleware`` opens one around every request) the first
``memo_get`` of a key loads it and the others reuse it; outside one (tasks, commands,
services called from tests) every call loads afresh, as before.

A memo must never outlive a change of what it holds: the app that owns a memoised table
connects ``memo_forget_on_change`` to its model, and a save or delete of any of its rows in
this request forgets the key.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from django.db.models.signals import post_delete, post_save

T = TypeVar("T")

_memo: ContextVar[dict | None] = ContextVar("waterdesk_request_memo", default=None)


@contextmanager
def request_memo() -> Iterator[None]:
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memo_get(key: str, load: Callable[[], T]) -> T:
    """``load()``, once per request for ``key``."""
    memo = _memo.get()
    if memo is None:
        return load()
    if key not in memo:
        memo[key] = load()
    return memo[key]


def memo_forget(prefix: str) -> None:
    """Forget every key starting with ``prefix`` in the current request."""
    memo = _memo.get()
    if memo:
        for key in [key for key in memo if key.startswith(prefix)]:
            del memo[key]


def memo_forget_on_change(model, prefix: str) -> None:
    """A save or delete of a ``model`` row forgets the keys under ``prefix`` (call from
    the owning app's ``ready``)."""

    def forget(**_kwargs) -> None:
        memo_forget(prefix)

    uid = f"memo:{model._meta.label}:{prefix}"
    post_save.connect(forget, sender=model, weak=False, dispatch_uid=uid + ":save")
    post_delete.connect(forget, sender=model, weak=False, dispatch_uid=uid + ":delete")


class RequestMemoMiddleware:
    """Opens a request memo around the rest of the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_memo():
            return self.get_response(request)
