"""Admin for the calendar, business hours, SLA policies and (read-only) clocks.

Calendar edits go through ``waterdesk.sla.services`` so that open deadlines are recomputed;
every changelist warns about provisional years.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from waterdesk.core.admin_mixins import ReadOnlyAdminMixin
from waterdesk.core.errors import DomainError
from waterdesk.sla import selectors, services
from waterdesk.sla.models import BusinessHours, CalendarDay, CalendarYear, SlaClock, SlaPolicy

WEEKDAYS = ("周一", "周二", "周三", "周四", "周五", "周六", "周日")


class ProvisionalYearsWarningMixin:
    """Shows a warning above the list while some year of the calendar is provisional."""

    def changelist_view(self, request, extra_context=None):
        years = selectors.provisional_years()
        if years and request.method == "GET":
            messages.warning(
                request,
                gettext(
                    "以下年度的官方放假安排尚未确认，日历为暂定，相关截止时间可能变化：%(years)s。"
                    "官方安排公布后请核对节假日与调休上班日，然后确认该年度。"
                )
                % {"years": "、".join(str(year) for year in years)},
            )
        return super().changelist_view(request, extra_context)


@admin.register(CalendarYear)
class CalendarYearAdmin(ProvisionalYearsWarningMixin, SimpleHistoryAdmin):
    list_display = ["year", "is_confirmed", "confirmed_at", "confirmed_by", "note"]
    list_filter = ["is_confirmed"]
    fields = ["year", "is_confirmed", "confirmed_at", "confirmed_by", "note"]
    readonly_fields = ["year", "is_confirmed", "confirmed_at", "confirmed_by"]
    actions = ["confirm_years"]

    def has_add_permission(self, request) -> bool:
        # Years appear when they are seeded (``calendar seed``) or a day of them is entered.
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        services.calendar_year_note_set(actor=request.user, year=obj.year, note=obj.note)

    @admin.action(description=_("确认所选年度的官方放假安排"), permissions=["change"])
    def confirm_years(self, request, queryset):
        for year in queryset.order_by("year").values_list("year", flat=True):
            try:
                services.calendar_year_confirm(actor=request.user, year=year)
            except DomainError as error:
                self.message_user(request, f"{year}：{error.message}", messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("%(year)s 年已确认，未结工单的截止时间已重新计算。") % {"year": year},
                    messages.SUCCESS,
                )


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]

    def clean_date(self):
        date = self.cleaned_data["date"]
        if not 2000 <= date.year <= 2100:
            raise ValidationError(gettext("年份必须在 2000 至 2100 之间。"))
        return date


@admin.register(CalendarDay)
class CalendarDayAdmin(ProvisionalYearsWarningMixin, SimpleHistoryAdmin):
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name"]
    list_filter = ["kind"]
    date_hierarchy = "date"
    search_fields = ["name"]

    @admin.display(description=_("星期"))
    def weekday(self, obj) -> str:
        return WEEKDAYS[obj.date.weekday()]

    def get_readonly_fields(self, request, obj=None):
        # A different date is a different override: delete this one and add another.
        return ["date"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        saved = services.calendar_day_set(
            actor=request.user, date=obj.date, kind=obj.kind, name=obj.name
        )
        obj.pk = saved.pk

    def delete_model(self, request, obj):
        services.calendar_day_delete(actor=request.user, date=obj.date)

    def delete_queryset(self, request, queryset):
        for date in queryset.order_by("date").values_list("date", flat=True):
            services.calendar_day_delete(actor=request.user, date=date)


class BusinessHoursForm(forms.ModelForm):
    class Meta:
        model = BusinessHours
        fields = ["start", "end"]

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is not None and end is not None:
            try:
                services.business_hours_validate(_periods_with(self.instance, start, end))
            except DomainError as error:
                raise ValidationError(str(error.message)) from error
        return cleaned


def _periods_with(instance, start, end):
    others = BusinessHours.objects.exclude(pk=instance.pk) if instance.pk else BusinessHours.objects
    return [*others.values_list("start", "end"), (start, end)]


@admin.register(BusinessHours)
class BusinessHoursAdmin(ProvisionalYearsWarningMixin, SimpleHistoryAdmin):
    form = BusinessHoursForm
    list_display = ["__str__", "start", "end", "ordering"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # The last period cannot go: a calendar needs business hours.
        return super().has_delete_permission(request, obj) and BusinessHours.objects.count() > 1

    def save_model(self, request, obj, form, change):
        services.business_hours_set(
            actor=request.user, periods=_periods_with(obj, obj.start, obj.end)
        )
        obj.pk = BusinessHours.objects.get(start=obj.start, end=obj.end).pk

    def delete_model(self, request, obj):
        remaining = BusinessHours.objects.exclude(pk=obj.pk).values_list("start", "end")
        services.business_hours_set(actor=request.user, periods=list(remaining))

    def delete_queryset(self, request, queryset):
        remaining = BusinessHours.objects.exclude(pk__in=queryset.values("pk"))
        services.business_hours_set(
            actor=request.user, periods=list(remaining.values_list("start", "end"))
        )


@admin.register(SlaPolicy)
class SlaPolicyAdmin(ProvisionalYearsWarningMixin, SimpleHistoryAdmin):
    """Policies are copied onto each clock when it starts: edits apply to new clocks only."""

    list_display = [
        "case_kind",
        "milestone",
        "priority",
        "amount",
        "unit",
        "at_risk_ratio",
        "is_active",
    ]
    list_filter = ["case_kind", "priority", "unit", "is_active"]
    search_fields = ["milestone"]


@admin.register(SlaClock)
class SlaClockAdmin(ReadOnlyAdminMixin, ProvisionalYearsWarningMixin, admin.ModelAdmin):
    """Read-only: clocks move only through the case workflows and the sweep."""

    list_display = [
        "case",
        "milestone",
        "state",
        "started_at",
        "due_at",
        "at_risk_at",
        "breached_at",
        "stopped_at",
        "is_late",
    ]
    list_filter = ["state", "milestone", "is_late"]
    search_fields = ["case__number"]
    list_select_related = ["case", "policy"]
    date_hierarchy = "due_at"
