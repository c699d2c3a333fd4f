"""One run of a batch job at a time, across processes and machines.

PostgreSQL: an advisory lock named after the job (``hashtext(name)``), waited for:

- ``job_lock_for_transaction``: a job done in one transaction holds it until that
  transaction ends (the arrears classification);
- ``job_lock``: a job worked in several transactions (batches committed one by one) holds it
  for the ``with`` block; it is released at the block's end, or with the connection if the
  process dies.

SQLite (the embedded mode) has no advisory locks and needs none for correctness: its
transactions begin IMMEDIATE (one writer at a time), so a batch reads and writes as one
step; a job worked in batches must therefore keep each batch correct on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection


def job_lock_for_transaction(name: str) -> None:
    """Wait for the lock of job ``name``, held until the current transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [name])


@contextmanager
def job_lock(name: str) -> Iterator[None]:
    """Wait for the lock of job ``name`` and hold it for the block, whatever transactions
    the block commits."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext(%s))", [name])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext(%s))", [name])
