"""The permissions of each role for remote-read meters (granted from ``apps.ready``).

Meter readers and billing clerks see the meters, import head-end files, make the cycle's
billing reads and work the alarms; collectors ask for valve commands, collection
supervisors approve them (a second person); supervisors read everything; administrators
manage the head-ends and their tokens."""

VIEW = ["amr.view_remote_meter"]
READING = [*VIEW, "amr.import_remote_reading", "amr.make_billing_read", "amr.manage_alarm"]
COLLECTOR = [*VIEW, "amr.request_valve_command"]
COLLECTION_SUPERVISOR = [*VIEW, "amr.request_valve_command", "amr.approve_valve_command"]
ADMINISTRATOR = [
    *VIEW,
    "amr.manage_head_end",
    "amr.view_headend",
    "amr.add_headend",
    "amr.change_headend",
    "amr.view_amrpolicy",
    "amr.change_amrpolicy",
]
