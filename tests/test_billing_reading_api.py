"""Meter-reading API: record, import, review queue, approve and reject; allowed role,
other role, anonymous; bad input changes nothing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.clients import client_for
from tests.factories import installed_account
from waterdesk.billing.models import MeterRead, ReadImport, ReadStatus
from waterdesk.billing.services.reading import meter_read_record
from waterdesk.customers.models import Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 28, 10, 0, tzinfo=SHANGHAI)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def route(reader):
    return Route.objects.create(code="r1", name="解放路", reader=reader)


def installed(number, *, route=None, initial="100"):
    return installed_account(number=number, route=route, initial=initial)


RECORD = reverse("api:billing-read-record")
IMPORT = reverse("api:billing-read-import")
REVIEW = reverse("api:billing-read-review")


def test_reader_records_a_read(reader, route):
    installed("1000000001", route=route)

    response = client_for(reader).post(
        RECORD,
        {"account": "1000000001", "read_on": "2026-03-28", "value": "112.5"},
        format="json",
    )

    assert response.status_code == 201, response.json()
    read = MeterRead.objects.get()
    assert response.json() == {
        "id": read.pk,
        "account": "1000000001",
        "meter": "M1000000001",
        "cycle": None,
        "read_on": "2026-03-28",
        "value": "112.50",
        "kind": "actual",
        "source": "manual",
        "status": "validated",
        "previous": None,
        "consumption": "12.50",
        "issues": [{"code": "first_read", "label": "首次抄表"}],
        "note": "",
        "entered_at": "2026-03-28T10:00:00+08:00",
        "reviewed_at": None,
        "review_note": "",
    }


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        ({"value": "-1"}, "invalid_read_value"),
        ({"value": "abc"}, "invalid_read_value"),
        ({"read_on": "2026-03-29"}, "read_in_future"),
        ({"account": "1999999999"}, "unknown_account"),
        ({"meter": "NOPE"}, "unknown_meter"),
        ({"read_on": "28.03.2026"}, "invalid_input"),
    ],
)
def test_bad_input_is_400_and_records_nothing(reader, route, payload, code):
    installed("1000000001", route=route)
    body = {"account": "1000000001", "read_on": "2026-03-28", "value": "110", **payload}

    response = client_for(reader).post(RECORD, body, format="json")

    assert (response.status_code, response.json()["code"]) == (400, code)
    assert MeterRead.objects.count() == 0


def test_duplicate_read_is_400(reader, route):
    installed("1000000001", route=route)
    body = {"account": "1000000001", "read_on": "2026-03-28", "value": "110"}
    client_for(reader).post(RECORD, body, format="json")

    response = client_for(reader).post(RECORD, {**body, "value": "111"}, format="json")

    assert (response.status_code, response.json()["code"]) == (400, "read_duplicate")
    assert MeterRead.objects.count() == 1


def test_reader_may_not_record_off_their_routes(reader, route):
    installed("1000000002")

    response = client_for(reader).post(
        RECORD, {"account": "1000000002", "read_on": "2026-03-28", "value": "110"}, format="json"
    )

    assert (response.status_code, response.json()["code"]) == (403, "account_not_on_route")
    assert MeterRead.objects.count() == 0


@pytest.mark.parametrize(
    ("method", "url", "allowed"),
    [
        ("post", RECORD, "reader"),
        ("post", IMPORT, "reader"),
        ("get", REVIEW, "billing_clerk"),
    ],
)
def test_access(request, method, url, allowed, clerk):
    anonymous = getattr(client_for(), method)(url)
    assert (anonymous.status_code, anonymous.json()["code"]) == (401, "not_authenticated")
    other = getattr(client_for(clerk), method)(url)
    assert (other.status_code, other.json()["code"]) == (403, "not_permitted")
    user = request.getfixturevalue(allowed)
    assert getattr(client_for(user), method)(url).status_code in {200, 400}


def test_import_by_api(reader, route):
    installed("1000000001", route=route)
    upload = SimpleUploadedFile(
        "reads.csv",
        b"account_number,read_on,value\n1000000001,2026-03-28,130\n1000000009,2026-03-28,1\n",
    )

    response = client_for(reader).post(
        IMPORT, {"file": upload, "source": "handheld"}, format="multipart"
    )

    assert response.status_code == 201, response.json()
    body = response.json()
    assert (
        body["lines_total"],
        body["lines_imported"],
        body["lines_duplicate"],
        body["lines_failed"],
    ) == (2, 1, 0, 1)
    assert body["errors"] == [
        {"line": 3, "code": "unknown_account", "message": "户号1000000009不存在。"}
    ]


def test_import_of_an_unreadable_file_is_400(reader):
    upload = SimpleUploadedFile("reads.csv", b"foo,bar\n1,2\n")

    response = client_for(reader).post(
        IMPORT, {"file": upload, "source": "amr"}, format="multipart"
    )

    assert (response.status_code, response.json()["code"]) == (400, "import_header")
    assert ReadImport.objects.count() == 0


@pytest.fixture
def pending(reader, route):
    account = installed("1000000001", route=route)
    meter_read_record(actor=reader, account=account, read_on=date(2026, 2, 28), value="500")
    return meter_read_record(actor=reader, account=account, read_on=date(2026, 3, 27), value="400")


def test_review_queue(billing_clerk, pending):
    response = client_for(billing_clerk).get(
        REVIEW, {"route": "r1", "issue": "negative_consumption"}
    )

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    item = body["results"][0]
    assert (item["id"], item["status"], item["consumption"], item["previous"]["value"]) == (
        pending.pk,
        "needs_review",
        None,
        "500.00",
    )
    assert item["issues"] == [{"code": "negative_consumption", "label": "用水量为负"}]
    assert client_for(billing_clerk).get(REVIEW, {"issue": "jump"}).json()["count"] == 0
    unknown = client_for(billing_clerk).get(REVIEW, {"cycle": "2099-01"})
    assert unknown.status_code == 404


def test_approve_and_reject(billing_clerk, pending):
    approve = reverse("api:billing-read-approve", kwargs={"read_id": pending.pk})
    reject = reverse("api:billing-read-reject", kwargs={"read_id": pending.pk})
    client = client_for(billing_clerk)

    required = client.post(approve, {}, format="json")
    assert (required.status_code, required.json()["code"]) == (400, "consumption_required")
    no_note = client.post(reject, {}, format="json")
    assert (no_note.status_code, no_note.json()["code"]) == (400, "note_required")
    pending.refresh_from_db()
    assert pending.status == ReadStatus.NEEDS_REVIEW

    approved = client.post(approve, {"consumption": "3", "note": "核实"}, format="json")
    assert approved.status_code == 200
    assert (approved.json()["status"], approved.json()["consumption"]) == ("validated", "3.00")
    again = client.post(reject, {"note": "x"}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "read_not_pending")


def test_reader_may_not_approve(reader, pending):
    approve = reverse("api:billing-read-approve", kwargs={"read_id": pending.pk})
    response = client_for(reader).post(approve, {"consumption": "3", "note": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (403, "not_permitted")
    pending.refresh_from_db()
    assert pending.status == ReadStatus.NEEDS_REVIEW


def test_unknown_read_is_404(billing_clerk):
    url = reverse("api:billing-read-reject", kwargs={"read_id": 999})
    response = client_for(billing_clerk).post(url, {"note": "x"}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")


def test_schema_documents_the_reading_endpoints(billing_clerk):
    response = client_for(billing_clerk).get(reverse("api:schema"), {"format": "json"})
    paths = response.json()["paths"]
    assert {
        "/api/billing/reads/",
        "/api/billing/reads/import/",
        "/api/billing/reads/review/",
        "/api/billing/reads/{read_id}/approve/",
        "/api/billing/reads/{read_id}/reject/",
    } <= set(paths)
