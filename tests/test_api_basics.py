"""Authentication, error shapes, lists and queue, calendar, schema and offline docs."""

import datetime as dt
import json

import pytest
import time_machine
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.clients import client_for
from tests.factories import (
    DepartmentFactory,
    UserFactory,
    registered_new_connection,
)
from waterdesk.applications.new_connection import (
    new_connection_assign_survey,
    new_connection_withdraw,
)
from waterdesk.cases.models import Case
from waterdesk.core.timeutil import LOCAL_TZ

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=LOCAL_TZ)


# --- authentication and error shapes --------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/cases/"),
        ("get", "/api/cases/queue/"),
        ("get", "/api/customers/?q=x"),
        ("get", "/api/calendar/due/?working_days=1"),
        ("post", "/api/new-connections/"),
        ("post", "/api/customers/"),
    ],
)
def test_anonymous_requests_are_401_with_a_challenge(method, url):
    response = getattr(APIClient(), method)(url, {} if method == "post" else None, format="json")

    assert response.status_code == 401
    assert response.json() == {"code": "not_authenticated", "message": "请先登录。"}
    assert response["WWW-Authenticate"] == 'Token realm="waterdesk"'


@pytest.mark.django_db
def test_anonymous_actions_change_nothing(clerk):
    case = registered_new_connection(clerk)

    response = APIClient().post(
        f"/api/cases/{case.public_id}/actions/withdraw/", {"reason": "x"}, format="json"
    )

    assert response.status_code == 401
    case.refresh_from_db()
    assert (case.status, case.version) == ("registered", 1)


@pytest.mark.django_db
def test_wrong_token_is_401(clerk):
    Token.objects.create(user=clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)

    response = client.get("/api/cases/")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_token_authentication_works(clerk):
    token = Token.objects.create(user=clerk)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get("/api/cases/").status_code == 200


@pytest.mark.django_db
def test_session_writes_need_the_csrf_token(clerk):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(clerk)

    response = client.post("/api/customers/", {"kind": "person"}, format="json")

    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")


@pytest.mark.django_db
def test_malformed_json_is_parse_error(clerk):
    response = client_for(clerk).post(
        "/api/new-connections/", data="{not json", content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert Case.objects.count() == 0


@pytest.mark.django_db
def test_wrong_method_is_405(clerk):
    response = client_for(clerk).delete("/api/cases/")

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


@pytest.mark.django_db
def test_messages_follow_the_requested_language(clerk):
    response = client_for(clerk).get(
        "/api/cases/00000000-0000-0000-0000-000000000000/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "记录不存在或您无权查看。"}


# --- lists and queue ------------------------------------------------------------------


@pytest.mark.django_db
def test_case_list_is_scoped_filtered_and_paginated(clerk, supervisor):
    with time_machine.travel(NOW, tick=False) as traveller:
        first = registered_new_connection(clerk)
        traveller.shift(dt.timedelta(minutes=5))
        second = registered_new_connection(clerk, materials_received=["id_card"])
        traveller.shift(dt.timedelta(minutes=5))
        closed = registered_new_connection(clerk)
        new_connection_withdraw(actor=clerk, case=closed, reason="客户撤回")
    stranger = UserFactory(
        username="stranger", department=DepartmentFactory(code="south", name="城南营业所")
    )

    everything = client_for(supervisor).get("/api/cases/").json()
    open_only = client_for(clerk).get("/api/cases/", {"open": "true"}).json()
    closed_only = client_for(clerk).get("/api/cases/", {"open": "false"}).json()
    pending = client_for(clerk).get("/api/cases/", {"status": "materials_pending"}).json()
    hidden = client_for(stranger).get("/api/cases/").json()
    bad_kind = client_for(clerk).get("/api/cases/", {"kind": "no_such_kind"})

    assert everything["count"] == 3
    assert [c["number"] for c in everything["results"]] == [
        closed.number,
        second.number,
        first.number,
    ]
    assert [c["number"] for c in open_only["results"]] == [second.number, first.number]
    assert [c["number"] for c in closed_only["results"]] == [closed.number]
    assert [c["number"] for c in pending["results"]] == [second.number]
    assert pending["results"][0]["status_display"] == "待补材料"
    assert hidden == {"count": 0, "next": None, "previous": None, "results": []}
    assert (bad_kind.status_code, list(bad_kind.json()["fields"])) == (400, ["kind"])


@pytest.mark.django_db
def test_queue_shows_what_the_user_can_act_on(clerk, surveyor, reviewer):
    with time_machine.travel(NOW, tick=False):
        waiting = registered_new_connection(clerk)
        assigned = registered_new_connection(clerk)
        new_connection_assign_survey(actor=clerk, case=assigned, surveyor=surveyor)

    surveyor_queue = client_for(surveyor).get("/api/cases/queue/").json()
    clerk_queue = client_for(clerk).get("/api/cases/queue/").json()
    reviewer_queue = client_for(reviewer).get("/api/cases/queue/").json()

    assert [c["number"] for c in surveyor_queue["results"]] == [assigned.number]
    assert surveyor_queue["results"][0]["assignee"] == "surveyor"
    # The assigned case waits for its surveyor, not for the clerk.
    assert [c["number"] for c in clerk_queue["results"]] == [waiting.number]
    assert clerk_queue["results"][0]["next_due_at"] == "2026-03-03T17:30:00+08:00"
    assert reviewer_queue["count"] == 0


# --- calendar -------------------------------------------------------------------------


@pytest.mark.django_db
def test_due_over_the_spring_festival(reviewer):
    response = client_for(reviewer).get(
        "/api/calendar/due/", {"start": "2026-02-13T10:00", "working_days": "5"}
    )

    assert response.status_code == 200, response.json()
    assert response.json() == {
        "start": "2026-02-13T10:00:00+08:00",
        "unit": "working_days",
        "amount": "5.00",
        "due_at": "2026-02-27T17:30:00+08:00",
        "provisional_years": [],
    }


@pytest.mark.django_db
def test_due_in_working_and_calendar_hours(reviewer):
    client = client_for(reviewer)

    working = client.get(
        "/api/calendar/due/", {"start": "2026-03-06T16:00+08:00", "working_hours": "4"}
    )
    calendar = client.get("/api/calendar/due/", {"start": "2026-03-06T16:00", "hours": "24"})

    # Friday 16:00 + 4 working hours: 1.5 h on Friday, 2.5 h from Monday 08:30.
    assert working.json()["due_at"] == "2026-03-09T11:00:00+08:00"
    assert calendar.json()["due_at"] == "2026-03-07T16:00:00+08:00"
    assert calendar.json()["unit"] == "calendar_hours"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        {"start": "2026-02-13T10:00"},
        {"working_days": "1", "hours": "2"},
        {"working_days": "-1"},
        {"working_days": "1", "start": "yesterday"},
    ],
)
def test_due_needs_exactly_one_valid_amount(reviewer, query):
    response = client_for(reviewer).get("/api/calendar/due/", query)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_input"


