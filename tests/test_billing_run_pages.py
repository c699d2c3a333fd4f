"""Bill-run pages, API and management command: who may see and start runs, the progress
block that refreshes itself, resuming, the CLI's progress bar and exit status."""

import io
from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from rest_framework.test import APIClient

from tests import test_billing_run_support as support
from tests.factories import CustomerFactory, UserFactory, meter_read
from tests.test_billing_run_support import account_with_meter, run_cycle
from waterdesk.billing.models import Bill, BillRun, BillRunStatus
from waterdesk.billing.services import bill_run as runs
from waterdesk.core.roles import Role
from waterdesk.customers.models import Route

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

# Shared fixtures (tests/test_billing_run_support.py).
beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now


@pytest.fixture
def town(billing_clerk, cycles):
    """Two accounts read in January (20 and 35 m³), one in review."""
    accounts = [account_with_meter(), account_with_meter(), account_with_meter(initial="50")]
    meter_read(billing_clerk, accounts[0], date(2026, 1, 31), "20")
    meter_read(billing_clerk, accounts[1], date(2026, 1, 31), "35")
    meter_read(billing_clerk, accounts[2], date(2026, 1, 31), "10")
    return accounts


@pytest.fixture
def api():
    return APIClient()


# --- pages --------------------------------------------------------------------------------


def test_runs_page_access(client, billing_clerk, reader):
    url = reverse("billing:runs")
    assert client.get(url)["Location"] == f"/login/?next={url}"
    client.force_login(reader)
    assert client.get(url).status_code == 403
    client.force_login(billing_clerk)
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="cycle"' in page.content
    assert b'name="chunk_size"' not in page.content  # a technical setting


def test_administrator_sees_runs_but_may_not_start_one(client, cycles, town):
    admin = UserFactory(username="admin", role=Role.ADMINISTRATOR)
    client.force_login(admin)
    page = client.get(reverse("billing:runs"))
    assert page.status_code == 200
    assert b'name="chunk_size"' not in page.content
    response = client.post(reverse("billing:runs"), {"cycle": "2026-01", "chunk_size": "10"})
    assert response.status_code == 403
    assert not BillRun.objects.exists()


