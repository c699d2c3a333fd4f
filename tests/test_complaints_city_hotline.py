"""The 12345 city hotline link: pushes become complaints once, the platform pulls our
replies and outcome, a wrong token or a conflicting push changes nothing."""

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.complaints_channels_support import city_platform_user
from tests.factories import UserFactory
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.complaints.models import Complaint, ComplaintRound
from waterdesk.complaints.services import city_hotline
from waterdesk.complaints.services.city_hotline import city_category, city_transfer_receive
from waterdesk.core.roles import Role
from waterdesk.notify.models import Notification

pytestmark = pytest.mark.django_db

URL = "/api/city-hotline/transfers/"
# A Monday morning in Beijing; the platform's deadline is Thursday evening.
NOW = dt.datetime.fromisoformat("2026-12-07T10:00:00+08:00")
DEADLINE = "2026-12-10T18:00:00+08:00"


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def _body(**changes) -> dict:
    body = {
        "reference": "SZ12345-20261207-0001",
        "deadline": DEADLINE,
        "complainant_name": "王芳",
        "complainant_phone": "13800138000",
        "matter": "小区连续三天水压很低，高层无法用水。",
        "demand": "尽快恢复正常水压并说明原因。",
        "category": "供水水压",
        "address": "城北区和平路8号",
    }
    body.update(changes)
    return body


@pytest.fixture
def platform():
    _user, key = city_platform_user()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _counts() -> tuple[int, int, int, int]:
    return (
        Case.objects.count(),
        Complaint.objects.count(),
        CaseEvent.objects.count(),
        Notification.objects.count(),
    )


def test_a_transfer_pushed_twice_is_one_case(platform):
    first = platform.post(URL, _body(), format="json")
    assert first.status_code == 201, first.json()
    data = first.json()
    complaint = Complaint.objects.select_related("case", "category").get()
    assert data["reference"] == "SZ12345-20261207-0001"
    assert data["case_number"] == complaint.case.number
    assert data["status"] == "registered"
    assert data["acknowledged"] is False
    assert data["round"] == 1
    assert [r["number"] for r in data["rounds"]] == [1]
    assert data["outcome"] is None
    case = complaint.case
    assert case.channel == "city_hotline"
    assert case.contact_name == "王芳"
    assert complaint.category.code == "supply"  # 供水水压 → 停水水压
    assert complaint.city_payload == _body()
    assert complaint.city_deadline == dt.datetime.fromisoformat(DEADLINE)
    assert "城北区和平路8号" in complaint.matter
    before = _counts()

    again = platform.post(URL, _body(), format="json")

    assert again.status_code == 200
    assert again.json()["case_number"] == case.number
    assert _counts() == before


def test_a_different_payload_under_a_known_reference_is_refused(platform):
    platform.post(URL, _body(), format="json")
    before = _counts()
    complaint = Complaint.objects.get()

    response = platform.post(URL, _body(matter="另一件事"), format="json")

    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_reference"
    assert response.json()["field"] == "reference"
    assert _counts() == before
    complaint.refresh_from_db()
    assert complaint.city_payload == _body()


def test_our_reply_is_returned_to_the_platform_pull(platform):
    platform.post(URL, _body(), format="json")
    complaint = Complaint.objects.get()
    handler = UserFactory(role=Role.COMPLAINT_HANDLER)
    replied_at = timezone.now()
    ComplaintRound.objects.filter(complaint=complaint, number=1).update(
        reply="经核查系加压泵站故障，已于当日修复。",
        basis="《城市供水服务规范》第5条",
        reply_channel="city_hotline",
        replied_at=replied_at,
        replied_by=handler,
    )

    response = platform.get(f"{URL}SZ12345-20261207-0001/")

    assert response.status_code == 200
    (round_one,) = response.json()["rounds"]
    assert round_one["reply"] == "经核查系加压泵站故障，已于当日修复。"
    assert round_one["basis"] == "《城市供水服务规范》第5条"
    assert round_one["replied_at"] is not None
    assert round_one["response"] == ""


def test_the_outcome_is_pulled_once_closed(platform):
    platform.post(URL, _body(), format="json")
    complaint = Complaint.objects.get()
    handler = UserFactory(role=Role.COMPLAINT_HANDLER)
    now = timezone.now()
    ComplaintRound.objects.filter(complaint=complaint).update(
        reply="已修复",
        basis="现场核查",
        replied_at=now,
        replied_by=handler,
        response="satisfied",
        response_at=now,
    )
    Case.objects.filter(pk=complaint.pk).update(status="closed", closed_at=now)

    data = platform.get(f"{URL}SZ12345-20261207-0001/").json()

    assert data["status"] == "closed"
    assert data["outcome"]["reply"] == "已修复"
    assert data["outcome"]["response"] == "satisfied"
    assert data["outcome"]["status"] == "closed"


