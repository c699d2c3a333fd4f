"""The demo's whistleblower reports (举报): one in each state — an anonymous one from the
web form still waiting, a named one from the hotline under investigation whose reporter a
supervisor looked up (the view logged, and a clerk's refused attempt beside it), one
concluded, one whose reporter has the feedback, one closed, one withdrawn and one invalid.
Every step goes through the services at its own moment, counted back from ``now`` on the
working-day calendar.

``seed_whistleblower`` returns the cases by state and the tracking codes (shown once in
real life; the demo hands them to whoever shows the status page).
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date, datetime, time, timedelta

from waterdesk.cases.models import Channel
from waterdesk.complaints.models import IdentityViewChannel
from waterdesk.complaints.services import report as wb
from waterdesk.core.errors import NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.demo.clock import at
from waterdesk.sla.calendar import WorkingCalendar, load_calendar


def _working_day_before(calendar: WorkingCalendar, day: date, count: int) -> date:
    found = 0
    while found < count:
        day -= timedelta(days=1)
        found += calendar.is_working_day(day)
    return day


def _on(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LOCAL_TZ)


def seed_whistleblower(*, staff: dict, now: datetime) -> dict:
    """Create the demo reports with ``staff["clerk1"]`` (the counter), ``staff["complaint1"]``
    (the investigator) and ``staff["supervisor1"]``. Returns ``{"cases": {state: case},
    "codes": {state: tracking code}}``."""
    calendar = load_calendar()
    today = local(now).date()
    clerk, handler, supervisor = staff["clerk1"], staff["complaint1"], staff["supervisor1"]

    def day(back: int) -> date:
        return _working_day_before(calendar, today, back)

    cases, codes = {}, {}

    def taken(state: str, when: datetime, **fields):
        with at(when):
            receipt = wb.whistleblower_report_register(**fields)
        cases[state], codes[state] = receipt.case, receipt.tracking_code
        return receipt.case

    def acknowledged(case, when: datetime):
        with at(when):
            return wb.report_acknowledge(actor=supervisor, case=case, investigator=handler)

    def concluded(case, when: datetime, finding: str, action_taken: str, feedback: str):
        with at(when):
            wb.report_note(actor=handler, case=case, note="调取收费记录并约谈当事员工。")
            return wb.report_conclude(
                actor=handler,
                case=case,
                finding=finding,
                action_taken=action_taken,
                feedback=feedback,
            )

    # Today, anonymous, from the web form: waiting to be taken up.
    taken(
        "received",
        _on(today, 8, 40),
        actor=None,
        channel=Channel.WEB,
        subject="城南营业厅窗口工作人员",
        occurred_when="上周三下午",
        occurred_where="城南营业厅",
        matter="办理过户时被要求另交200元“加急费”，没有开具任何票据。",
    )

    # Two working days ago on the hotline, named: under investigation; the supervisor
    # looked the reporter up to call back (logged), a clerk tried and was refused (logged).
    case = taken(
        "investigating",
        _on(day(2), 10, 15),
        actor=clerk,
        channel=Channel.PHONE,
        subject="抄表员（城北片区）",
        occurred_when="11月抄表期间",
        occurred_where="城北区和平路小区",
        matter="抄表员暗示给好处费就可以少抄水量。",
        reporter_name="钱立新",
        reporter_phone="13905719101",
    )
    acknowledged(case, _on(day(1), 9, 30))
    with at(_on(day(1), 10, 0)):
        wb.reporter_identity_view(
            actor=supervisor,
            case=case,
            reason="回访举报人核实线索",
            channel=IdentityViewChannel.PAGE,
        )
    with at(_on(day(1), 11, 20)), suppress(NotPermitted):  # refused, and logged
        wb.reporter_identity_view(
            actor=clerk, case=case, reason="", channel=IdentityViewChannel.PAGE
        )

    # Eight working days ago by e-mail: concluded, the feedback not yet given.
    case = taken(
        "concluded",
        _on(day(8), 14, 5),
        actor=None,
        channel=Channel.EMAIL,
        subject="维修班某师傅",
        matter="维修后私下收取材料费300元。",
        reporter_email="whistle.demo@example.com",
    )
    acknowledged(case, _on(day(7), 9, 0))
    concluded(
        case,
        _on(day(1), 16, 0),
        "substantiated",
        "责令退还材料费，给予警告处分。",
        "经查属实，已责令退还费用并对当事员工严肃处理。感谢您的监督。",
    )

    # Twelve working days ago, anonymous: concluded and the feedback given (code only).
    case = taken(
        "feedback_given",
        _on(day(12), 9, 50),
        actor=None,
        channel=Channel.WEB,
        subject="客服热线某坐席",
        matter="来电咨询时坐席态度恶劣、挂断电话。",
    )
    acknowledged(case, _on(day(11), 9, 0))
    concluded(
        case,
        _on(day(4), 15, 0),
        "partly",
        "调听录音，对当事坐席批评教育并组织服务规范培训。",
        "经核查部分属实，已对相关人员批评教育并加强培训。",
    )
    with at(_on(day(3), 9, 0)):
        wb.report_feedback(actor=handler, case=case)

    # Twenty working days ago at the counter, named: closed.
    case = taken(
        "closed",
        _on(day(20), 11, 0),
        actor=clerk,
        channel=Channel.COUNTER,
        subject="工程部某施工队",
        matter="施工占道未设警示，施工人员索要“协调费”。",
        reporter_name="孙红",
        reporter_phone="13905719102",
    )
    acknowledged(case, _on(day(19), 9, 0))
    concluded(
        case,
        _on(day(8), 10, 0),
        "unsubstantiated",
        "核查施工记录和现场照片，未发现索要费用的情况；已提醒施工队规范设置警示。",
        "经调查，未发现索要费用的情况；施工警示问题已督促整改。",
    )
    with at(_on(day(7), 9, 0)):
        wb.report_feedback(actor=handler, case=case)
    with at(_on(day(6), 9, 0)):
        wb.report_close(actor=handler, case=case)

    # Withdrawn by the reporter, and one with nothing about staff conduct.
    case = taken(
        "withdrawn",
        _on(day(5), 15, 30),
        actor=clerk,
        channel=Channel.PHONE,
        subject="营业厅保安",
        matter="保安不让进门。",
        reporter_name="周平",
        reporter_phone="13905719103",
    )
    with at(_on(day(5), 16, 0)):
        wb.report_withdraw(actor=supervisor, case=case, reason="举报人来电说明是误会，撤回举报。")
    case = taken(
        "invalid",
        _on(day(3), 13, 0),
        actor=None,
        channel=Channel.WEB,
        subject="隔壁邻居",
        matter="邻居私接水管。",
    )
    with at(_on(day(3), 15, 0)):
        wb.report_invalidate(
            actor=supervisor, case=case, reason="不涉及员工行为，已转为偷盗水线索另行处理。"
        )
    for case in cases.values():
        case.refresh_from_db()
    return {"cases": cases, "codes": codes}
