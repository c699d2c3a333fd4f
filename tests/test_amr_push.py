"""The head-ends' push API (issue 15 §4): 10,000 readings pushed twice are stored once;
a bad token is refused; every bad item is refused with its reason and the good ones kept."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.amr_support import item, moment, new_head_end, pinned, push, remote_meter
from tests.factories import installed_account
from waterdesk.amr.models import RemoteMeter, RemoteReading
from waterdesk.amr.services.head_ends import head_end_token_issue
from waterdesk.billing.models import ReadStatus
from waterdesk.billing.services.reading import meter_read_record

pytestmark = pytest.mark.django_db

NOW = date(2026, 3, 1)


def test_ten_thousand_readings_pushed_twice_are_stored_once(client):
    head_end, key = new_head_end()
    meters = [remote_meter(head_end, f"IMEI{n:04d}") for n in range(10)]
    start = moment(date(2026, 1, 2), 0)
    items = [
        item(meter.device_id, start + timedelta(hours=hour), Decimal(hour) / 100)
        for meter in meters
        for hour in range(1000)
    ]
    assert len(items) == 10_000

    def push_all():
        totals = {"received": 0, "stored": 0, "duplicate": 0, "rejected": 0}
        for first in (0, 5000):
            response = push(client, key, items[first : first + 5000])
            assert response.status_code == 200, response.content
            body = response.json()
            for name in ("received", "stored", "duplicate"):
                totals[name] += body[name]
            totals["rejected"] += len(body["rejected"])
        return totals

    with pinned(NOW):
        first = push_all()
        second = push_all()

    assert first == {"received": 10_000, "stored": 10_000, "duplicate": 0, "rejected": 0}
    assert second == {"received": 10_000, "stored": 0, "duplicate": 10_000, "rejected": 0}
    assert RemoteReading.objects.count() == 10_000
    last = RemoteMeter.objects.get(device_id="IMEI0003")
    assert last.last_seen_at == start + timedelta(hours=999)
    assert last.last_value == Decimal("9.990")


def test_a_batch_above_the_limit_is_refused_whole(client):
    head_end, key = new_head_end()
    remote_meter(head_end, "IMEI1")
    at = moment(date(2026, 2, 1))
    with pinned(NOW):
        response = push(client, key, [item("IMEI1", at, "1")] * 5001)
    assert response.status_code == 400
    assert response.json()["code"] == "batch_too_large"
    assert RemoteReading.objects.count() == 0


def test_a_bad_or_replaced_token_is_refused(client):
    head_end, key = new_head_end()
    remote_meter(head_end, "IMEI1")
    good = [item("IMEI1", moment(date(2026, 2, 1)), "1")]
    with pinned(NOW):
        assert push(client, "not-a-token", good).status_code == 401
        new_key = head_end_token_issue(actor=head_end_admin(), head_end=head_end)
        assert push(client, key, good).status_code == 401  # the old key stopped working
        assert RemoteReading.objects.count() == 0
        assert push(client, new_key, good).status_code == 200
    assert RemoteReading.objects.count() == 1
    head_end.refresh_from_db()
    assert new_key not in head_end.token_hash and len(head_end.token_hash) == 64


def head_end_admin():
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin-he1")


def test_a_staff_session_may_not_push(client):
    from tests.factories import UserFactory
    from waterdesk.core.roles import Role

    new_head_end()
    client.force_login(UserFactory(username="boss", role=Role.ADMINISTRATOR))
    response = client.post("/api/amr/readings/", {"readings": []}, content_type="application/json")
    assert response.status_code in (401, 403)


def test_every_bad_item_is_refused_with_its_reason(client):
    head_end, key = new_head_end()
    other, _other_key = new_head_end("he2")
    account = installed_account()
    mine = remote_meter(head_end, "IMEI-MINE", account=account)
    remote_meter(other, "IMEI-OTHER")
    with pinned(date(2026, 2, 1), 12):
        billed = meter_read_record(
            actor=None, account=account, read_on=date(2026, 2, 1), value="30"
        )
    assert billed.status == ReadStatus.VALIDATED
    items = [
        item("IMEI-NOBODY", moment(date(2026, 2, 10)), "1"),  # 0 unknown
        item("IMEI-OTHER", moment(date(2026, 2, 10)), "1"),  # 1 another head-end's
        item("IMEI-MINE", moment(date(2026, 2, 10)), "abc"),  # 2 not a number
        item("IMEI-MINE", moment(date(2026, 3, 2)), "40"),  # 3 in the future
        item("IMEI-MINE", moment(date(2026, 1, 31), 23), "29"),  # 4 before the billed read
        {"device_id": "IMEI-MINE", "read_at": "yesterday", "value": "1"},  # 5
        item("IMEI-MINE", moment(date(2026, 2, 1), 20), "30.125"),  # 6 good (billed day)
        item("IMEI-MINE", moment(date(2026, 2, 10)), "-1"),  # 7 negative
        item("IMEI-MINE", moment(date(2026, 2, 11)), "35", leak="maybe"),  # 8 bad flag
        item("IMEI-MINE", moment(date(2026, 2, 12)), "36", reverse_flow=True),  # 9 good
    ]
    with pinned(NOW):
        response = push(client, key, items)
    assert response.status_code == 200
    body = response.json()
    assert (body["received"], body["stored"], body["duplicate"]) == (10, 2, 0)
    assert [(row["index"], row["code"]) for row in body["rejected"]] == [
        (0, "unknown_meter"),
        (1, "meter_of_another_head_end"),
        (2, "invalid_value"),
        (3, "reading_in_future"),
        (4, "older_than_billed_read"),
        (5, "invalid_timestamp"),
        (7, "invalid_value"),
        (8, "invalid_flag"),
    ]
    assert all(row["message"] for row in body["rejected"])
    stored = list(mine.readings.order_by("read_at").values_list("value", "reverse_flow"))
    assert stored == [(Decimal("30.125"), False), (Decimal("36.000"), True)]


def test_the_push_is_documented_in_the_openapi_schema(client):
    from tests.factories import UserFactory
    from waterdesk.core.roles import Role

    client.force_login(UserFactory(username="admin", role=Role.ADMINISTRATOR))
    schema = client.get("/api/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/amr/readings/" in paths
    assert "/api/amr/valve-commands/{public_id}/confirm/" in paths
