"""The anomaly pages: the list (open first, the streak x/N), one anomaly with its incident,
rounds and forms; the manager's adjustment, estimate and closing through the pages, each
refusal on the page with its reason and nothing written; readers without the actions."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.quality_anomaly_support import T0, anomaly_world, confirm
from tests.quality_support import sample_taken
from waterdesk.cases.models import CaseEvent
from waterdesk.core.roles import Role
from waterdesk.emergency.models import NoticeRound
from waterdesk.quality.models import Anomaly, TreatmentAdjustment

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def opened(django_capture_on_commit_callbacks):
    world = anomaly_world()
    q = world.quality
    with time_machine.travel(T0, tick=False), django_capture_on_commit_callbacks(execute=True):
        confirm(sample_taken(q.network, ["turbidity"]), world=q, fail={"turbidity": "2.5"})
    return world, Anomaly.objects.get()


def test_the_pages_walked_by_the_manager(opened, django_capture_on_commit_callbacks):
    world, anomaly = opened
    q = world.quality
    list_url = reverse("workbench:quality_anomalies")
    page_url = reverse("workbench:quality_anomaly", args=[anomaly.number])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        client = _client(q.manager)
        listing = client.get(list_url)
        assert listing.status_code == 200
        row = listing.content.decode()
        assert anomaly.number in row and "0/3" in row
        page = client.get(page_url)
        assert page.status_code == 200
        html = page.content.decode()
        assert reverse("workbench:case", args=[anomaly.incident.public_id]) in html
        assert 'data-round="1"' in html and "浑浊度" in html
        for form_id in ("adjust-form", "estimate-form", "close-form"):
            assert f'id="{form_id}"' in html

        # Closing too early: refused on the page, nothing written.
        events = CaseEvent.objects.count()
        refused = client.post(
            reverse("workbench:quality_anomaly_close", args=[anomaly.number]),
            {"follow_up": "已处理"},
        )
        assert refused.status_code == 400
        assert "还需连续合格 3 轮" in refused.content.decode()
        anomaly.refresh_from_db()
        assert anomaly.status == "open" and CaseEvent.objects.count() == events

        # An adjustment, shown on the page and on the incident's timeline.
        done = client.post(
            reverse("workbench:quality_anomaly_adjust", args=[anomaly.number]),
            {"description": "管网末梢排放冲洗"},
        )
        assert done.status_code == 302 and done.url == page_url
        assert TreatmentAdjustment.objects.get().description == "管网末梢排放冲洗"
        case_page = client.get(reverse("workbench:case", args=[anomaly.incident.public_id]))
        assert "水质处理工艺调整" in case_page.content.decode()
        empty = client.post(reverse("workbench:quality_anomaly_adjust", args=[anomaly.number]), {})
        assert empty.status_code == 400 and TreatmentAdjustment.objects.count() == 1

    # A new estimate: a notice round.
    with (
        time_machine.travel(T0 + timedelta(hours=2), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client = _client(q.manager)
        done = client.post(
            reverse("workbench:quality_anomaly_estimate", args=[anomaly.number]),
            {"expected_restoration_at": "2026-12-04T18:00", "note": "管网冲洗中"},
        )
        assert done.status_code == 302
        past = client.post(
            reverse("workbench:quality_anomaly_estimate", args=[anomaly.number]),
            {"expected_restoration_at": "2026-12-01T18:00"},
        )
        assert past.status_code == 400
    assert list(
        NoticeRound.objects.filter(case=anomaly.incident).values_list("kind", flat=True)
    ) == ["announcement", "update"]

    # Three passing rounds, then the closing through the page.
    for number in (1, 2, 3):
        with time_machine.travel(T0 + timedelta(days=number - 1, hours=6), tick=False):
            for sample in anomaly.samples.filter(round_number=number):
                confirm(sample, world=q)
    with (
        time_machine.travel(T0 + timedelta(days=3), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client = _client(q.manager)
        assert "3/3" in client.get(list_url).content.decode()
        done = client.post(
            reverse("workbench:quality_anomaly_close", args=[anomaly.number]),
            {"follow_up": "管网冲洗后连续三轮复测合格。"},
        )
        assert done.status_code == 302
        page = client.get(page_url).content.decode()
    assert "应急事件已确认恢复" in page and 'id="close-form"' not in page
    anomaly.refresh_from_db()
    assert anomaly.status == "closed"


def test_readers_see_no_forms_and_may_not_act(opened):
    world, anomaly = opened
    page_url = reverse("workbench:quality_anomaly", args=[anomaly.number])
    with time_machine.travel(T0 + timedelta(hours=1), tick=False):
        for reader in (
            world.quality.sampler,
            world.quality.analyst,
            UserFactory(role=Role.SUPERVISOR),
        ):
            client = _client(reader)
            assert client.get(reverse("workbench:quality_anomalies")).status_code == 200
            html = client.get(page_url).content.decode()
            assert 'id="adjust-form"' not in html and 'id="close-form"' not in html
            refused = client.post(
                reverse("workbench:quality_anomaly_adjust", args=[anomaly.number]),
                {"description": "x"},
            )
            assert refused.status_code == 403
        outsider = _client(UserFactory(username="nobody"))
        assert outsider.get(page_url).status_code == 403
        assert (
            _client(world.quality.manager)
            .get(reverse("workbench:quality_anomaly", args=["QA-NONE"]))
            .status_code
            == 404
        )
    assert not TreatmentAdjustment.objects.exists()
