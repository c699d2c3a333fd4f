"""Reads for the reading routes: the accounts no route reads (never read, so never billed)."""

from django.db.models import QuerySet

from waterdesk.customers.models import Account, AccountStatus, Route


def accounts_without_route() -> QuerySet[Account]:
    """Open accounts on no reading route, oldest first."""
    return (
        Account.objects.filter(route__isnull=True)
        .exclude(status=AccountStatus.CLOSED)
        .select_related("customer", "premise__zone")
        .order_by("opened_at", "pk")
    )


def routes_all() -> QuerySet[Route]:
    return Route.objects.select_related("zone", "reader").order_by("code")
