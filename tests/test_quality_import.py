"""Importing a lab's results file (issue 14 point 4, "Bad input"): every bad line reported
with its line number and reason, the good lines imported once, the same file again changes
nothing; UTF-8 with or without BOM and GB18030 (Excel on Chinese Windows), Chinese or
English headers, comma, tab or semicolon; a file without a recognisable header refused."""

from datetime import datetime

import pytest
import time_machine

from tests.quality_support import quality_world, sample_taken
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import ImportBatch, Result, SampleStatus, Verdict
from waterdesk.quality.services.imports import results_import
from waterdesk.quality.services.results import sample_confirm
from waterdesk.quality.services.schedule import sample_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return quality_world()


@pytest.fixture
def samples(world):
    outlet = sample_taken(world.outlet, ["turbidity", "free_chlorine_outlet", "thm_total"])
    tap = sample_taken(world.tap, ["turbidity", "free_chlorine_tap"])
    scheduled = sample_create(
        point=world.network, codes=["turbidity"], due_date=NOW.date(), due_by=NOW.date()
    )
    return outlet, tap, scheduled


def _file(samples) -> str:
    outlet, tap, scheduled = samples
    return "\n".join(
        [
            "样品编号,指标名称,检测结果,单位",
            f"{outlet.number},浑浊度,0.5,NTU",  # 2: by the Chinese name
            f"{outlet.number},free_chlorine_outlet,0.6,mg/L",  # 3: by the code
            f"{tap.number},浑浊度,1.5,NTU",  # 4: fails, still imported
            "QS-19990101-0001,浑浊度,0.5,NTU",  # 5: no such sample
            f"{outlet.number},e_coli,未检出,MPN/100mL",  # 6: not in the plan
            f"{tap.number},free_chlorine_tap,0.3,mg/m3",  # 7: wrong unit
            "",
            f"{outlet.number},chloroform,约0.01,mg/L",  # 9: unreadable
            f"{scheduled.number},浑浊度,0.5,NTU",  # 10: never taken
            f"{outlet.number},三卤甲烷(总量),0.5,",  # 11: computed, not entered
            f"{outlet.number},chloroform,0.03,mg/L",  # 12
        ]
    )


def test_good_lines_are_imported_and_every_bad_line_reported(world, samples):
    outlet, tap, scheduled = samples
    batch = results_import(
        actor=world.analyst, filename="lims.csv", data=_file(samples).encode("utf-8")
    )
    assert (batch.lines, batch.created, batch.updated, batch.unchanged) == (10, 4, 0, 0)
    assert batch.encoding == "UTF-8"
    assert batch.imported_by == world.analyst
    assert [error["line"] for error in batch.errors] == [5, 6, 7, 9, 10, 11]
    messages = {error["line"]: error["message"] for error in batch.errors}
    assert "QS-19990101-0001 不存在" in messages[5]
    assert "检测计划" in messages[6]
    assert "单位应为 mg/L" in messages[7]
    assert "无法识别" in messages[9]
    assert "尚未采样" in messages[10]
    assert "自动计算" in messages[11]
    assert Result.objects.filter(batch=batch).count() == 4
    tap_turbidity = Result.objects.get(sample=tap, indicator__code="turbidity")
    assert tap_turbidity.verdict == Verdict.FAIL
    outlet.refresh_from_db()
    scheduled.refresh_from_db()
    assert outlet.status == SampleStatus.ANALYSED
    assert scheduled.status == SampleStatus.SCHEDULED
    assert not scheduled.results.exists()

    # The same file again: nothing changes.
    history = Result.history.count()
    again = results_import(
        actor=world.analyst2, filename="lims.csv", data=_file(samples).encode("utf-8")
    )
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert again.errors == batch.errors
    assert Result.objects.count() == 4
    assert Result.history.count() == history
    assert ImportBatch.objects.count() == 2


