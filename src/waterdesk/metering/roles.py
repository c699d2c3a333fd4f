"""The permissions of each role in metering (granted from ``apps.ready``).

The billing clerk sets up master/sub meters, shared meters and flat-fee accounts,
calculates the allocations and reviews negative differences; supervisors and the finance
office read them and the master/sub differences report."""

VIEWER = ["metering.view_arrangement", "metering.view_metering_report"]
BILLING_CLERK = [
    *VIEWER,
    "metering.manage_arrangement",
    "metering.review_allocation",
]
