"""Meter-reading pages: access (allowed role, other role, anonymous), the route sheet with
htmx entry, the import page, the review queue and the reading cycles."""

import re
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import installed_account
from waterdesk.billing.models import MeterRead, ReadImport, ReadingCycle, ReadStatus
from waterdesk.billing.selectors.reading import AccountUse, UsePeriod
from waterdesk.billing.services.reading import meter_read_record, reading_cycle_create
from waterdesk.customers.models import Route

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 28, 10, 0, tzinfo=SHANGHAI)
HTMX = {"HTTP_HX_REQUEST": "true"}
HAN = re.compile(r"[\u4e00-\u9fff]")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _pinned_time():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def cycle(billing_clerk):
    return reading_cycle_create(
        actor=billing_clerk,
        code="2026-03",
        period_start=date(2026, 3, 1),
        period_end=date(2026, 3, 31),
        read_from=date(2026, 3, 25),
        read_to=date(2026, 4, 5),
    )


@pytest.fixture
def route(reader):
    return Route.objects.create(code="r1", name="解放路", reader=reader)


def installed(number, *, route=None, initial="100"):
    account = installed_account(number=number, route=route, initial=initial)
    return account, account.meters.get()


HISTORY = [(date(2026, 1, 2), "110"), (date(2026, 2, 1), "122"), (date(2026, 3, 3), "140")]


def with_history(reader, account):
    """A first read, then two periods of 30 days: 12 and 18 m³ (15.00 m³ a month)."""
    for day, value in HISTORY:
        meter_read_record(actor=reader, account=account, read_on=day, value=value)


def pending_after_history(reader, number, *, route=None):
    """An account with ``HISTORY`` whose next read (130 after 140) waits for review."""
    account, _meter = installed(number, route=route)
    with_history(reader, account)
    read = meter_read_record(actor=reader, account=account, read_on=date(2026, 3, 27), value="130")
    return account, read


def queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, params).status_code == 200
    return len(captured)


# --- access ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "allowed", "refused"),
    [
        ("billing:reading_entry", "reader", "clerk"),
        ("billing:reading_import", "reader", "outsider"),
        ("billing:reading_review", "billing_clerk", "reader"),
        ("billing:reading_cycles", "billing_clerk", "reader"),
    ],
)
def test_page_access(client, request, url_name, allowed, refused):
    url = reverse(url_name)
    response = client.get(url)
    assert (response.status_code, response["Location"]) == (302, f"/login/?next={url}")

    client.force_login(request.getfixturevalue(refused))
    response = client.get(url)
    assert response.status_code == 403
    assert "您没有执行此操作的权限。" in response.content.decode()

    client.force_login(request.getfixturevalue(allowed))
    assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("url_name", "kwargs"),
    [
        ("billing:reading_entry_record", {}),
        ("billing:reading_review_approve", {"read_id": 1}),
        ("billing:reading_review_reject", {"read_id": 1}),
        ("billing:reading_cycles", {}),
    ],
)
def test_posts_are_refused_to_outsiders(client, outsider, url_name, kwargs):
    url = reverse(url_name, kwargs=kwargs)
    assert client.post(url, {})["Location"] == f"/login/?next={url}"
    client.force_login(outsider)
    assert client.post(url, {}).status_code == 403


def test_reader_may_not_create_cycles(client, reader):
    client.force_login(reader)
    response = client.post(reverse("billing:reading_cycles"), {"code": "2026-04"})
    assert response.status_code == 403
    assert ReadingCycle.objects.count() == 0


# --- entry ----------------------------------------------------------------------------