def test_a_clerk_starts_a_run_from_the_page_and_sees_it_done(
    client, billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    client.force_login(billing_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("billing:runs"), {"cycle": "2026-01", "chunk_size": "2", "confirm": "on"}
        )

    run = BillRun.objects.get()
    assert response["Location"] == reverse("billing:run", args=[run.public_id])
    assert (run.created_by, run.chunk_size) == (billing_clerk, 2000)  # not the staff's to set
    run.refresh_from_db()
    assert (run.status, run.billed_accounts, run.skipped_accounts) == (
        BillRunStatus.COMPLETED,
        2,
        1,
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    content = page.content.decode()
    assert 'id="run-billed">2<' in content
    assert town[2].number in content
    assert 'data-reason="read_needs_review"' in content
    assert "hx-trigger" not in content  # finished: no more polling


def test_a_refused_start_shows_the_reason_and_starts_nothing(client, billing_clerk, cycles, town):
    runs.bill_run_create(actor=billing_clerk, cycle=cycles[1])  # pending, not started
    client.force_login(billing_clerk)
    response = client.post(reverse("billing:runs"), {"cycle": "2026-01", "confirm": "on"})
    assert response.status_code == 400
    assert "正在进行的出账批次" in response.content.decode()
    assert BillRun.objects.count() == 1
    response = client.post(reverse("billing:runs"), {"cycle": "2026-99", "confirm": "on"})
    assert response.status_code == 400
    assert BillRun.objects.count() == 1


def test_a_running_run_refreshes_its_progress_with_htmx(client, billing_clerk, cycles, town):
    run = runs.bill_run_create(actor=billing_clerk, cycle=cycles[1], chunk_size=2)
    runs.bill_run_start(run=run, enqueue=False)
    runs.bill_run_process_chunk(chunk_id=run.chunks.get(index=0).pk)
    client.force_login(billing_clerk)
    url = reverse("billing:run", args=[run.public_id])

    page = client.get(url)
    content = page.content.decode()
    assert f'hx-get="{url}"' in content and 'hx-trigger="every 2s"' in content
    assert '<progress value="66"' in content  # 2 of 3 accounts processed

    partial = client.get(url, HTTP_HX_REQUEST="true")
    assert partial.status_code == 200
    assert b"<html" not in partial.content
    assert b'id="run-progress"' in partial.content


def test_a_failed_run_is_resumed_from_its_page(
    client,
    billing_clerk,
    reader,
    cycles,
    town,
    monkeypatch,
    django_capture_on_commit_callbacks,
):
    original = runs.bill_drafts_insert

    def crash(drafts, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "bill_drafts_insert", crash)
    run = run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    assert run.status == BillRunStatus.FAILED
    monkeypatch.setattr(runs, "bill_drafts_insert", original)
    url = reverse("billing:run_resume", args=[run.public_id])

    client.force_login(billing_clerk)
    page = client.get(reverse("billing:run", args=[run.public_id])).content.decode()
    assert "RuntimeError: disk full" in page and url in page

    client.force_login(reader)
    assert client.post(url).status_code == 403
    client.force_login(billing_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url)
    assert response.status_code == 302
    run.refresh_from_db()
    assert (run.status, run.billed_accounts) == (BillRunStatus.COMPLETED, 2)


def test_account_lookup_goes_to_the_account_page(client, billing_clerk, town):
    client.force_login(billing_clerk)
    url = reverse("billing:account_lookup")
    account_page = reverse("billing:account", args=[town[0].public_id])
    assert client.get(url, {"q": f" {town[0].number} "})["Location"] == account_page
    assert client.get(url, {"number": town[0].number})["Location"] == account_page  # old links
    response = client.get(url, {"q": "999"})
    assert response.status_code == 200
    assert response.context["results"] == []
    assert "未找到与“999”匹配的账户。" in response.content.decode()
    assert client.get(url, {"q": "\x00"}).context["results"] == []  # never reaches SQL


def test_account_lookup_lists_the_accounts_of_the_customers_found(client, billing_clerk):
    first = account_with_meter(customer=CustomerFactory(name="王建国"))
    second = account_with_meter(customer=CustomerFactory(name="李建国"))
    client.force_login(billing_clerk)

    response = client.get(reverse("billing:account_lookup"), {"q": "建国"})

    assert response.status_code == 200
    assert [customer.name for customer in response.context["results"]] == ["李建国", "王建国"]
    page = response.content.decode()
    for account in (first, second):
        link = reverse("billing:account", args=[account.public_id])
        assert f'href="{link}">{account.number}</a>' in page
    assert first.customer.mobile not in page  # masked


def test_account_lookup_without_a_query_shows_the_form(client, billing_clerk):
    client.force_login(billing_clerk)

    response = client.get(reverse("billing:account_lookup"))

    assert response.status_code == 200
    assert response.context["results"] == []
    assert 'name="q"' in response.content.decode()


# --- API ----------------------------------------------------------------------------------


def test_api_runs_access(api, billing_clerk, reader, cycles, town):
    url = reverse("api:billing-run-list")
    assert api.get(url).status_code == 401
    api.force_authenticate(reader)
    assert api.get(url).status_code == 403
    assert api.post(url, {"cycle": "2026-01"}, format="json").status_code == 403
    assert not BillRun.objects.exists()
    api.force_authenticate(billing_clerk)
    assert api.get(url).json() == []


def test_api_starts_a_run_and_reports_progress(
    api, billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    api.force_authenticate(billing_clerk)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            reverse("api:billing-run-list"),
            {"cycle": "2026-01", "chunk_size": 2},
            format="json",
            HTTP_IDEMPOTENCY_KEY="run-1",
        )
    assert response.status_code == 201
    run = BillRun.objects.get()

    detail = api.get(reverse("api:billing-run-detail", args=[run.public_id])).json()
    assert detail["run"]["status"] == "completed"
    assert (detail["run"]["billed_accounts"], detail["run"]["skipped_accounts"]) == (2, 1)
    assert detail["progress"]["percent"] == 100
    assert detail["skipped"] == [
        {
            "account": town[2].number,
            "account_id": str(town[2].public_id),
            "reason": "read_needs_review",
            "reason_label": "本期抄表待复核",
        }
    ]
    listed = api.get(reverse("api:billing-run-list")).json()
    assert [item["public_id"] for item in listed] == [str(run.public_id)]

    again = api.post(
        reverse("api:billing-run-list"),
        {"cycle": "2026-01"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="run-2",
    )
    assert again.status_code == 201
    assert again.json()["run"]["billed_accounts"] == 0
    resume = api.post(
        reverse("api:billing-run-resume", args=[run.public_id]), HTTP_IDEMPOTENCY_KEY="resume-1"
    )
    assert (resume.status_code, resume.json()["code"]) == (409, "run_completed")


def test_api_refuses_unknown_cycles_and_bad_chunk_sizes(api, billing_clerk, cycles):
    api.force_authenticate(billing_clerk)
    url = reverse("api:billing-run-list")
    assert (
        api.post(url, {"cycle": "1999-01"}, format="json", HTTP_IDEMPOTENCY_KEY="k1").status_code
        == 404
    )
    bad = api.post(
        url, {"cycle": "2026-01", "chunk_size": 0}, format="json", HTTP_IDEMPOTENCY_KEY="k2"
    )
    assert (bad.status_code, bad.json()["code"]) == (400, "invalid_input")
    assert not BillRun.objects.exists()


# --- the command --------------------------------------------------------------------------


def test_the_command_bills_a_cycle_with_a_progress_bar(cycles, town):
    out, err = io.StringIO(), io.StringIO()
    call_command("bill_run", "2026-01", "--chunk-size", "2", stdout=out, stderr=err)

    run = BillRun.objects.get()
    assert (run.status, run.created_by, run.billed_accounts) == (BillRunStatus.COMPLETED, None, 2)
    assert "已出账 2 户，跳过 1 户" in out.getvalue()
    assert "\r[" in err.getvalue() and "100%" in err.getvalue() and "3/3" in err.getvalue()
    assert Bill.objects.count() == 2


def test_the_command_fails_non_zero_and_resumes(cycles, town, monkeypatch):
    original = runs.bill_drafts_insert

    def crash(drafts, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(runs, "bill_drafts_insert", crash)
    with pytest.raises(CommandError) as error:
        call_command("bill_run", "2026-01", stdout=io.StringIO(), stderr=io.StringIO())
    run = BillRun.objects.get()
    assert str(run.public_id) in str(error.value)
    assert not Bill.objects.exists()

    monkeypatch.setattr(runs, "bill_drafts_insert", original)
    call_command(
        "bill_run",
        "2026-01",
        "--resume",
        str(run.public_id),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    run.refresh_from_db()
    assert (run.status, Bill.objects.count()) == (BillRunStatus.COMPLETED, 2)


def test_the_command_refuses_an_unknown_cycle():
    with pytest.raises(CommandError):
        call_command("bill_run", "1999-01", stdout=io.StringIO(), stderr=io.StringIO())


# --- safeguards of the run form -------------------------------------------------------------


def test_the_form_proposes_the_cycle_that_is_ready(
    client, billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    client.force_login(billing_clerk)
    page = client.get(reverse("billing:runs")).content.decode()
    # 10 April: January to March are read; the earliest not billed yet comes first.
    assert '<option value="2026-01" selected>' in page
    run_cycle(billing_clerk, cycles[1], django_capture_on_commit_callbacks)
    page = client.get(reverse("billing:runs")).content.decode()
    assert '<option value="2026-02" selected>' in page
    assert 'data-cycle="2026-02"' in page


def test_open_reads_are_shown_and_must_be_confirmed(
    client, billing_clerk, cycles, town, django_capture_on_commit_callbacks
):
    client.force_login(billing_clerk)
    page = client.get(reverse("billing:runs")).content.decode()
    assert 'data-check="reads_in_review"' in page
    assert "1 条读数待复核，这些账户本次不出账。" in page
    assert "3 户未编入抄表路线，不会被抄表。" in page  # the town has no routes
    assert 'data-check="window_open"' not in page
    assert 'name="confirm"' in page

    refused = client.post(reverse("billing:runs"), {"cycle": "2026-01"})
    assert refused.status_code == 400
    assert "请核实后勾选确认再出账" in refused.content.decode()
    assert not BillRun.objects.exists()

    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(reverse("billing:runs"), {"cycle": "2026-01", "confirm": "on"})
    assert started.status_code == 302
    assert BillRun.objects.get().billed_accounts == 2


def test_a_cycle_being_read_is_flagged_when_chosen(client, billing_clerk, cycles, town):
    client.force_login(billing_clerk)
    # The select reloads the checks of the chosen cycle (htmx picks #run-checks out).
    page = client.get(reverse("billing:runs"), {"cycle": "2026-04"})
    assert 'data-cycle="2026-01"' in page.content.decode()  # not open: the ready one
    cycle = support.month_cycle(billing_clerk, 2026, 4)
    page = client.get(reverse("billing:runs"), {"cycle": cycle.code}).content.decode()
    assert 'data-cycle="2026-04"' in page
    assert "本账期的抄表期到 2026-04-30 才结束，仍可能有读数录入。" in page


def test_a_fully_read_cycle_starts_without_confirmation(
    client, billing_clerk, reader, cycles, django_capture_on_commit_callbacks
):
    route = Route.objects.create(code="r1", name="解放路", reader=reader)
    account = account_with_meter(route=route)
    meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    client.force_login(billing_clerk)
    page = client.get(reverse("billing:runs")).content.decode()
    assert "本账期抄表已完成，读数均已审核。" in page
    assert 'name="confirm"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("billing:runs"), {"cycle": "2026-01"})
    assert response.status_code == 302
    assert Bill.objects.get().account == account


def test_a_superuser_may_set_the_chunk_size(
    client, cycles, town, django_capture_on_commit_callbacks
):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    assert b'name="chunk_size"' in client.get(reverse("billing:runs")).content
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("billing:runs"), {"cycle": "2026-01", "chunk_size": "2", "confirm": "on"}
        )
    assert BillRun.objects.get().chunk_size == 2