def test_polling_lists_the_transfers_changed_since(platform, pinned):
    platform.post(URL, _body(), format="json")
    since = timezone.now()
    pinned.shift(dt.timedelta(minutes=5))
    platform.post(URL, _body(reference="SZ-2"), format="json")
    complaint = Complaint.objects.get(city_reference="SZ12345-20261207-0001")
    assert platform.get(URL).json()["count"] == 2

    listed = platform.get(URL, {"updated_since": since.isoformat()})
    assert listed.status_code == 200
    assert [row["reference"] for row in listed.json()["results"]] == ["SZ-2"]

    later = timezone.now() + dt.timedelta(hours=1)
    assert platform.get(URL, {"updated_since": later.isoformat()}).json()["count"] == 0
    ComplaintRound.objects.filter(complaint=complaint).update(
        reply="已处理",
        replied_at=later + dt.timedelta(minutes=1),
        replied_by=UserFactory(),
    )
    changed = platform.get(URL, {"updated_since": later.isoformat()}).json()
    assert [row["reference"] for row in changed["results"]] == ["SZ12345-20261207-0001"]
    assert platform.get(URL, {"updated_since": "yesterday"}).status_code == 400


def test_a_bad_token_is_401_and_nothing_is_written():
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
    before = _counts()

    response = client.post(URL, _body(), format="json")

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert _counts() == before
    assert APIClient().post(URL, _body(), format="json").status_code == 401
    assert _counts() == before


@pytest.mark.parametrize("role", [Role.SUPERVISOR, Role.COMPLAINT_HANDLER, Role.ADMINISTRATOR])
def test_staff_may_not_push_or_pull(role):
    client = APIClient()
    client.force_authenticate(UserFactory(role=role))
    before = _counts()
    assert client.post(URL, _body(), format="json").status_code == 403
    assert client.get(URL).status_code == 403
    assert _counts() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"complainant_phone": "12"}, "complainant_phone"),
        ({"complainant_name": ""}, "complainant_name"),
        ({"reference": "has space"}, "reference"),
        ({"matter": ""}, "matter"),
        ({"deadline": "not a date"}, "deadline"),
    ],
)
def test_invalid_input_names_the_platform_field(platform, changes, field):
    before = _counts()

    response = platform.post(URL, _body(**changes), format="json")

    assert response.status_code == 400
    body = response.json()
    assert field in body.get("fields", {}) or body.get("field") == field, body
    assert _counts() == before


def test_a_past_deadline_is_refused_on_the_platform_field(platform):
    past = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    response = platform.post(URL, _body(deadline=past), format="json")
    assert response.status_code == 400
    assert response.json() | {"message": ""} == {
        "code": "deadline_past",
        "field": "deadline",
        "message": "",
    }
    assert Case.objects.count() == 0


def test_an_unknown_reference_is_not_found(platform):
    response = platform.get(f"{URL}NOPE-1/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_platform_categories_map_to_ours(db):
    assert city_category("水费收费争议").code == "billing"
    assert city_category("服务态度").code == "service_attitude"
    assert city_category("城市管理").code == "other"
    assert city_category("").code == "other"


def test_a_push_that_loses_the_race_answers_with_the_winners_case(platform, monkeypatch):
    """The other push committed between our look-up and our insert: the unique constraint
    refuses ours, its savepoint rolls back, and the answer is the winner's case."""
    platform.post(URL, _body(), format="json")
    winner = Complaint.objects.get()
    before = _counts()
    looked_up = []

    def not_yet_seen(reference):
        if not looked_up:
            looked_up.append(reference)
            return None
        return Complaint.objects.select_related("case").filter(city_reference=reference).first()

    monkeypatch.setattr(city_hotline, "_existing", not_yet_seen)

    response = platform.post(URL, _body(), format="json")

    assert response.status_code == 200
    assert response.json()["case_number"] == winner.case.number
    assert _counts() == before


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_identical_pushes_racing_make_one_case():
    user, _key = city_platform_user()
    body = _body()
    results, errors = [], []
    barrier = threading.Barrier(2)

    def push():
        try:
            barrier.wait()
            received = city_transfer_receive(
                actor=user,
                reference=body["reference"],
                deadline=dt.datetime.fromisoformat(body["deadline"]),
                complainant_name=body["complainant_name"],
                complainant_phone=body["complainant_phone"],
                matter=body["matter"],
                demand=body["demand"],
                category=body["category"],
                address=body["address"],
                payload=body,
            )
            results.append(received)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=push) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert Complaint.objects.count() == 1
    assert sorted(r.created for r in results) == [False, True]
    assert len({r.case.pk for r in results}) == 1
