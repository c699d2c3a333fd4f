"""The disclosure reports (R-Q3): the quality manager generates the month's or the quarter's
report from the confirmed samples, a second person holding the same permission reviews it,
and it is published to the public page with its PDF, CSV and Excel downloads.

A report keeps the figures it was generated with (``snapshot``): regenerated while it is a
draft (late results confirmed), frozen once reviewed. The snapshot holds what a utility
publishes: per plant and per supply zone the samples, the items tested and failing and the
compliance rates, and per indicator the count tested, the count passing and the range of the
measured values. Rates are kept as decimal strings (exact to 10 places) and rounded once
when shown."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.quality.models import Frequency, QualityReport, ReportPeriod, ReportStatus
from waterdesk.quality.selectors_disclosure import (
    Area,
    Compliance,
    compliance_figures,
    disclosure_changed,
)
from waterdesk.quality.services.schedule import period_of
from waterdesk.quality.verdicts import number_text

PUBLISH_PERMISSION = "quality.publish_report"
SNAPSHOT_VERSION = 1


def period_bounds(period: str, period_start: date) -> tuple[date, date]:
    """The first and last day of the month or quarter that ``period_start`` falls in."""
    frequency = {
        ReportPeriod.MONTH: Frequency.MONTHLY,
        ReportPeriod.QUARTER: Frequency.QUARTERLY,
    }.get(period)
    if frequency is None:
        raise InvalidInput(_("请选择报告类型：月报或季报。"), code="report_period", field="period")
    return period_of(frequency, period_start)


def _compliance(compliance: Compliance) -> dict:
    return {
        "samples": compliance.samples,
        "samples_passing": compliance.samples_passing,
        "items": compliance.items,
        "items_passing": compliance.items_passing,
        "items_failing": compliance.items_failing,
        "sample_rate": None if compliance.sample_rate is None else str(compliance.sample_rate),
        "item_rate": None if compliance.item_rate is None else str(compliance.item_rate),
    }


def _area(area: Area) -> dict:
    return {
        "kind": area.kind,
        "code": area.code,
        "name": area.name,
        **_compliance(area.compliance),
        "indicators": [
            {
                "code": figures.code,
                "name": figures.name,
                "unit": figures.unit,
                "limit": figures.limit,
                "tested": figures.tested,
                "passing": figures.passing,
                "min": number_text(figures.low),
                "max": number_text(figures.high),
            }
            for figures in area.indicators.values()
        ],
    }


def report_snapshot(start: date, end: date) -> dict:
    figures = compliance_figures(start=start, end=end, indicators=True)
    return {
        "version": SNAPSHOT_VERSION,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "overall": _compliance(figures.overall),
        "plants": [_area(area) for area in figures.plants],
        "zones": [_area(area) for area in figures.zones],
    }


@transaction.atomic
def report_generate(*, actor, period: str, period_start: date) -> QualityReport:
    """Generate the report of the month or quarter ``period_start`` falls in, once the
    period is over; a draft of the same period is generated again (its figures replaced)."""
    require_permission(actor, PUBLISH_PERMISSION)
    start, end = period_bounds(period, period_start)
    today = timezone.localdate()
    if end >= today:
        raise InvalidInput(
            _("%(start)s 至 %(end)s 的报告期尚未结束：请在报告期结束后生成报告。")
            % {"start": start.isoformat(), "end": end.isoformat()},
            code="report_period_open",
            field="period_start",
        )
    report = (
        QualityReport.objects.select_for_update().filter(period=period, period_start=start).first()
    )
    if report is not None and report.status != ReportStatus.DRAFT:
        raise InvalidInput(
            _("该期报告状态为“%(status)s”，不能重新生成。")
            % {"status": report.get_status_display()},
            code="report_frozen",
            field="period_start",
        )
    snapshot = report_snapshot(start, end)
    if report is None:
        report = QualityReport(period=period, period_start=start)
    report.period_end = end
    report.snapshot = snapshot
    report.generated_at = timezone.now()
    report.generated_by = actor
    report.save()
    return report


def _locked(report: QualityReport) -> QualityReport:
    return QualityReport.objects.select_for_update().get(pk=report.pk)


@transaction.atomic
def report_review(*, actor, report: QualityReport) -> QualityReport:
    """Record the review of a draft: by someone other than whoever generated it."""
    require_permission(actor, PUBLISH_PERMISSION)
    report = _locked(report)
    if report.status != ReportStatus.DRAFT:
        raise InvalidInput(
            _("该报告状态为“%(status)s”，无需再审核。") % {"status": report.get_status_display()},
            code="report_status",
        )
    if report.generated_by_id == actor.pk:
        raise InvalidInput(
            _("报告须由生成人以外的人员审核：请另一位有审核权限的同事审核。"),
            code="report_reviewer_is_generator",
        )
    report.status = ReportStatus.REVIEWED
    report.reviewed_by = actor
    report.reviewed_at = timezone.now()
    report.save(update_fields=["status", "reviewed_by", "reviewed_at"])
    return report


@transaction.atomic
def report_publish(*, actor, report: QualityReport) -> QualityReport:
    """Publish a reviewed report: it appears on the public page with its downloads."""
    require_permission(actor, PUBLISH_PERMISSION)
    report = _locked(report)
    if report.status != ReportStatus.REVIEWED:
        message = (
            _("该报告已发布。")
            if report.status == ReportStatus.PUBLISHED
            else _("报告须先审核才能发布：请生成人以外的人员先审核。")
        )
        raise InvalidInput(message, code="report_status")
    report.status = ReportStatus.PUBLISHED
    report.published_by = actor
    report.published_at = timezone.now()
    report.save(update_fields=["status", "published_by", "published_at"])
    disclosure_changed()
    return report


def disclosure_on_confirm(*, sample, actor) -> None:
    """A sample's verdict came to count: the public page reads afresh after the commit
    (``hooks.sample_confirmed_listener_register``, from ``apps.ready``)."""
    disclosure_changed()
