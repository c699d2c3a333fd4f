"""The permissions of each role in emergencies (granted from ``apps.ready``).

The emergency office keeps the plans, runs drills, schedules planned outages and runs
incidents with the duty manager, who opens incidents at any hour, escalates them and
approves a planned outage inside the notice window. The hotline and the dispatchers open
incidents (a burst main reported by several callers); supervisors see and may do everything.
"""

READING = [
    "customers.view_customer",
    "customers.view_premise",
    "customers.view_account",
    "cases.add_attachment",
    "emergency.view_emergencyplan",
]
INCIDENT = [
    "emergency.open_incident",
    "emergency.manage_incident",
]
EMERGENCY_OFFICE = [
    *READING,
    *INCIDENT,
    "emergency.review_incident",
    "emergency.manage_plans",
    "emergency.manage_drills",
    "emergency.schedule_outage",
    "emergency.view_outagepolicy",
]
DUTY_MANAGER = [
    *READING,
    *INCIDENT,
    "emergency.review_incident",
    "emergency.schedule_outage",
    "emergency.approve_outage",
]
# Supervisors oversee: everything the emergency office does but attaching files (as on
# every other kind).
SUPERVISOR = [
    *(permission for permission in EMERGENCY_OFFICE if permission != "cases.add_attachment"),
    "emergency.approve_outage",
]
HOTLINE = ["emergency.open_incident", "emergency.view_emergencyplan"]
DISPATCHER = ["emergency.open_incident", "emergency.view_emergencyplan"]
ADMINISTRATOR = [
    f"emergency.{action}_{model}"
    for model in ("outagepolicy", "emergencyplan", "dutyshift")
    for action in ("view", "add", "change")
]
