# Indexes for customer search (waterdesk.customers.search), PostgreSQL only: every key is
# answered by its own index instead of one OR that reads the whole table. SQLite (the demo)
# filters with LIKE and gets nothing here.

from django.db import migrations

# Keys of a text for GIN indexes, all from lower(text): waterdesk_bigrams gives the
# overlapping two-character pieces (a two-character Chinese fragment holds no trigram, so
# pg_trgm cannot serve it, and pg_bigm is not packaged in Debian), waterdesk_grams adds the
# single characters (names, searched from the first keystroke), waterdesk_address_keys adds
# '#<digits>' for each number of 2+ digits (a number alone matches whole numbers). IMMUTABLE,
# so that they can be indexed and are folded to a constant for the search's fragment. Each
# uses built-ins only: a restore (pg_dump) rebuilds the indexes with an empty search_path.
# lower(value)'s overlapping two-character pieces, and the numbers of 2+ digits as '#<digits>'.
BIGRAMS = """ARRAY(
            SELECT substr(lowered, position, 2)
            FROM (SELECT lower(value) AS lowered) AS v,
                 generate_series(1, char_length(lowered) - 1) AS position
        )"""
NUMBERS = """ARRAY(
            SELECT '#' || number[1] FROM regexp_matches(value, '[0-9]{2,}', 'g') AS number
        )"""
FUNCTIONS_SQL = f"""
CREATE OR REPLACE FUNCTION waterdesk_bigrams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT {BIGRAMS} $$;
CREATE OR REPLACE FUNCTION waterdesk_grams(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$
        SELECT ARRAY(
            SELECT substr(lowered, position, width)
            FROM (SELECT lower(value) AS lowered) AS v,
                 generate_series(1, char_length(lowered)) AS position,
                 (VALUES (1), (2)) AS widths (width)
            WHERE position + width - 1 <= char_length(lowered)
        )
    $$;
CREATE OR REPLACE FUNCTION waterdesk_address_keys(value text) RETURNS text[]
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    AS $$ SELECT {BIGRAMS} || {NUMBERS} $$;
"""
FUNCTIONS = ("waterdesk_bigrams", "waterdesk_grams", "waterdesk_address_keys")

# GIN with fastupdate off: a new customer goes straight into the index instead of a pending
# list that every search would read; customers are registered one at a time, so the slower
# insert does not matter. The "C" btrees hold the values in code-point order whatever the
# database's collation: a name prefix is a range of them, and the search reads the first
# entries in order (index-only, hence INCLUDE (id)). CONCURRENTLY: a live database keeps
# taking writes meanwhile.
INDEXES = {
    "customer_name_ordered": 'customers_customer (name COLLATE "C") INCLUDE (id)',
    "customer_name_grams": (
        "customers_customer USING gin (waterdesk_grams(name)) WITH (fastupdate = off)"
    ),
    "customer_contact_address_ordered": (
        'customers_customer (contact_address COLLATE "C") INCLUDE (id)'
    ),
    "customer_contact_address_keys": (
        "customers_customer USING gin (waterdesk_address_keys(contact_address)) "
        "WITH (fastupdate = off)"
    ),
    "premise_address_ordered": 'customers_premise (address COLLATE "C") INCLUDE (id)',
    "premise_address_keys": (
        "customers_premise USING gin (waterdesk_address_keys(address)) WITH (fastupdate = off)"
    ),
    # A mobile's last digits are a prefix of the reversed mobile: LIKE '8765%' on this index.
    "customer_mobile_reversed": "customers_customer (reverse(mobile) text_pattern_ops) INCLUDE (id)",
}


def create_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(FUNCTIONS_SQL)
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {definition}")


def drop_search_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
    for function in FUNCTIONS:
        schema_editor.execute(f"DROP FUNCTION IF EXISTS {function}(text)")


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY runs outside a transaction.
    atomic = False

    dependencies = [
        ("customers", "0004_personal_data_access"),
    ]

    operations = [
        migrations.RunPython(create_search_indexes, drop_search_indexes, elidable=False),
    ]