def test_route_sheet_lists_the_readers_route(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    installed("1000000002")  # not on the route
    client.force_login(reader)

    response = client.get(reverse("billing:reading_entry"))

    page = response.content.decode()
    assert response.context["route"] == route
    assert response.context["cycle"] == cycle
    assert [entry["row"].account for entry in response.context["rows"]] == [account]
    assert "1000000001" in page and "1000000002" not in page
    assert f'name="m{meter.pk}-value"' in page


def test_route_sheet_shows_last_read_and_monthly_average_beside_each_input(
    client, reader, route, cycle
):
    account, meter = installed("1000000001", route=route)
    with_history(reader, account)
    _new, new_meter = installed("1000000002", route=route)
    client.force_login(reader)

    response = client.get(reverse("billing:reading_entry"))

    page = response.content.decode()
    first, second = response.context["rows"]
    assert first["row"].use == AccountUse(
        periods=(
            UsePeriod(date(2026, 3, 3), date(2026, 2, 1), Decimal("18.00")),
            UsePeriod(date(2026, 2, 1), date(2026, 1, 2), Decimal("12.00")),
        ),
        monthly_average=Decimal("15.00"),
    )
    assert (first["autofocus"], second["autofocus"]) == (True, False)
    assert (
        f'<td class="numeric nowrap entry-last" id="last-{meter.pk}">'
        '<span class="cell-label">上次读数</span>140.00 '
        '<small class="muted">2026-03-03</small></td>'
    ) in page
    assert (
        f'<td class="numeric nowrap entry-average" id="average-{meter.pk}">'
        '<span class="cell-label">月均用水量</span>15.00 m³</td>'
    ) in page
    assert (
        f'<td class="numeric nowrap entry-average" id="average-{new_meter.pk}">'
        '<span class="cell-label">月均用水量</span><span class="muted">无历史</span></td>'
    ) in page
    assert (
        f'<label for="id_m{meter.pk}-value" class="visually-hidden">户号1000000001本次读数</label>'
    ) in page
    assert f'aria-describedby="last-{meter.pk} average-{meter.pk}"' in page
    assert page.count(" autofocus>") == 1
    assert (
        '<p id="read-counter" class="read-counter" role="status" aria-live="polite" '
        'aria-atomic="true" tabindex="-1">已抄 0 / 共 2</p>'
    ) in page


def test_route_sheet_queries_do_not_grow_with_the_route(client, reader, route, cycle):
    for number in ("1000000001", "1000000002"):
        account, _meter = installed(number, route=route)
        with_history(reader, account)
    client.force_login(reader)
    url = reverse("billing:reading_entry")
    small = queries(client, url)

    for number in ("1000000003", "1000000004", "1000000005", "1000000006"):
        account, _meter = installed(number, route=route)
        with_history(reader, account)
        meter_read_record(actor=reader, account=account, read_on=date(2026, 3, 27), value="150")

    assert len(client.get(url).context["rows"]) == 6
    assert queries(client, url) == small


def entry_post(client, account, meter, cycle, value, **extra):
    prefix = f"m{meter.pk}"
    data = {
        "prefix": prefix,
        f"{prefix}-account": str(account.public_id),
        f"{prefix}-meter": str(meter.pk),
        f"{prefix}-cycle": str(cycle.pk) if cycle else "",
        f"{prefix}-read_on": "2026-03-28",
        f"{prefix}-value": value,
        f"{prefix}-kind": "actual",
    }
    data.update(extra)
    return client.post(reverse("billing:reading_entry_record"), data, **HTMX)


def test_htmx_entry_shows_the_consumption(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    client.force_login(reader)

    response = entry_post(client, account, meter, cycle, "112.5")

    assert response.status_code == 200
    page = response.content.decode()
    assert "用水量 12.50 m³" in page
    assert "已审核" in page
    read = MeterRead.objects.get()
    assert (read.value, read.consumption, read.cycle, read.entered_by) == (
        Decimal("112.50"),
        Decimal("12.50"),
        cycle,
        reader,
    )


def test_htmx_entry_updates_the_counter_out_of_band(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    other, other_meter = installed("1000000002", route=route)
    client.force_login(reader)

    saved = entry_post(client, account, meter, cycle, "112.5").content.decode()
    refused = entry_post(client, other, other_meter, cycle, "-3").content.decode()

    counter = (
        '<p id="read-counter" class="read-counter" role="status" aria-live="polite" '
        'aria-atomic="true" tabindex="-1" hx-swap-oob="innerHTML">已抄 {} / 共 2</p>'
    )
    assert counter.format(1) in saved
    assert f'id="entry-1000000001-{meter.pk}"' in saved
    assert "读数应为不小于0、最多两位小数的数字。" in refused
    assert counter.format(1) in refused  # still 1 of 2
    assert (
        f'aria-describedby="last-{other_meter.pk} average-{other_meter.pk} error-{other_meter.pk}"'
    ) in refused


def test_htmx_entry_shows_the_review_flag(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    meter_read_record(actor=reader, account=account, read_on=date(2026, 2, 28), value="500")
    client.force_login(reader)

    response = entry_post(client, account, meter, cycle, "400")

    page = response.content.decode()
    assert "待复核" in page and "用水量为负" in page
    assert "已转账务员复核，复核前不计费。" in page
    assert MeterRead.objects.get(read_on=date(2026, 3, 28)).status == ReadStatus.NEEDS_REVIEW


def test_htmx_entry_error_stays_in_the_row(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    client.force_login(reader)

    response = entry_post(client, account, meter, cycle, "-3")

    assert response.status_code == 200
    assert "读数应为不小于0、最多两位小数的数字。" in response.content.decode()
    assert MeterRead.objects.count() == 0


def test_entry_without_htmx_redirects_back(client, reader, route, cycle):
    account, meter = installed("1000000001", route=route)
    client.force_login(reader)
    prefix = f"m{meter.pk}"

    response = client.post(
        reverse("billing:reading_entry_record"),
        {
            "prefix": prefix,
            f"{prefix}-account": str(account.public_id),
            f"{prefix}-meter": str(meter.pk),
            f"{prefix}-cycle": str(cycle.pk),
            f"{prefix}-read_on": "2026-03-28",
            f"{prefix}-value": "110",
            f"{prefix}-kind": "actual",
        },
    )

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("billing:reading_entry"))
    assert MeterRead.objects.get().consumption == Decimal("10.00")


def test_reader_may_not_enter_another_routes_account(client, reader, route, cycle):
    account, meter = installed("1000000002")  # no route
    client.force_login(reader)

    response = entry_post(client, account, meter, cycle, "110")

    assert response.status_code == 404
    assert MeterRead.objects.count() == 0


# --- import ---------------------------------------------------------------------------


def test_import_page_shows_the_result_with_bad_lines(client, billing_clerk):
    installed("1000000001")
    client.force_login(billing_clerk)
    upload = SimpleUploadedFile(
        "reads.csv",
        b"account_number,read_on,value\n1000000001,2026-03-28,130\n1000000009,2026-03-28,1\n",
        content_type="text/csv",
    )

    response = client.post(reverse("billing:reading_import"), {"source": "amr", "file": upload})

    batch = ReadImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "billing:reading_import_detail", kwargs={"public_id": batch.public_id}
    )
    page = client.get(response["Location"]).content.decode()
    assert '<dd id="lines-imported">1</dd>' in page
    assert '<dd id="lines-failed">1</dd>' in page
    assert "户号1000000009不存在。" in page


def test_import_of_an_unreadable_file_shows_the_error(client, billing_clerk):
    client.force_login(billing_clerk)
    upload = SimpleUploadedFile("reads.csv", b"foo,bar\n1,2\n", content_type="text/csv")

    response = client.post(
        reverse("billing:reading_import"), {"source": "handheld", "file": upload}
    )

    assert response.status_code == 400
    assert "缺少列" in response.content.decode()
    assert ReadImport.objects.count() == 0


def test_import_detail_of_another_reader_is_not_found(client, billing_clerk, reader):
    installed("1000000001")
    client.force_login(billing_clerk)
    upload = SimpleUploadedFile(
        "r.csv", b"account_number,read_on,value\n1000000001,2026-03-28,130\n"
    )
    client.post(reverse("billing:reading_import"), {"source": "amr", "file": upload})
    batch = ReadImport.objects.get()

    client.force_login(reader)
    url = reverse("billing:reading_import_detail", kwargs={"public_id": batch.public_id})
    assert client.get(url).status_code == 404


# --- review ---------------------------------------------------------------------------


@pytest.fixture
def pending(reader, route):
    account, _meter = installed("1000000001", route=route)
    meter_read_record(actor=reader, account=account, read_on=date(2026, 2, 28), value="500")
    return meter_read_record(actor=reader, account=account, read_on=date(2026, 3, 27), value="400")


def test_review_queue_lists_and_filters(client, billing_clerk, pending, cycle):
    client.force_login(billing_clerk)

    listed = client.get(reverse("billing:reading_review"))
    by_issue = client.get(reverse("billing:reading_review"), {"issue": "jump"})

    assert [row["read"] for row in listed.context["rows"]] == [pending]
    assert "用水量为负" in listed.content.decode()
    assert by_issue.context["rows"] == []


def test_review_queue_shows_the_accounts_use_and_links_to_it(client, billing_clerk, reader):
    account, pending = pending_after_history(reader, "1000000001")
    client.force_login(billing_clerk)

    response = client.get(reverse("billing:reading_review"))

    page = response.content.decode()
    (row,) = response.context["rows"]
    assert (row["read"], row["use"].monthly_average) == (pending, Decimal("15.00"))
    account_url = reverse("billing:account", kwargs={"public_id": account.public_id})
    assert f'<a href="{account_url}">1000000001</a>' in page
    assert '<span class="use-average">月均 15.00 m³</span>' in page
    assert (
        '<li><time datetime="2026-03-03">2026-03-03</time> '
        '<span class="numeric">18.00 m³</span></li>'
        '<li><time datetime="2026-02-01">2026-02-01</time> '
        '<span class="numeric">12.00 m³</span></li>'
    ) in page


def test_review_queue_queries_do_not_grow_with_the_queue(client, billing_clerk, reader):
    pending_after_history(reader, "1000000001")
    client.force_login(billing_clerk)
    url = reverse("billing:reading_review")
    one = queries(client, url)

    for number in ("1000000002", "1000000003", "1000000004"):
        pending_after_history(reader, number)

    assert len(client.get(url).context["rows"]) == 4
    assert queries(client, url) == one


def test_review_row_after_htmx_approve_keeps_the_history(client, billing_clerk, reader):
    _account, pending = pending_after_history(reader, "1000000001")
    client.force_login(billing_clerk)
    url = reverse("billing:reading_review_approve", kwargs={"read_id": pending.pk})
    prefix = f"r{pending.pk}a"

    response = client.post(
        url, {f"{prefix}-consumption": "0", f"{prefix}-note": "表计倒装已更正"}, **HTMX
    )

    page = response.content.decode()
    assert "已通过，用水量 0.00 m³。" in page
    # The approved read is now the newest period: (0 + 18 + 12) m³ in 24 + 30 + 30 days.
    assert '<span class="use-average">月均 10.71 m³</span>' in page


def test_review_approve_with_correction_by_htmx(client, billing_clerk, pending):
    client.force_login(billing_clerk)
    url = reverse("billing:reading_review_approve", kwargs={"read_id": pending.pk})
    prefix = f"r{pending.pk}a"

    missing_note = client.post(url, {f"{prefix}-consumption": "0"}, **HTMX)
    assert "修正用水量时请填写说明。" in missing_note.content.decode()
    pending.refresh_from_db()
    assert pending.status == ReadStatus.NEEDS_REVIEW

    response = client.post(
        url, {f"{prefix}-consumption": "0", f"{prefix}-note": "表计倒装已更正"}, **HTMX
    )

    assert "已通过，用水量 0.00 m³。" in response.content.decode()
    pending.refresh_from_db()
    assert (pending.status, pending.consumption, pending.review_note, pending.reviewed_by) == (
        ReadStatus.VALIDATED,
        Decimal("0.00"),
        "表计倒装已更正",
        billing_clerk,
    )


def test_review_reject_without_htmx(client, billing_clerk, pending):
    client.force_login(billing_clerk)
    url = reverse("billing:reading_review_reject", kwargs={"read_id": pending.pk})

    response = client.post(
        url, {f"r{pending.pk}r-note": "抄错", "next": "/billing/reading/review/"}
    )

    assert (response.status_code, response["Location"]) == (302, "/billing/reading/review/")
    pending.refresh_from_db()
    assert (pending.status, pending.review_note) == (ReadStatus.REJECTED, "抄错")


def test_reader_may_not_approve(client, reader, pending):
    client.force_login(reader)
    url = reverse("billing:reading_review_approve", kwargs={"read_id": pending.pk})
    assert client.post(url, {f"r{pending.pk}a-consumption": "0"}).status_code == 403
    pending.refresh_from_db()
    assert pending.status == ReadStatus.NEEDS_REVIEW


# --- cycles ---------------------------------------------------------------------------


def test_cycle_create_form(client, billing_clerk):
    client.force_login(billing_clerk)
    data = {
        "code": "2026-04",
        "period_start": "2026-04-01",
        "period_end": "2026-04-30",
        "read_from": "2026-04-25",
        "read_to": "2026-05-05",
        "due_days": "20",
    }

    created = client.post(reverse("billing:reading_cycles"), data)
    overlapping = client.post(reverse("billing:reading_cycles"), {**data, "code": "2026-04b"})

    assert created.status_code == 302
    assert overlapping.status_code == 400
    assert "计费期与账期“2026-04”重叠。" in overlapping.content.decode()
    assert list(ReadingCycle.objects.values_list("code", flat=True)) == ["2026-04"]


def test_route_sheet_and_review_queue_in_english(client, reader, billing_clerk, route, cycle):
    account, _pending = pending_after_history(reader, "1000000001", route=route)
    other, _other_meter = installed("1000000002", route=route)
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    client.force_login(reader)
    entry = client.get(reverse("billing:reading_entry")).content.decode()
    client.force_login(billing_clerk)
    review = client.get(reverse("billing:reading_review")).content.decode()

    # Only data stays Chinese: names, addresses, the route's name, the switcher's label.
    data = [
        *(item.premise.address for item in (account, other)),  # before the route's name in it
        *(item.customer.name for item in (account, other)),
        *(user.get_full_name() or user.username for user in (reader, billing_clerk)),
        route.name,
        "简体中文",
    ]
    for text in data:
        entry, review = entry.replace(text, ""), review.replace(text, "")
    assert (HAN.findall(entry), HAN.findall(review)) == ([], [])
    assert "Average use a month" in entry
    assert "15.00 m³ a month on average" in review
