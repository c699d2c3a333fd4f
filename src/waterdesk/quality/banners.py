"""The water-quality banner on a customer's page (``cases.kinds.customer_banner_register``):
for the supply zones of the customer's premises (accounts not closed), the zone's compliance
over the last 30 days and the latest results at its sampling points — what the agent needs
when a customer asks "is my water safe?". The intake pages show the same panel for the
customer picked (the registry's banners). Imported by the app's ``ready()``."""

from __future__ import annotations

from waterdesk.cases.kinds import CustomerBanner, customer_banner_register
from waterdesk.customers.models import AccountStatus
from waterdesk.quality.selectors_disclosure import zones_news


def customer_zone_results(customer, user) -> dict | None:
    """The banner's context, or None when no premise of the customer is in a zone with
    sampling points. The zones are read in one query, whether or not the page prefetched
    the customer's accounts (the intake pages do not)."""
    zone_ids = list(
        customer.accounts.exclude(status=AccountStatus.CLOSED).values_list(
            "premise__zone_id", flat=True
        )
    )
    news = zones_news(zone_ids)
    return {"zones": news} if news else None


CUSTOMER_BANNER = customer_banner_register(
    CustomerBanner(
        name="quality",
        template="quality/partials/zone_results_banner.html",
        context=customer_zone_results,
    )
)
