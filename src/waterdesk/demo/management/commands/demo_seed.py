"""``python manage.py demo_seed``: load the demo city (``waterdesk.demo.city``) and print
what it holds and the demo logins.

The run is one transaction and idempotent: when the demo users exist it changes nothing and
says so. Notifications go to the outbox (SMS) and to Django's in-memory mail backend, never
to an SMTP server.
"""

from __future__ import annotations

import logging
import random
import time
import unicodedata
from collections import Counter
from contextlib import contextmanager

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, Sum
from django.test.utils import override_settings
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.applications.models import ApplicationKind, NewConnectionStatus
from waterdesk.billing.models import (
    Bill,
    MeterRead,
    ReadingCycle,
    ReadKind,
    ReadStatus,
)
from waterdesk.cases.models import Case, Priority
from waterdesk.complaints.models import ComplaintStatus
from waterdesk.core.roles import Role
from waterdesk.customers.models import (
    Account,
    Customer,
    LookupAlert,
    PersonalDataAccess,
)
from waterdesk.demo.billing import demo_account_owing, demo_arrears
from waterdesk.demo.city import DEMO_PASSWORD, MARKER_USERNAME, RANDOM_SEED, STAFF, DemoCity
from waterdesk.emergency.models import (
    Drill,
    DrillStatus,
    IncidentStatus,
    Measure,
    NoticeRound,
    OutageStatus,
    PlannedOutage,
    PlanVersion,
    PlanVersionStatus,
    ResponseLevel,
)
from waterdesk.emergency.services.area import affected_counts, area_of
from waterdesk.inquiries.models import InquiryStatus
from waterdesk.payments.models import (
    CorrectionStatus,
    Payment,
    PaymentChannel,
    PaymentCorrection,
    PaymentException,
)
from waterdesk.repairs.models import Repair, RepairStatus
from waterdesk.sla.models import ClockState


