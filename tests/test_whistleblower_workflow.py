"""A report walked through its workflow: taken on the hotline (desk page, tracking code
shown once), acknowledged with an investigator, notes, the finding, the feedback told to
the reporter and visible with the tracking code, closure; withdrawal and invalid reports;
the API intake and actions."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import client_for
from tests.whistleblower_support import handler, hotline, register
from waterdesk.cases.models import CaseEvent
from waterdesk.complaints.models import REPORTER_PLACEHOLDER, Report, ReportIdentity
from waterdesk.complaints.services.report import (
    report_acknowledge,
    report_close,
    report_conclude,
    report_feedback,
    report_invalidate,
    report_note,
    report_withdraw,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput, NotPermitted
from waterdesk.notify.models import Notification
from waterdesk.sla.models import ClockState, SlaClock

pytestmark = pytest.mark.django_db
__all__ = ["handler", "hotline"]

CODE = re.compile(r'id="tracking-code"><strong>([A-Z0-9-]+)</strong>')


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _act(client, case, action, data):
    return client.post(
        reverse("workbench:case_action", args=[case.public_id, action]),
        {f"{action}-{key}": value for key, value in data.items()},
    )


def _clock(case, milestone):
    return SlaClock.objects.get(case=case, milestone=milestone)


def test_a_report_from_the_hotline_to_closure(
    hotline, supervisor, handler, django_capture_on_commit_callbacks
):
    desk = _login(hotline)
    assert desk.get(reverse("workbench:intake_report")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = desk.post(
            reverse("workbench:intake_report"),
            {
                "channel": "phone",
                "subject": "维修班的张师傅",
                "occurred_when": "上周五",
                "occurred_where": "幸福小区",
                "matter": "维修后私下收取材料费300元。",
                "reporter_name": "钱七",
                "reporter_phone": "13700137000",
                "reporter_email": "",
            },
        )
    assert response.status_code == 200
    code = CODE.search(response.content.decode()).group(1)
    report = Report.objects.select_related("case").get()
    case = report.case
    assert (case.status, case.channel, case.opened_by, case.contact_name) == (
        "received",
        "phone",
        hotline,
        REPORTER_PLACEHOLDER,
    )
    assert ReportIdentity.objects.get(report=report).name == "钱七"
    assert Notification.objects.get().template_key == "report.received"

    boss = _login(supervisor)
    assert _act(boss, case, "report_acknowledge", {"investigator": handler.pk}).status_code == 302
    case.refresh_from_db()
    assert (case.status, case.assignee) == ("investigating", handler)
    assert _clock(case, "acknowledge").state == ClockState.MET

    worker = _login(handler)
    assert (
        _act(worker, case, "report_note", {"note": "约谈张师傅，调取收费记录。"}).status_code == 302
    )
    assert (
        _act(
            worker,
            case,
            "report_conclude",
            {
                "finding": "substantiated",
                "subject_staff": handler.pk,
                "action_taken": "退还材料费，给予警告处分。",
                "feedback": "经查属实，已责令退还费用并严肃处理。感谢您的监督。",
            },
        ).status_code
        == 302
    )
    case.refresh_from_db()
    assert case.status == "concluded"
    assert _clock(case, "conclude").state == ClockState.MET

    status_page = Client().post(reverse("portal:report_status"), {"code": code}).content.decode()
    assert "经查属实" not in status_page  # not given yet

    with django_capture_on_commit_callbacks(execute=True):
        assert _act(worker, case, "report_feedback", {"note": ""}).status_code == 302
    feedback = Notification.objects.get(template_key="report.feedback")
    assert (feedback.channel, feedback.recipient_address) == ("sms", "13700137000")
    assert "经查属实" in feedback.body

    status_page = Client().post(reverse("portal:report_status"), {"code": code}).content.decode()
    assert "经查属实，已责令退还费用并严肃处理。" in status_page
    assert "退还材料费，给予警告处分" not in status_page  # the action taken stays internal
    assert "已反馈" in status_page

    assert _act(worker, case, "report_close", {"note": ""}).status_code == 302
    case.refresh_from_db()
    assert case.status == "closed" and case.closed_at is not None
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "open",
        "report_acknowledge",
        "report_note",
        "report_conclude",
        "report_feedback",
        "report_close",
    ]
    page = worker.get(reverse("workbench:case", args=[case.public_id])).content.decode()
    assert "约谈张师傅" in page and "结论：属实" in page and "钱七" not in page


def test_an_email_report_is_answered_by_email(django_capture_on_commit_callbacks, supervisor):
    receipt = register(channel="email", reporter_email="whistle@example.com")
    case = receipt.case
    report_acknowledge(actor=supervisor, case=case, investigator=supervisor)
    report_conclude(
        actor=supervisor,
        case=case,
        finding="unsubstantiated",
        action_taken="无",
        feedback="经查不属实。",
    )
    with django_capture_on_commit_callbacks(execute=True):
        report_feedback(actor=supervisor, case=case)
    notice = Notification.objects.get(template_key="report.feedback")
    assert (notice.channel, notice.recipient_address) == ("email", "whistle@example.com")


def test_an_anonymous_report_gets_its_feedback_by_code_only(supervisor):
    receipt = register()
    case = receipt.case
    report_acknowledge(actor=supervisor, case=case, investigator=supervisor)
    report_conclude(
        actor=supervisor,
        case=case,
        finding="partly",
        action_taken="批评教育",
        feedback="部分属实。",
    )
    report_feedback(actor=supervisor, case=case)
    assert not Notification.objects.exists()
    event = CaseEvent.objects.get(case=case, action="report_feedback")
    assert event.data == {"channel": "tracking_code"}


def test_withdrawn_and_invalid_reports_end_with_their_reason(supervisor):
    first, second = register().case, register().case
    report_withdraw(actor=supervisor, case=first, reason="举报人来电撤回")
    report_invalidate(actor=supervisor, case=second, reason="不涉及员工行为")
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("withdrawn", "invalid")
    assert not SlaClock.objects.filter(case__in=[first, second], state=ClockState.RUNNING).exists()


def test_refusals_write_nothing(supervisor, clerk, handler):
    case = register().case
    events = CaseEvent.objects.count()
    with pytest.raises(NotPermitted):
        report_acknowledge(actor=clerk, case=case, investigator=handler)
    with pytest.raises(InvalidInput):
        report_acknowledge(actor=supervisor, case=case, investigator=clerk)  # cannot investigate
    with pytest.raises(IllegalTransition):
        report_conclude(
            actor=supervisor, case=case, finding="partly", action_taken="x", feedback="y"
        )
    report_acknowledge(actor=supervisor, case=case, investigator=handler)
    events += 1
    with pytest.raises(InvalidInput):
        report_note(actor=handler, case=case, note="")
    with pytest.raises(InvalidInput):
        report_conclude(actor=handler, case=case, finding="maybe", action_taken="x", feedback="y")
    with pytest.raises(InvalidInput):
        report_conclude(actor=handler, case=case, finding="partly", action_taken="x", feedback="")
    with pytest.raises(IllegalTransition):
        report_close(actor=handler, case=case)
    case.refresh_from_db()
    assert case.status == "investigating"
    assert CaseEvent.objects.count() == events
    assert Report.objects.get(case=case).finding == ""


def test_the_api_takes_a_report_and_its_actions(hotline, supervisor, handler):
    response = client_for(hotline).post(
        reverse("api:report"),
        {"channel": "phone", "subject": "收费员", "matter": "多收费", "reporter_name": "匿"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["contact_name"] == REPORTER_PLACEHOLDER
    assert "匿" not in str(body)
    public_id = body["public_id"]
    answer = client_for(supervisor).post(
        reverse("api:case-action-report_acknowledge", args=[public_id]),
        {"investigator": handler.username},
        format="json",
    )
    assert answer.status_code == 200, answer.json()
    assert answer.json()["status"] == "investigating"
    assert answer.json()["report"]["investigator"] == handler.username
