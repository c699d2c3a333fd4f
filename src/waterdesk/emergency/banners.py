"""The emergency banner on a customer's page (``cases.kinds.customer_banner_register``):
the active incidents and the current or upcoming planned outages covering any premise of
the customer's accounts that are not closed — what the hotline agent must know before
answering "why is there no water?". Imported by the app's ``ready()``."""

from __future__ import annotations

from django.utils import timezone

from waterdesk.cases.kinds import CustomerBanner, customer_banner_register
from waterdesk.customers.models import AccountStatus
from waterdesk.emergency.selectors_hotline import place_news


def customer_place_news(customer, user) -> dict | None:
    """The banner's context, or None when nothing covers the customer's premises. The
    customer's accounts are read with their premises (``customers.selectors.customer_get``
    prefetches them): two queries when nothing is found, at most ten otherwise."""
    premises = [
        account.premise
        for account in customer.accounts.all()
        if account.status != AccountStatus.CLOSED
    ]
    if not premises:
        return None
    news = place_news(premises=premises, at=timezone.now())
    return {"news": news} if news else None


CUSTOMER_BANNER = customer_banner_register(
    CustomerBanner(
        name="emergency",
        template="emergency/partials/customer_banner.html",
        context=customer_place_news,
    )
)