class Command(BaseCommand):
    help = (
        "Load the demo data: staff in every role, 200 customers, 30 new-connection cases and "
        "three months of meter reading and billing."
    )

    def handle(self, *args, **options) -> None:
        verbose = options["verbosity"] > 0
        users = get_user_model().objects
        if users.filter(username=MARKER_USERNAME).exists():
            if verbose:
                self.stdout.write(
                    _("演示数据已存在（已有用户 %(username)s），本次未做任何更改。")
                    % {"username": MARKER_USERNAME}
                )
                self._print_logins()
            return
        taken = sorted(
            users.filter(username__in=[m.username for m in STAFF]).values_list(
                "username", flat=True
            )
        )
        if taken:
            raise CommandError(
                _("用户 %(usernames)s 已存在，无法生成演示数据；请在空数据库上运行。")
                % {"usernames": "、".join(taken)}
            )
        started = time.monotonic()
        # Seeding must never reach an SMTP server or an SMS gateway; the log lines of some
        # hundred deliveries (outbox backend, eager Celery tasks) would drown the summary.
        with (
            override_settings(
                EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
                WATERDESK_SMS_BACKEND="outbox",
            ),
            _muted("waterdesk.notify", "celery", "kombu"),
            transaction.atomic(),
        ):
            city = DemoCity(random.Random(RANDOM_SEED))
            city.build()
        if verbose:
            self._print_summary(seconds=time.monotonic() - started)
            self._print_inquiry_summary()
            self._print_billing_summary()
            self._print_payments_summary()
            self._print_repairs_summary()
            self._print_privacy_summary()
            self._print_complaints_summary(city)
            self._print_emergency_summary(city)
            self._print_quality_summary(city)
            self._print_invoices_summary()
            self._print_metering_summary(city)
            self._print_amr_summary(city)
            self._print_logins()

    def _print_summary(self, *, seconds: float) -> None:
        write = self.stdout.write
        write(_("演示数据已生成，用时 %(seconds).1f 秒。") % {"seconds": seconds})
        write(
            _("客户 %(customers)d 户，账户 %(accounts)d 个，新装申请 %(cases)d 件。")
            % {
                "customers": Customer.objects.count(),
                "accounts": Account.objects.count(),
                "cases": Case.objects.filter(kind=ApplicationKind.NEW_CONNECTION).count(),
            }
        )
        counts = Counter(
            Case.objects.filter(kind=ApplicationKind.NEW_CONNECTION).values_list(
                "status", flat=True
            )
        )
        write(_("各状态件数："))
        for status in NewConnectionStatus:
            write(f"  {_pad(str(status.label), 12)}{counts.get(status.value, 0):>3}")
        now = timezone.now()
        open_cases = Case.objects.open().filter(kind=ApplicationKind.NEW_CONNECTION)
        overdue = open_cases.filter(
            clocks__state=ClockState.RUNNING, clocks__due_at__lt=now
        ).distinct()
        at_risk = open_cases.filter(
            clocks__state=ClockState.RUNNING,
            clocks__due_at__gte=now,
            clocks__at_risk_at__isnull=False,
        ).distinct()
        write(
            _("已超时 %(overdue)d 件，临近超时 %(at_risk)d 件，绿色通道 %(green)d 件。")
            % {
                "overdue": overdue.count(),
                "at_risk": at_risk.exclude(pk__in=overdue).count(),
                "green": Case.objects.filter(
                    kind=ApplicationKind.NEW_CONNECTION, priority=Priority.GREEN
                ).count(),
            }
        )

    def _print_inquiry_summary(self) -> None:
        inquiries = Case.objects.filter(kind="inquiry")
        counts = Counter(inquiries.values_list("status", flat=True))
        self.stdout.write(
            _("业务咨询 %(total)d 件：%(statuses)s（工单页可答复或转为申请）。")
            % {
                "total": inquiries.count(),
                "statuses": "，".join(
                    f"{status.label} {counts[status.value]}"
                    for status in InquiryStatus
                    if counts.get(status.value)
                ),
            }
        )

    def _print_complaints_summary(self, city: DemoCity) -> None:
        write = self.stdout.write
        complaints = Case.objects.filter(kind="complaint")
        counts = Counter(complaints.values_list("status", flat=True))
        write(
            _("投诉 %(total)d 件：%(statuses)s；表扬 %(praise)d 件，举报 %(reports)d 件。")
            % {
                "total": complaints.count(),
                "statuses": "，".join(
                    f"{status.label} {counts[status.value]}"
                    for status in ComplaintStatus
                    if counts.get(status.value)
                ),
                "praise": Case.objects.filter(kind="praise").count(),
                "reports": Case.objects.filter(kind="report").count(),
            }
        )
        codes = city.reports.get("codes", {})
        if codes:
            state, code = next(iter(codes.items()))
            write(
                _("举报查询（/report/status/）查询码：%(code)s（%(state)s）")
                % {"code": code, "state": state}
            )
        if city.surveys.get("link"):
            write(_("待评价的满意度问卷：%(link)s") % {"link": city.surveys["link"]})
        token = city.city_hotline_token
        write(_("12345 平台接口令牌（用户 city-12345）：%(token)s") % {"token": token})

    def _print_repairs_summary(self) -> None:
        repairs = Case.objects.filter(kind="repair")
        counts = Counter(repairs.values_list("status", flat=True))
        self.stdout.write(
            _(
                "报修 %(total)d 件：%(statuses)s。调度台 /desk/repairs/board/（dispatcher1），"
                "维修人员手机页 /field/（crew1 抢修一班、crew3 抢修二班），回访与受理 hotline1。"
            )
            % {
                "total": repairs.count(),
                "statuses": "，".join(
                    f"{status.label} {counts[status.value]}"
                    for status in RepairStatus
                    if counts.get(status.value)
                ),
            }
        )

    def _print_emergency_summary(self, city: DemoCity) -> None:
        write = self.stdout.write
        active = city.emergency["active"]
        customers, sensitive = affected_counts(area_of(active))
        incidents = Counter(Case.objects.filter(kind="incident").values_list("status", flat=True))
        write(
            _(
                "突发事件：%(number)s %(title)s（%(level)s，应急处置中），"
                "影响客户 %(customers)d 户，其中重点用户 %(sensitive)d 户优先通知；"
                "已发通知 %(rounds)d 轮，来电报修 %(linked)d 件已并入事件。"
                "另有已恢复待复盘 %(restored)d 件、已复盘结案 %(closed)d 件。"
            )
            % {
                "number": active.number,
                "title": active.incident.title,
                "level": ResponseLevel(active.incident.level).label,
                "customers": customers,
                "sensitive": sensitive,
                "rounds": NoticeRound.objects.filter(case=active).count(),
                "linked": Repair.objects.filter(incident=active).count(),
                "restored": incidents.get(IncidentStatus.RESTORED.value, 0),
                "closed": incidents.get(IncidentStatus.CLOSED.value, 0),
            }
        )
        outages = Counter(Case.objects.filter(kind="outage").values_list("status", flat=True))
        write(
            _(
                "计划停水：%(statuses)s（其中 %(under_way)d 件正在施工）。"
                "应急台 /desk/emergency/（emergency1 应急办、duty1 值班主任审批紧急停水），"
                "公众停水公告 /outages/（无需登录）。"
            )
            % {
                "statuses": "，".join(
                    f"{status.label} {outages[status.value]}"
                    for status in OutageStatus
                    if outages.get(status.value)
                ),
                "under_way": PlannedOutage.objects.filter(
                    case__status=OutageStatus.ANNOUNCED, starts_at__lte=timezone.now()
                ).count(),
            }
        )
        drills = Counter(Drill.objects.values_list("status", flat=True))
        write(
            _(
                "应急演练：已评估 %(evaluated)d 次，计划中 %(planned)d 次；"
                "预案修订草稿 %(drafts)d 份待发布，改进措施 %(measures)d 项未完成。"
            )
            % {
                "evaluated": drills.get(DrillStatus.EVALUATED.value, 0),
                "planned": drills.get(DrillStatus.PLANNED.value, 0),
                "drafts": PlanVersion.objects.filter(status=PlanVersionStatus.DRAFT).count(),
                "measures": Measure.objects.filter(done_at__isnull=True).count(),
            }
        )

    def _print_quality_summary(self, city: DemoCity) -> None:
        from waterdesk.quality.models import Sample, SampleStatus
        from waterdesk.quality.services.schedule import samples_overdue

        made = city.quality
        statuses = Counter(Sample.objects.values_list("status", flat=True))
        self.stdout.write(
            _(
                "水质：%(points)d 个采样点，已确认水样 %(confirmed)d 份；"
                "今日待采 %(scheduled)d 份，待录入/待确认 %(analysed)d 份，"
                "待复核 %(second)d 份（lab2），超期 %(overdue)d 份。"
                "水质异常 %(anomaly)s 处置中（连续合格 %(streak)d/%(required)d 轮，"
                "应急事件 %(incident)s）。"
                "水质总览 /desk/quality/（quality1），公众水质公开 /water-quality/（无需登录）。"
            )
            % {
                "points": len(made["points"]),
                "confirmed": statuses.get(SampleStatus.CONFIRMED.value, 0),
                "scheduled": statuses.get(SampleStatus.SCHEDULED.value, 0),
                "analysed": statuses.get(SampleStatus.TAKEN.value, 0)
                + statuses.get(SampleStatus.ANALYSED.value, 0),
                "second": statuses.get(SampleStatus.AWAITING_SECOND.value, 0),
                "overdue": samples_overdue().count(),
                "anomaly": made["open"].number,
                "streak": made["open"].pass_streak,
                "required": made["open"].passes_required,
                "incident": made["open"].incident.number if made["open"].incident else "—",
            }
        )

    def _print_invoices_summary(self) -> None:
        from waterdesk.billing.selectors.prepayment import prepayment_report
        from waterdesk.invoicing.models import Invoice
        from waterdesk.invoicing.selectors import bills_paid_without_invoice

        states = Counter(Invoice.objects.values_list("state", flat=True))
        prepaid = prepayment_report()
        self.stdout.write(
            _(
                "电子发票：已开具 %(issued)d 张，已冲红 %(reversed)d 张，开具失败 %(failed)d 张，"
                "待开具 %(requested)d 张；已缴未开票账单 %(uninvoiced)d 张。"
                "发票管理 /desk/invoices/，财务报表 /desk/finance/（finance1）。"
                "预存余额 %(prepaid)d 户，其中低于提醒线 %(low)d 户（客户页“预存”一节）。"
            )
            % {
                "issued": states.get("issued", 0),
                "reversed": states.get("reversed", 0),
                "failed": states.get("failed", 0),
                "requested": states.get("requested", 0),
                "uninvoiced": len(bills_paid_without_invoice()),
                "prepaid": prepaid.accounts,
                "low": prepaid.below_threshold,
            }
        )

    def _print_metering_summary(self, city: DemoCity) -> None:
        from waterdesk.metering.models import Allocation, AllocationStatus, Arrangement

        self.stdout.write(
            _(
                "总分表与分摊：%(arrangements)d 组（总分表、一表多户、包费户），"
                "负差待复核 %(flagged)d 次。总分表与分摊 /desk/metering/（billing1）。"
            )
            % {
                "arrangements": Arrangement.objects.count(),
                "flagged": Allocation.objects.filter(status=AllocationStatus.FLAGGED).count(),
            }
        )

    def _print_amr_summary(self, city: DemoCity) -> None:
        made = city.amr
        self.stdout.write(
            _(
                "远传表：%(meters)d 块（主站 %(head_end)s），未处理告警 %(alarms)d 条，"
                "关阀指令待审批 1 条（collsup1）。远传表 /desk/amr/（reader1、billing1）；"
                "主站推送接口 POST /api/amr/readings/，演示令牌 %(token)s"
            )
            % {
                "meters": len(made["meters"]),
                "head_end": made["head_end"].code,
                "alarms": len(made["alarms"]),
                "token": made["token"],
            }
        )

    def _print_privacy_summary(self) -> None:
        self.stdout.write(
            _(
                "个人信息查看记录 %(entries)d 条（其中说明理由的主动查看 %(reveals)d 条），"
                "查询过量提醒 %(alerts)d 条：服务监督员在“查看记录”页面查阅。"
            )
            % {
                "entries": PersonalDataAccess.objects.count(),
                "reveals": PersonalDataAccess.objects.filter(is_reveal=True).count(),
                "alerts": LookupAlert.objects.count(),
            }
        )

    def _print_billing_summary(self) -> None:
        write = self.stdout.write
        write(_("抄表与出账："))
        field_kinds = [ReadKind.ACTUAL, ReadKind.ESTIMATED, ReadKind.FINAL]
        for cycle in ReadingCycle.objects.order_by("period_start"):
            reads = MeterRead.objects.filter(cycle=cycle).exclude(status=ReadStatus.REJECTED)
            accounts_read = reads.filter(kind__in=field_kinds).values("account").distinct()
            bills = Bill.objects.filter(cycle=cycle).aggregate(
                count=Count("pk"), total=Sum("amount")
            )
            write(
                _(
                    "  %(cycle)s  已抄 %(read)d 户，待复核 %(review)d 条，"
                    "账单 %(bills)d 张，合计 %(amount)s 元"
                )
                % {
                    "cycle": cycle.code,
                    "read": accounts_read.count(),
                    "review": reads.filter(status=ReadStatus.NEEDS_REVIEW).count(),
                    "bills": bills["count"],
                    "amount": f"{bills['total'] or 0:,.2f}",
                }
            )
        accounts, total = demo_arrears(as_of=timezone.localdate())
        write(
            _("欠费账户 %(accounts)d 户，逾期欠费合计 %(amount)s 元。")
            % {"accounts": accounts, "amount": f"{total:,.2f}"}
        )

    def _print_payments_summary(self) -> None:
        write = self.stdout.write
        by_channel = Counter(Payment.objects.values_list("channel", flat=True))
        write(
            _("缴费 %(total)d 笔：%(channels)s；待审批作废 %(voids)d 笔，异常 %(flags)d 条。")
            % {
                "total": sum(by_channel.values()),
                "channels": "，".join(
                    f"{channel.label} {by_channel[channel.value]}"
                    for channel in PaymentChannel
                    if by_channel.get(channel.value)
                ),
                "voids": PaymentCorrection.objects.filter(
                    status=CorrectionStatus.REQUESTED
                ).count(),
                "flags": PaymentException.objects.filter(resolved_at__isnull=True).count(),
            }
        )
        owing = demo_account_owing(as_of=timezone.localdate())
        if owing is not None:
            write(
                _("在线缴费演示（无需登录）：/pay/%(account)s/（户号 %(number)s）")
                % {"account": owing.public_id, "number": owing.number}
            )

    def _print_logins(self) -> None:
        write = self.stdout.write
        write("")
        write(_("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD})
        write(f"  {_pad(_('用户名'), 14)}{_pad(_('角色'), 12)}{_('姓名')}")
        for member in STAFF:
            role = str(Role(member.role).label)
            write(f"  {_pad(member.username, 14)}{_pad(role, 12)}{member.name}")


@contextmanager
def _muted(*logger_names: str, level: int = logging.ERROR):
    loggers = [logging.getLogger(name) for name in logger_names]
    previous = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(level)
    try:
        yield
    finally:
        for logger, old_level in zip(loggers, previous, strict=True):
            logger.setLevel(old_level)


def _pad(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return text + " " * max(width - used, 1)