# --- schema and docs ------------------------------------------------------------------


@pytest.mark.django_db
def test_schema_is_openapi_json_with_the_paths_and_error_codes(clerk):
    response = client_for(clerk).get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")

    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    assert {
        "/api/cases/",
        "/api/cases/queue/",
        "/api/cases/{public_id}/",
        "/api/cases/{public_id}/receipt.pdf",
        "/api/cases/{public_id}/attachments/",
        "/api/cases/{public_id}/actions/review_pass/",
        "/api/cases/{public_id}/actions/assess_fee/",
        "/api/new-connections/",
        "/api/customers/",
        "/api/customers/{public_id}/",
        "/api/calendar/due/",
    } <= set(schema["paths"])
    assess_fee = schema["paths"]["/api/cases/{public_id}/actions/assess_fee/"]["post"]
    assert assess_fee["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/AssessFee"
    }
    assert set(assess_fee["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    header = next(p for p in assess_fee["parameters"] if p["name"] == "Idempotency-Key")
    assert (header["in"], header["required"]) == ("header", True)
    for code in (
        "invalid_input",
        "not_authenticated",
        "not_permitted",
        "not_found",
        "illegal_transition",
        "concurrent_update",
        "invalid_resident_id",
    ):
        assert f"`{code}`" in schema["info"]["description"]


@pytest.mark.django_db
def test_schema_generation_has_no_warnings():
    from django.core.management import call_command

    call_command(
        "spectacular",
        "--custom-settings",
        "waterdesk.api.schema.SCHEMA_SETTINGS",
        "--validate",
        "--fail-on-warn",
        "--file",
        "/dev/null",
    )


@pytest.mark.django_db
def test_docs_are_served_offline(clerk):
    client = APIClient()
    client.force_login(clerk)
    response = client.get("/api/docs/")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    for word in ("cdn", "jsdelivr", "unpkg"):
        assert word not in html.lower()
    bundle = "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js"
    assert bundle in html
    # The start-up script is a file of its own (no inline script under the CSP).
    assert '<script src="/api/docs/?script="></script>' in html
    startup = client.get("/api/docs/?script=")
    assert startup.status_code == 200
    assert "/api/schema/" in startup.content.decode()
    script = APIClient().get(bundle)
    assert script.status_code == 200
