"""The remote-read pages and the demo seed: every page for a reader, refused to an outsider;
the valve approval, the alarm resolution, the file import and the cycle's billing reads
through the pages; the account section on the customer page."""

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.amr_support import moment, pinned
from tests.factories import UserFactory, installed_account
from waterdesk.amr.models import (
    Alarm,
    AlarmKind,
    AlarmStatus,
    BillingReadRun,
    RemoteImport,
    ValveCommandState,
)
from waterdesk.billing.services.reading import reading_cycle_create
from waterdesk.core.roles import Role
from waterdesk.demo.amr import seed_amr

pytestmark = pytest.mark.django_db
NOW = moment(date(2026, 3, 10), 10)


@pytest.fixture
def city(db):
    staff = {
        "admin": UserFactory(username="admin", role=Role.ADMINISTRATOR),
        "collector1": UserFactory(username="collector1", role=Role.COLLECTOR),
        "collsup1": UserFactory(username="collsup1", role=Role.COLLECTION_SUPERVISOR),
        "collsup2": UserFactory(username="collsup2", role=Role.COLLECTION_SUPERVISOR),
        "reader1": UserFactory(username="reader1", role=Role.METER_READER),
        "billing1": UserFactory(username="billing1", role=Role.BILLING_CLERK),
        "cashier1": UserFactory(username="cashier1", role=Role.CASHIER),
    }
    accounts = [installed_account() for _ in range(20)]
    with pinned(date(2026, 3, 10)):
        made = seed_amr(staff=staff, now=NOW)
    return staff, accounts, made


def test_the_demo_seed_has_each_alarm_and_both_valve_commands(city):
    _staff, _accounts, made = city
    assert len(made["meters"]) == 20 and len(made["token"]) >= 40
    assert sorted(
        Alarm.objects.filter(status=AlarmStatus.OPEN).values_list("kind", flat=True)
    ) == sorted(AlarmKind.values)
    waiting, done = made["commands"]
    waiting.refresh_from_db()
    done.refresh_from_db()
    assert (waiting.state, done.state) == (ValveCommandState.REQUESTED, ValveCommandState.CONFIRMED)
    assert made["meters"][7].readings.count() == 61


def test_every_page_for_a_reader_and_none_for_an_outsider(client, city):
    staff, accounts, made = city
    pages = [
        reverse("workbench:amr_meters"),
        reverse("workbench:amr_meter", args=[made["meters"][0].pk]),
        reverse("workbench:amr_alarms"),
        reverse("workbench:amr_valves"),
        reverse("workbench:amr_imports"),
        reverse("workbench:amr_billing"),
    ]
    client.force_login(staff["cashier1"])
    assert [client.get(url).status_code for url in pages] == [403] * 6
    client.force_login(staff["reader1"])
    with pinned(date(2026, 3, 10)):
        assert [client.get(url).status_code for url in pages] == [200] * 6
        home = client.get(reverse("workbench:amr_meters")).content.decode()
        assert made["meters"][0].device_id in home and "远传表" in home
    client.force_login(staff["billing1"])  # a clerk who may open the customer page
    with pinned(date(2026, 3, 10)):
        customer = client.get(reverse("workbench:customer", args=[accounts[0].customer.public_id]))
    assert customer.status_code == 200
    assert made["meters"][0].device_id in customer.content.decode()


def test_approve_resolve_import_and_billing_through_the_pages(
    client, city, django_capture_on_commit_callbacks
):
    staff, _accounts, made = city
    waiting = made["commands"][0]
    client.force_login(staff["collsup2"])
    with pinned(date(2026, 3, 10), 11), django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("workbench:amr_valve_approve", args=[waiting.pk]))
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == ValveCommandState.CONFIRMED  # the sandbox answered at once

    client.force_login(staff["reader1"])
    alarm = Alarm.objects.filter(status=AlarmStatus.OPEN).first()
    with pinned(date(2026, 3, 10), 11):
        client.post(
            reverse("workbench:amr_alarm_resolve", args=[alarm.pk]),
            {"resolution": "已换电池"},
        )
        upload = SimpleUploadedFile(
            "export.csv",
            f"device_id,read_at,value\n{made['meters'][9].device_id},2026-03-10 09:00,99\n"
            "nobody,2026-03-10 09:00,1\n".encode(),
        )
        imported = client.post(
            reverse("workbench:amr_imports"),
            {"head_end": made["head_end"].pk, "file": upload},
        )
    alarm.refresh_from_db()
    assert alarm.status == AlarmStatus.RESOLVED
    assert imported.status_code == 302
    batch = RemoteImport.objects.get()
    assert (batch.stored, batch.rejected) == (1, 1)

    client.force_login(staff["billing1"])
    with pinned(date(2026, 3, 1)):
        cycle = reading_cycle_create(
            actor=staff["billing1"],
            code="2026-03",
            period_start=date(2026, 3, 1),
            period_end=date(2026, 3, 31),
            read_from=date(2026, 3, 1),
            read_to=date(2026, 3, 9),
        )
    with pinned(date(2026, 3, 10), 11):
        response = client.post(reverse("workbench:amr_billing_make", args=[cycle.pk]))
    assert response.status_code == 302
    run = BillingReadRun.objects.get()
    # 20 meters: the ones billing accepts get a read; the others are listed with the reason.
    assert run.created + len(run.skipped) == 20 and run.created > 0
