from django.db.models import QuerySet

from waterdesk.notify.models import Notification


def notification_list_for_case(*, case) -> QuerySet[Notification]:
    """Every message queued for a case, oldest first (for the case page timeline)."""
    return Notification.objects.filter(case=case).order_by("created_at", "pk")
