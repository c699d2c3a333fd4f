"""What the benchmarks share: their scratch databases and loading rows with ``COPY``."""

from __future__ import annotations


def drop_databases(maintenance_url: str, *names: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        for name in names:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def create_database(maintenance_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(maintenance_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")


def copy_rows(cursor, table: str, columns: str, text: str) -> None:
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        copy.write(text)


def fast_load(cursor) -> None:
    """Skip the foreign-key triggers while loading data that is consistent by construction
    (needs a superuser; otherwise the load is just slower)."""
    cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    if cursor.fetchone()[0]:
        cursor.execute("SET LOCAL session_replication_role = replica")
