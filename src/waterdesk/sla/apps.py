from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SlaConfig(AppConfig):
    name = "waterdesk.sla"
    label = "sla"
    verbose_name = _("SLA时限")

    def ready(self) -> None:
        from waterdesk.core.memo import memo_forget_on_change
        from waterdesk.sla.calendar import CALENDAR_MEMO
        from waterdesk.sla.models import BusinessHours, CalendarDay, CalendarYear, SlaPolicy
        from waterdesk.sla.services import POLICIES_MEMO

        for model in (CalendarDay, BusinessHours, CalendarYear):
            memo_forget_on_change(model, CALENDAR_MEMO)
        memo_forget_on_change(SlaPolicy, POLICIES_MEMO)
