"""The public outage pages are cached (a crowd reads them during an incident): every
service that changes what they show calls ``public_pages_changed()`` in its transaction,
and after the commit the pages' cache version moves on, so the next reader sees the change
and the old entries expire on their own."""

from __future__ import annotations

from django.core.cache import cache
from django.db import transaction

VERSION_KEY = "emergency:public:version"
# Entries live this long even without a change (the restoration estimate shown "x hours
# ago" stays honest).
PUBLIC_CACHE_SECONDS = 60


def public_cache_version() -> int:
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, 1, None)
        version = cache.get(VERSION_KEY) or 1
    return int(version)


def _bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # not set yet (or evicted)
        cache.set(VERSION_KEY, 2, None)


def public_pages_changed() -> None:
    """After the caller's commit, make the public pages read afresh."""
    transaction.on_commit(_bump, robust=True)
