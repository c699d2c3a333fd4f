"""Acceptance: a clerk cannot see a whistleblower's identity on page or API; a supervisor
can, and the view is logged (and the clerk's attempts are logged, nothing else changed)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from tests.clients import client_for
from tests.whistleblower_support import handler, register
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import REPORTER_PLACEHOLDER, ReporterIdentityView

pytestmark = pytest.mark.django_db
__all__ = ["handler"]

NAME, PHONE, EMAIL = "李举报", "13911112222", "jubao@example.com"


@pytest.fixture
def named(clerk):
    receipt = register(
        actor=clerk,
        channel="counter",
        reporter_name=NAME,
        reporter_phone=PHONE,
        reporter_email=EMAIL,
    )
    return receipt.case


def _page(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _state(case):
    case.refresh_from_db()
    return (case.status, case.version, CaseEvent.objects.filter(case=case).count())


def test_the_case_carries_no_identity(named):
    assert (named.contact_name, named.contact_phone) == (REPORTER_PLACEHOLDER, "")


def test_a_clerk_sees_no_identity_on_the_case_page_and_no_button(named, clerk):
    response = _page(clerk).get(reverse("workbench:case", args=[named.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    for value in (NAME, PHONE, EMAIL):
        assert value not in body
    assert REPORTER_PLACEHOLDER in body
    assert "查看举报人身份" not in body
    assert 'id="report-identity-log"' not in body


def test_a_clerk_is_refused_on_the_page_and_the_attempt_logged(named, clerk):
    before = _state(named)
    response = _page(clerk).post(
        reverse("workbench:report_identity", args=[named.public_id]), {"reason": "好奇"}
    )
    assert response.status_code == 403
    body = response.content.decode()
    assert "仅限服务监督员查看" in body
    for value in (NAME, PHONE, EMAIL):
        assert value not in body
    log = ReporterIdentityView.objects.get()
    assert (log.user, log.case, log.granted, log.reason, log.channel) == (
        clerk,
        named,
        False,
        "好奇",
        "page",
    )
    assert _state(named) == before


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_clerk_is_refused_on_the_api_and_the_attempt_logged(named, clerk, method):
    before = _state(named)
    url = reverse("api:report-identity", args=[named.public_id])
    client = client_for(clerk)
    if method == "get":
        response = client.get(url, {"reason": "核对"})
    else:
        response = client.post(url, {"reason": "核对"}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "identity_not_permitted"
    assert NAME not in json.dumps(response.json(), ensure_ascii=False)
    log = ReporterIdentityView.objects.get()
    assert (log.user, log.granted, log.channel) == (clerk, False, "api")
    assert _state(named) == before


def test_a_complaint_handler_and_an_administrator_are_refused_too(named, handler, administrator):
    for user in (handler, administrator):
        response = client_for(user).post(
            reverse("api:report-identity", args=[named.public_id]), {"reason": "x"}, format="json"
        )
        assert response.status_code == 403
    assert list(
        ReporterIdentityView.objects.order_by("pk").values_list("user__username", "granted")
    ) == [("handler", False), ("admin", False)]


def test_a_supervisor_sees_the_button_opens_the_identity_and_the_view_is_logged(
    named, supervisor, clerk
):
    client = _page(supervisor)
    case_url = reverse("workbench:case", args=[named.public_id])
    page = client.get(case_url).content.decode()
    assert "查看举报人身份" in page
    assert NAME not in page
    before = _state(named)
    response = client.post(
        reverse("workbench:report_identity", args=[named.public_id]), {"reason": "核实举报线索"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    for value in (NAME, PHONE, EMAIL):
        assert value in body
    log = ReporterIdentityView.objects.get()
    assert (log.user, log.granted, log.reason, log.channel) == (
        supervisor,
        True,
        "核实举报线索",
        "page",
    )
    assert _state(named) == before
    # The clerk's refused attempt and the supervisor's view are both on the case page.
    _page(clerk).post(reverse("workbench:report_identity", args=[named.public_id]), {})
    page = client.get(case_url).content.decode()
    assert 'id="report-identity-log"' in page
    assert "核实举报线索" in page and "已拒绝" in page


def test_a_supervisor_opens_the_identity_on_the_api(named, supervisor):
    response = client_for(supervisor).get(
        reverse("api:report-identity", args=[named.public_id]), {"reason": "约谈举报人"}
    )
    assert response.status_code == 200
    assert response.json() == {
        "case": named.number,
        "anonymous": False,
        "name": NAME,
        "phone": PHONE,
        "email": EMAIL,
    }
    assert ReporterIdentityView.objects.get().granted is True


def test_a_supervisor_without_a_reason_is_asked_for_one_and_nothing_is_logged(named, supervisor):
    response = client_for(supervisor).post(
        reverse("api:report-identity", args=[named.public_id]), {}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "reason_required"
    page = _page(supervisor).post(reverse("workbench:report_identity", args=[named.public_id]))
    assert page.status_code == 400
    assert NAME not in page.content.decode()
    assert not ReporterIdentityView.objects.exists()


def test_anonymous_users_are_not_logged_and_not_answered(named):
    response = client_for(None).get(reverse("api:report-identity", args=[named.public_id]))
    assert response.status_code == 401
    assert not ReporterIdentityView.objects.exists()


def test_the_api_case_detail_and_list_never_contain_the_identity(named, supervisor):
    client = client_for(supervisor)
    detail = client.get(reverse("api:case-detail", args=[named.public_id]))
    listing = client.get(reverse("api:case-list"), {"kind": "report"})
    assert detail.status_code == listing.status_code == 200
    for response in (detail, listing):
        text = json.dumps(response.json(), ensure_ascii=False)
        for value in (NAME, PHONE, EMAIL):
            assert value not in text
    assert detail.json()["contact_name"] == REPORTER_PLACEHOLDER
    assert detail.json()["report"]["subject"] == "抄表员王某"


def test_the_supervisor_queue_and_timeline_never_show_the_identity(named, supervisor):
    client = _page(supervisor)
    for url in (reverse("workbench:queue"), reverse("workbench:case", args=[named.public_id])):
        body = client.get(url).content.decode()
        for value in (NAME, PHONE, EMAIL):
            assert value not in body


def test_the_log_is_append_only(named, supervisor):
    client_for(supervisor).get(
        reverse("api:report-identity", args=[named.public_id]), {"reason": "核实"}
    )
    log = ReporterIdentityView.objects.get()
    log.reason = "改写"
    with pytest.raises(ValueError):
        log.save()
    with pytest.raises(ValueError):
        log.delete()
    assert Case.objects.filter(pk=named.pk).exists()
