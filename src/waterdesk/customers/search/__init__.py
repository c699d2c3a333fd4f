"""Customer search: what a typed string can be, and one indexed query per key.

A clerk types one string into one box (``selectors.customer_search``). Its shape decides
which keys it can be (``query``); every key that applies is one branch of a single
statement, answered by its own index (``statement``):

=================  ==============================  ==========================================
key (rank)         shape of the query              index (PostgreSQL, migration 0005)
=================  ==============================  ==========================================
case number (0)    a registered kind's prefix,     ``cases_case.number`` (unique), through
                   day and sequence                the finder the cases app registers
ID number (0)      15 or 18 letters and digits     ``id_number`` (btree)
account (0)        4–20 letters and digits         ``number`` (unique)
mobile (0)         4 or more digits (``+86`` and   ``mobile`` (btree)
                   separators dropped)
name starts (1)    any text but a number           ``name COLLATE "C"`` (btree): a range
name contains (2)  any text but a number           ``waterdesk_grams(name)`` (GIN)
mobile ends (3)    4–10 digits                     ``reverse(mobile) text_pattern_ops``
contact (4) and    2 or more characters; a         ``waterdesk_address_keys(…)`` (GIN)
premise (5)        number alone matches whole
address            numbers (``128`` ≠ ``1280号``)
=================  ==============================  ==========================================

The branches are joined with ``UNION ALL`` in rank order under one ``LIMIT``: PostgreSQL
runs them one after the other and stops as soon as the page is full, so a key with many
hits never pays for the keys after it. The hits are ranked by key, then by name.

A fragment ("contains") is found through a GIN index over character pieces (``keys``):
overlapping two-character pieces, single characters for names (searched from the first
keystroke), ``#<digits>`` for the numbers in addresses. A two-character Chinese fragment
such as 王建 holds no trigram, so pg_trgm cannot serve it, and pg_bigm is not packaged in
Debian: hence bigrams. The index is asked for the fragment's rarest pieces (by the index's
statistics); ``LIKE`` checks the fragment on the rows they let through. A GIN index reads
a piece's whole list of rows before the first one comes out, so a common fragment (a
frequent character, a district) is first looked for among the first entries of the
column's btree in order, which soon fills a page with it.

SQLite, the demo's database, has none of these indexes: the same branches filter with
``LIKE`` (case-insensitive for ASCII only) and ``GLOB``.

Other apps find customers by numbers they keep: the cases app registers a finder for case
numbers (``case_numbers``), as it registers its privacy grants, because ``cases`` imports
``customers`` and not the other way round.
"""
