"""The public report form and the status look-up by tracking code: anonymous reports, a
code shown once and stored only as a hash, a wrong code showing nothing, the limits per
client address and the bot checks (nothing written when refused)."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.whistleblower_support import PDF, png, public_data, register, stamp
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import (
    REPORTER_PLACEHOLDER,
    Report,
    ReportEvidence,
    ReportIdentity,
)
from waterdesk.complaints.services.report import (
    TRACKING_ALPHABET,
    tracking_code_normal,
    tracking_hash,
)
from waterdesk.notify.models import Notification
from waterdesk.sla.models import SlaClock

pytestmark = pytest.mark.django_db

CODE = re.compile(r'id="tracking-code"><strong>([A-Z0-9-]+)</strong>')


def _written() -> tuple:
    return (
        Case.objects.count(),
        Report.objects.count(),
        ReportIdentity.objects.count(),
        ReportEvidence.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def _submit(client, **overrides):
    return client.post(reverse("portal:report"), public_data(**overrides))


def test_the_form_is_public_and_carries_the_bot_fields():
    response = Client().get(reverse("portal:report"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="website"' in body and 'name="form_started"' in body
    assert response["Cache-Control"].startswith("max-age=0")


def test_an_anonymous_report_gets_a_tracking_code_shown_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(Client(), evidence=[png("a.png"), png("b.png")])
    assert response.status_code == 200
    code = CODE.search(response.content.decode()).group(1)
    raw = tracking_code_normal(code)
    assert len(raw) == 16 and set(raw) <= set(TRACKING_ALPHABET)
    report = Report.objects.select_related("case").get()
    case = report.case
    assert (case.kind, case.status, case.channel, case.opened_by) == (
        "report",
        "received",
        "web",
        None,
    )
    assert (case.contact_name, case.contact_phone, case.customer) == (
        REPORTER_PLACEHOLDER,
        "",
        None,
    )
    assert case.number.startswith("JB-")
    assert report.tracking_hash == tracking_hash(code) and raw not in report.tracking_hash
    identity = ReportIdentity.objects.get(report=report)
    assert identity.is_anonymous
    assert sorted(ReportEvidence.objects.values_list("original_name", flat=True)) == [
        "a.png",
        "b.png",
    ]
    assert not Notification.objects.exists()  # nobody to tell
    assert sorted(SlaClock.objects.filter(case=case).values_list("milestone", flat=True)) == [
        "acknowledge",
        "conclude",
    ]


def test_a_named_report_is_acknowledged_by_sms_without_the_code(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(Client(), reporter_name="王五", reporter_phone="13800138000")
    code = CODE.search(response.content.decode()).group(1)
    notice = Notification.objects.get()
    assert (notice.template_key, notice.channel, notice.recipient_address) == (
        "report.received",
        "sms",
        "13800138000",
    )
    assert tracking_code_normal(code) not in tracking_code_normal(notice.body)
    assert "王五" not in notice.body


def test_the_status_page_shows_status_and_feedback_only():
    receipt = register(reporter_name="赵六", reporter_phone="13800138001")
    report = receipt.case.report
    client = Client()
    response = client.post(reverse("portal:report_status"), {"code": receipt.tracking_code})
    assert response.status_code == 200
    body = response.content.decode()
    assert "已受理" in body
    for hidden in ("赵六", "13800138001", "抄表员王某", "抄表时索要好处费", receipt.case.number):
        assert hidden not in body
    Report.objects.filter(pk=report.pk).update(feedback="经查属实，已严肃处理。")
    response = client.post(
        reverse("portal:report_status"), {"code": receipt.tracking_code.lower().replace("-", " ")}
    )
    assert "经查属实" not in response.content.decode()  # not given yet


def test_a_wrong_code_shows_nothing():
    register()
    for code in ("ABCD-EFGH-JKMN-PQRS", "ABC", ""):
        response = Client().post(reverse("portal:report_status"), {"code": code})
        assert response.status_code in (400, 404)
        body = response.content.decode()
        assert 'id="status-result"' not in body
        assert "抄表员王某" not in body


def test_the_status_look_up_is_limited_per_address(settings):
    settings.WATERDESK_PUBLIC_LOOKUP_LIMIT = 2
    receipt = register()
    client = Client(REMOTE_ADDR="203.0.113.9")
    statuses = [
        client.post(reverse("portal:report_status"), {"code": "WRONG-WRONG-WRONG"}).status_code
        for _ in range(2)
    ]
    limited = client.post(reverse("portal:report_status"), {"code": receipt.tracking_code})
    assert statuses == [404, 404]
    assert limited.status_code == 429
    assert 'id="status-result"' not in limited.content.decode()
    other = Client(REMOTE_ADDR="203.0.113.10")
    assert (
        other.post(reverse("portal:report_status"), {"code": receipt.tracking_code}).status_code
        == 200
    )


def test_the_form_is_limited_per_address_nothing_written(settings):
    client = Client(REMOTE_ADDR="198.51.100.7")
    from waterdesk.complaints import views_report

    limit = views_report.REPORT_LIMIT
    for _ in range(limit):
        assert _submit(client).status_code == 200
    before = _written()
    response = _submit(client)
    assert response.status_code == 429
    assert 'id="report-limited"' in response.content.decode()
    assert _written() == before


@pytest.mark.parametrize(
    "make",
    [
        lambda: {"website": "http://spam.example"},  # the honeypot
        lambda: {"form_started": stamp(seconds_ago=1)},  # sent back within seconds
        lambda: {"form_started": stamp(seconds_ago=3 * 3600)},  # a stale form
        lambda: {"form_started": "forged"},
        lambda: {"form_started": ""},
    ],
    ids=["honeypot", "too_fast", "expired", "forged", "missing"],
)
def test_bots_are_refused_and_nothing_is_written(make):
    before = _written()
    response = _submit(Client(), **make())
    assert response.status_code == 400
    assert 'id="report-refused"' in response.content.decode()
    assert _written() == before


def test_bad_evidence_is_refused_and_nothing_is_written(settings):
    before = _written()
    exe = SimpleUploadedFile("x.exe", b"MZ\x90\x00", content_type="application/pdf")
    response = _submit(Client(), evidence=[exe])
    assert response.status_code == 400
    assert "类型不支持" in response.content.decode()
    four = [SimpleUploadedFile(f"{n}.pdf", PDF) for n in range(4)]
    assert _submit(Client(), evidence=four).status_code == 400
    settings.WATERDESK_ATTACHMENT_MAX_BYTES = 10
    assert _submit(Client(), evidence=[png()]).status_code == 400
    assert _written() == before


def test_a_report_without_a_matter_is_refused():
    before = _written()
    response = _submit(Client(), matter="")
    assert response.status_code == 400
    assert _written() == before
