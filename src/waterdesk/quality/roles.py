"""The permissions of each role in water quality (granted from ``apps.ready``).

Samplers take the day's samples; lab analysts enter, import, judge and confirm results (a
second analyst confirms a failing sample, which opens the incident: so they may open one);
the quality manager keeps the catalogue, the points and plans, publishes the reports and
runs the anomaly response with the emergency office. Supervisors read everything."""

VIEW = ["quality.view_quality", "quality.view_samplingpoint", "quality.view_indicator"]
SAMPLER = [*VIEW, "quality.take_sample"]
# Opening an incident opens a case (``case_open`` requires cases.register_case).
LAB_ANALYST = [*VIEW, "quality.enter_results", "emergency.open_incident", "cases.register_case"]
QUALITY_MANAGER = [
    *VIEW,
    "quality.take_sample",
    "quality.enter_results",
    "quality.manage_catalogue",
    "quality.manage_sampling",
    "quality.publish_report",
    "quality.manage_anomaly",
    "emergency.open_incident",
    "cases.register_case",
    "emergency.manage_incident",
    "emergency.view_emergencyplan",
    "customers.view_customer",
    "customers.view_premise",
]
EMERGENCY = [*VIEW, "quality.manage_anomaly"]
SUPERVISOR = [*VIEW]
ADMINISTRATOR = [
    f"quality.{action}_{model}"
    for model in ("qualitypolicy", "plant", "samplingpoint")
    for action in ("view", "add", "change")
]
