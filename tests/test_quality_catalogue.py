"""The indicator catalogue (R-Q1): the seeded GB 5749-2022 edition; a new edition loaded
beside the old one with its effective date (a sample is judged by the edition in force on
its sampling day); the quality manager's corrections of an indicator, checked like a loaded
row and kept in its history with the reason (a refusal writes nothing); the pages and the
load command."""

from datetime import date, datetime
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory
from tests.quality_support import indicator, quality_world, sample_taken
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import Edition, Indicator, LimitType, PointScope, SampleVerdict
from waterdesk.quality.services.catalogue import (
    edition_in_force,
    edition_load,
    indicator_update,
)
from waterdesk.quality.services.catalogue_rows import INITIAL_CSV
from waterdesk.quality.services.sampling import sample_take
from waterdesk.quality.services.schedule import sample_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture
def world(db):
    return quality_world()


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


def _new_table(turbidity_max: str = "0.5") -> bytes:
    lines = INITIAL_CSV.read_text(encoding="utf-8").splitlines()
    out = []
    for line in lines:
        if line.startswith("turbidity,"):
            cells = line.split(",")
            cells[8] = turbidity_max
            line = ",".join(cells)
        out.append(line)
    return ("\n".join(out) + "\n").encode()


def test_the_seeded_edition_has_every_indicator():
    edition = Edition.objects.get(code="gb5749-2022")
    assert edition.effective_from == date(2023, 4, 1)
    assert edition.indicators.count() == 101  # 97 indicators, 4 residuals per sample point
    free = edition.indicators.get(code="free_chlorine_outlet")
    assert (free.limit_type, free.min_value, free.max_value) == ("range", Decimal("0.3"), 2)
    assert (free.point_scope, free.applies_when) == ("outlet", ["chlorine"])
    assert edition_in_force(date(2023, 3, 31)) is None
    assert edition_in_force(date(2023, 4, 1)) == edition


def test_a_new_edition_judges_samples_from_its_effective_date(world):
    old = world.edition
    new = edition_load(
        actor=world.manager,
        code="gb5749-2027",
        name="GB 5749-2027（试行）",
        effective_from=date(2027, 1, 1),
        data=_new_table(),
    )
    assert new.loaded_by == world.manager
    assert new.indicators.count() == old.indicators.count()
    assert new.indicators.get(code="turbidity").max_value == Decimal("0.5")
    assert old.indicators.get(code="turbidity").max_value == 1
    assert edition_in_force(date(2026, 12, 31)) == old
    assert edition_in_force(date(2027, 1, 1)) == new
    # A sample taken in 2026 keeps the old edition; one taken in 2027 gets the new one.
    before = sample_taken(world.outlet, ["turbidity"], day=date(2026, 12, 31))
    assert before.edition == old
    later = sample_create(
        point=world.outlet, codes=["turbidity"], due_date=date(2027, 1, 2), due_by=date(2027, 1, 2)
    )
    with time_machine.travel(datetime(2027, 1, 2, 9, 0, tzinfo=LOCAL_TZ), tick=False):
        taken = sample_take(actor=world.sampler, sample=later)
    assert taken.edition == new


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"code": "gb5749-2022"}, "edition_code_taken"),
        ({"effective_from": date(2023, 4, 1)}, "edition_date_taken"),
        ({"data": b"code,name_zh\nx,y\n"}, "catalogue_columns"),
        ({"data": _new_table(turbidity_max="")}, "catalogue_bad_row"),
    ],
)
def test_a_bad_edition_is_refused_whole(world, change, code):
    values = {
        "code": "gb5749-2027",
        "name": "新版",
        "effective_from": date(2027, 1, 1),
        "data": _new_table(),
        **change,
    }
    with pytest.raises(InvalidInput) as refused:
        edition_load(actor=world.manager, **values)
    assert refused.value.code == code
    assert Edition.objects.count() == 1
    assert Indicator.objects.count() == 101


def test_only_the_quality_manager_loads_an_edition(world):
    with pytest.raises(NotPermitted):
        edition_load(
            actor=world.analyst,
            code="x",
            name="x",
            effective_from=date(2027, 1, 1),
            data=_new_table(),
        )
    assert Edition.objects.count() == 1


def test_the_load_command(world, tmp_path):
    path = tmp_path / "new.csv"
    path.write_bytes(_new_table())
    call_command(
        "quality_load_edition",
        "--code=gb5749-2027",
        "--name=新版",
        "--effective-from=2027-01-01",
        f"--file={path}",
    )
    assert edition_in_force(date(2027, 1, 1)).code == "gb5749-2027"
    with pytest.raises(CommandError, match="已被使用"):
        call_command(
            "quality_load_edition",
            "--code=gb5749-2027",
            "--name=新版",
            "--effective-from=2028-01-01",
            f"--file={path}",
        )
    with pytest.raises(CommandError):
        call_command(
            "quality_load_edition",
            "--code=gb5749-2028",
            "--name=新版",
            "--effective-from=2028-01-01",
            f"--file={path}",
            "--user=analyst",
        )
    assert Edition.objects.count() == 2


