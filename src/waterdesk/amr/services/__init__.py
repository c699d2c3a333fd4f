"""Writes of the remote-read meters: head-ends and their tokens (``head_ends``), readings
pushed or imported (``readings``), the billing read per cycle (``billing_reads``), alarms
(``alarms``) and valve commands (``valves``). Each function is one transaction; a refusal
raises a ``core.errors`` domain error and writes nothing."""