def test_a_gb18030_file_from_excel(world, samples):
    outlet, _tap, _scheduled = samples
    text = f"样品编号,指标,结果,单位\r\n{outlet.number},浑浊度,0.8,NTU\r\n"
    batch = results_import(actor=world.analyst, filename="结果.csv", data=text.encode("gb18030"))
    assert (batch.encoding, batch.created, batch.errors) == ("GB18030", 1, [])
    assert Result.objects.get(sample=outlet, indicator__code="turbidity").raw == "0.8"


@pytest.mark.parametrize(
    ("header", "delimiter", "bom"),
    [
        ("sample_no,code,result,unit", ",", True),
        ("Sample;Indicator;Value;Unit", ";", False),
        ("样品编号\t指标编码\t检测结果\t单位", "\t", True),
    ],
)
def test_english_headers_bom_and_other_delimiters(world, samples, header, delimiter, bom):
    outlet, _tap, _scheduled = samples
    line = delimiter.join([outlet.number, "turbidity", "<0.1", "NTU"])
    data = f"{header}\n{line}\n".encode()
    if bom:
        data = b"\xef\xbb\xbf" + data
    batch = results_import(actor=world.analyst, filename="x.csv", data=data)
    assert (batch.created, batch.errors) == (1, [])
    assert batch.encoding == ("UTF-8 BOM" if bom else "UTF-8")
    assert Result.objects.get(sample=outlet).verdict == Verdict.PASS


def test_a_file_without_a_recognisable_header_is_refused(world, samples):
    outlet, _tap, _scheduled = samples
    data = f"{outlet.number},turbidity,0.5,NTU\n".encode()
    with pytest.raises(InvalidInput) as caught:
        results_import(actor=world.analyst, filename="x.csv", data=data)
    assert caught.value.code == "import_header"
    assert "表头" in str(caught.value.message)
    with pytest.raises(InvalidInput) as caught:
        results_import(actor=world.analyst, filename="x.csv", data=b"  \n")
    assert caught.value.code == "import_empty"
    assert not ImportBatch.objects.exists()
    assert not Result.objects.exists()


def test_the_import_recomputes_the_trihalomethane_sum(world, samples):
    outlet, _tap, _scheduled = samples
    text = "\n".join(
        ["样品编号,指标编码,检测结果,单位"]
        + [
            f"{outlet.number},{code},{raw},mg/L"
            for code, raw in [
                ("chloroform", "0.06"),
                ("bromodichloromethane", "未检出"),
                ("dibromochloromethane", "<0.01"),
                ("bromoform", "0.01"),
            ]
        ]
    )
    batch = results_import(actor=world.analyst, filename="thm.csv", data=text.encode())
    assert (batch.created, batch.errors) == (4, [])
    total = Result.objects.get(sample=outlet, indicator__code="thm_total")
    assert (total.raw, total.verdict) == ("1.1", Verdict.FAIL)


def test_a_confirmed_sample_is_not_changed_by_an_import(world, samples):
    _outlet, tap, _scheduled = samples
    text = (
        "sample,code,result,unit\n"
        f"{tap.number},turbidity,0.5,NTU\n{tap.number},free_chlorine_tap,0.3,mg/L\n"
    )
    results_import(actor=world.analyst, filename="a.csv", data=text.encode())
    sample_confirm(actor=world.analyst, sample=tap)
    changed = text.replace("0.5,NTU", "0.9,NTU")
    batch = results_import(actor=world.analyst, filename="b.csv", data=changed.encode())
    # The unchanged line is "unchanged"; the changed one is refused: the sample counts.
    assert (batch.created, batch.updated, batch.unchanged) == (0, 0, 1)
    assert [error["line"] for error in batch.errors] == [2]
    assert "已确认" in batch.errors[0]["message"]
    assert Result.objects.get(sample=tap, indicator__code="turbidity").raw == "0.5"


def test_only_analysts_import(world, samples):
    with pytest.raises(NotPermitted):
        results_import(actor=world.sampler, filename="x.csv", data=b"sample,code,result\n")
    assert not ImportBatch.objects.exists()