def test_an_indicator_correction_is_kept_in_its_history(world):
    turbidity = indicator("turbidity")
    updated = indicator_update(
        actor=world.manager,
        indicator=turbidity,
        reason="按卫健委通知更正",
        max_value=Decimal("0.8"),
        point_scope=PointScope.ALL,
    )
    assert updated.max_value == Decimal("0.8")
    history = list(turbidity.history.order_by("-history_id"))
    assert len(history) == 2
    assert history[0].history_change_reason == "按卫健委通知更正"
    assert history[0].history_user == world.manager
    assert history[0].max_value == Decimal("0.8")
    assert history[1].max_value == 1
    assert (history[1].history_change_reason, history[1].history_type) == ("导入", "+")
    # Range with both bounds; a bound the type does not use is dropped.
    chloride = indicator_update(
        actor=world.manager,
        indicator=indicator("chloride"),
        reason="改为范围",
        limit_type=LimitType.RANGE,
        min_value="10",
        max_value="250",
    )
    assert (chloride.min_value, chloride.max_value) == (10, 250)
    not_detected = indicator_update(
        actor=world.manager,
        indicator=indicator("chloride"),
        reason="不得检出",
        limit_type=LimitType.NOT_DETECTED,
    )
    assert (not_detected.min_value, not_detected.max_value) == (None, None)
    bromate = indicator_update(
        actor=world.manager,
        indicator=indicator("bromate"),
        reason="氯消毒也测",
        applies_when=["ozone", "chlorine"],
    )
    assert bromate.applies_when == ["ozone", "chlorine"]


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"min_value": "3", "max_value": "2", "limit_type": "range"}, "indicator_bounds"),
        ({"limit_type": "range", "min_value": None}, "indicator_bound_missing"),
        ({"limit_type": "min", "min_value": ""}, "indicator_bound_missing"),
        ({"max_value": "-1"}, "indicator_bad_value"),
        ({"max_value": "abc"}, "indicator_bad_value"),
        ({"limit_type": "bigger"}, "indicator_bad_type"),
        ({"point_scope": "river"}, "indicator_bad_scope"),
        ({"applies_when": ["uv"]}, "indicator_bad_condition"),
        ({"name_zh": "  "}, "required"),
        ({"reason": ""}, "required"),
    ],
)
def test_a_bad_correction_writes_nothing(world, fields, code):
    turbidity = indicator("turbidity")
    reason = fields.pop("reason", "更正")
    with pytest.raises(InvalidInput) as refused:
        indicator_update(actor=world.manager, indicator=turbidity, reason=reason, **fields)
    assert refused.value.code == code
    turbidity.refresh_from_db()
    assert (turbidity.limit_type, turbidity.max_value, turbidity.name_zh) == ("max", 1, "浑浊度")
    assert turbidity.history.count() == 0  # not even the baseline


def test_only_the_quality_manager_corrects_an_indicator(world):
    turbidity = indicator("turbidity")
    for user in (world.analyst, world.sampler):
        with pytest.raises(NotPermitted):
            indicator_update(actor=user, indicator=turbidity, reason="x", max_value="5")
    turbidity.refresh_from_db()
    assert turbidity.max_value == 1
    assert turbidity.history.count() == 0  # not even the baseline


# --- pages ----------------------------------------------------------------------------------


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_catalogue_page(world):
    url = reverse("workbench:quality_catalogue")
    page = _client(world.sampler).get(url)
    assert page.status_code == 200
    text = page.content.decode()
    assert "游离氯(出厂水)" in text and "0.3–2" in text and "待核对" in text
    assert reverse("workbench:quality_edition_load") not in text
    manager_page = _client(world.manager).get(url + "?edition=gb5749-2022")
    assert reverse("workbench:quality_edition_load") in manager_page.content.decode()
    outsider = UserFactory(username="outsider")
    assert _client(outsider).get(url).status_code == 403


def test_the_indicator_page_edits_with_its_history(world):
    turbidity = indicator("turbidity")
    url = reverse("workbench:quality_indicator_edit", args=[turbidity.pk])
    judged = sample_taken(world.outlet, ["turbidity"])
    judged.verdict = SampleVerdict.PASS
    judged.save()
    page = _client(world.manager).get(url)
    assert page.status_code == 200
    assert "已有 1 个水样完成判定" in page.content.decode()
    data = {
        "name_zh": "浑浊度",
        "name_en": "Turbidity",
        "unit": "NTU",
        "limit_type": "max",
        "max_value": "0.9",
        "point_scope": "all",
        "reason": "内控限值",
    }
    refused = _client(world.manager).post(url, {**data, "min_value": "2", "limit_type": "range"})
    assert refused.status_code == 400
    assert "下限不能大于上限" in refused.content.decode()
    done = _client(world.manager).post(url, data)
    assert done.status_code == 302
    turbidity.refresh_from_db()
    assert turbidity.max_value == Decimal("0.9")
    page = _client(world.manager).get(url)
    assert "内控限值" in page.content.decode()
    # Analysts read the history; they may not change the indicator.
    read = _client(world.analyst).get(url)
    assert read.status_code == 200 and 'id="indicator-form"' not in read.content.decode()
    assert _client(world.analyst).post(url, data).status_code == 403


def test_the_edition_load_page(world):
    url = reverse("workbench:quality_edition_load")
    assert _client(world.analyst).get(url).status_code == 403
    assert _client(world.manager).get(url).status_code == 200
    bad = _client(world.manager).post(
        url,
        {
            "code": "gb5749-2027",
            "name": "新版",
            "effective_from": "2023-04-01",
            "file": SimpleUploadedFile("new.csv", _new_table()),
        },
    )
    assert bad.status_code == 400
    assert "已有实施的标准版本" in bad.content.decode()
    done = _client(world.manager).post(
        url,
        {
            "code": "gb5749-2027",
            "name": "新版",
            "effective_from": "2027-01-01",
            "file": SimpleUploadedFile("new.csv", _new_table()),
        },
    )
    assert done.status_code == 302
    assert done["Location"].endswith("?edition=gb5749-2027")
    assert Edition.objects.get(code="gb5749-2027").loaded_by == world.manager
