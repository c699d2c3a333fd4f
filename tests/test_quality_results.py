"""Lab results (R-Q3, issue 14 point 4): entering results against the sample's plan and the
catalogue, every bad input refused with nothing written, the trihalomethane sum computed
from its members, the analyst's judgement, and the confirmation (a failing sample needs a
second analyst) that calls the confirmed-sample hook once."""

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.quality_support import quality_world, sample_taken
from waterdesk.core.errors import DomainError, InvalidInput, NotPermitted
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality import hooks
from waterdesk.quality.models import (
    Qualifier,
    Result,
    SampleStatus,
    SampleVerdict,
    Verdict,
)
from waterdesk.quality.selectors_results import results_worklist, sample_results
from waterdesk.quality.services.results import (
    result_judge,
    result_record,
    results_record,
    sample_confirm,
    sample_confirm_second,
    sample_return,
)
from waterdesk.quality.services.schedule import sample_create

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
OUTLET_CODES = ["turbidity", "odor_taste", "free_chlorine_outlet"]


@pytest.fixture(autouse=True)
def pinned():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world():
    return quality_world()


@pytest.fixture
def sample(world):
    return sample_taken(world.outlet, OUTLET_CODES, by=world.sampler)


@pytest.fixture
def confirmed():
    """A listener of confirmed samples for the test: (sample, actor) of each call."""
    calls = []

    def listener(*, sample, actor):
        calls.append((sample.number, actor.username))

    hooks.sample_confirmed_listener_register(listener)
    yield calls
    hooks._CONFIRMED.remove(listener)


def _history_rows() -> int:
    return Result.history.count()


def _refused(call, code: str, *, sample) -> DomainError:
    status, results, history = sample.status, Result.objects.count(), _history_rows()
    with pytest.raises(DomainError) as caught:
        call()
    assert caught.value.code == code
    sample.refresh_from_db()
    assert sample.status == status
    assert Result.objects.count() == results
    assert _history_rows() == history
    return caught.value


def test_a_result_is_recorded_judged_and_the_sample_analysed(world, sample):
    result, change = result_record(
        actor=world.analyst, sample=sample, code="turbidity", raw="0.5", unit="NTU"
    )
    assert change == "created"
    assert (result.raw, result.qualifier, result.value, result.unit) == (
        "0.5",
        Qualifier.EQUAL,
        Decimal("0.5"),
        "NTU",
    )
    assert result.auto_verdict == result.verdict == Verdict.PASS
    assert result.entered_by == world.analyst
    sample.refresh_from_db()
    assert sample.status == SampleStatus.ANALYSED

    # The boundary is exact: 1.0 NTU passes a limit of 1, 1.01 fails.
    result, change = result_record(actor=world.analyst, sample=sample, code="turbidity", raw="1.01")
    assert (change, result.verdict, result.verdict_note) == ("updated", Verdict.FAIL, "超过上限")
    assert Result.objects.count() == 1


def test_entering_the_same_value_again_writes_nothing(world, sample):
    result_record(actor=world.analyst, sample=sample, code="turbidity", raw="0.5", unit="NTU")
    history = _history_rows()
    result, change = result_record(
        actor=world.analyst2, sample=sample, code="turbidity", raw="0.5", unit="ntu"
    )
    assert change == "unchanged"
    assert result.entered_by == world.analyst
    assert _history_rows() == history


def test_a_result_for_an_indicator_not_in_the_plan_is_refused(world, sample):
    error = _refused(
        lambda: result_record(actor=world.analyst, sample=sample, code="e_coli", raw="未检出"),
        "result_not_in_plan",
        sample=sample,
    )
    assert "不在样品" in str(error.message) and "检测计划" in str(error.message)


def test_a_unit_other_than_the_catalogues_is_refused(world, sample):
    error = _refused(
        lambda: result_record(
            actor=world.analyst, sample=sample, code="turbidity", raw="0.5", unit="mg/L"
        ),
        "result_unit_mismatch",
        sample=sample,
    )
    assert "NTU" in str(error.message)


@pytest.mark.parametrize("raw", ["abc", "0.5.1", "约0.3", ""])
def test_an_unreadable_value_is_refused(world, sample, raw):
    code = "result_empty" if not raw else "result_unparsable"
    _refused(
        lambda: result_record(actor=world.analyst, sample=sample, code="turbidity", raw=raw),
        code,
        sample=sample,
    )


def test_a_sample_never_taken_takes_no_results(world):
    scheduled = sample_create(
        point=world.outlet, codes=OUTLET_CODES, due_date=NOW.date(), due_by=NOW.date()
    )
    error = _refused(
        lambda: result_record(actor=world.analyst, sample=scheduled, code="turbidity", raw="0.5"),
        "sample_not_taken",
        sample=scheduled,
    )
    assert "尚未采样" in str(error.message)
    scheduled.status = SampleStatus.CANCELLED
    scheduled.save()
    _refused(
        lambda: result_record(actor=world.analyst, sample=scheduled, code="turbidity", raw="0.5"),
        "sample_not_taken",
        sample=scheduled,
    )


def test_only_analysts_enter_results(world, sample):
    with pytest.raises(NotPermitted):
        result_record(actor=world.sampler, sample=sample, code="turbidity", raw="0.5")
    assert Result.objects.count() == 0


def test_a_page_of_results_is_all_or_nothing(world, sample):
    with pytest.raises(InvalidInput) as caught:
        results_record(
            actor=world.analyst,
            sample=sample,
            values={
                "turbidity": ("0.5", "NTU"),
                "free_chlorine_outlet": ("0.6", "NTU"),
                "odor_taste": ("", ""),
            },
        )
    assert caught.value.code == "results_refused"
    assert list(caught.value.details["fields"]) == ["free_chlorine_outlet"]
    assert Result.objects.count() == 0
    sample.refresh_from_db()
    assert sample.status == SampleStatus.TAKEN

    done = results_record(
        actor=world.analyst,
        sample=sample,
        values={"turbidity": ("0.5", "NTU"), "free_chlorine_outlet": ("0.6", "mg/L")},
    )
    assert [change for _result, change in done] == ["created", "created"]


def test_the_trihalomethane_sum_is_computed_from_its_members(world):
    sample = sample_taken(world.outlet, ["thm_total"])
    assert set(sample.indicator_codes) == {
        "chloroform",
        "bromodichloromethane",
        "dibromochloromethane",
        "bromoform",
        "thm_total",
    }
    _refused(
        lambda: result_record(actor=world.analyst, sample=sample, code="thm_total", raw="0.5"),
        "result_sum_computed",
        sample=sample,
    )
    for code, raw in [
        ("chloroform", "0.03"),  # 0.03 / 0.06 = 0.5
        ("bromodichloromethane", "0.03"),  # 0.03 / 0.06 = 0.5
        ("dibromochloromethane", "<0.01"),  # below the detection limit: 0
    ]:
        result_record(actor=world.analyst, sample=sample, code=code, raw=raw)
    assert not Result.objects.filter(sample=sample, indicator__code="thm_total").exists()

    result_record(actor=world.analyst2, sample=sample, code="bromoform", raw="0.05")  # 0.5
    total = Result.objects.get(sample=sample, indicator__code="thm_total")
    assert (total.raw, total.value, total.verdict) == ("1.5", Decimal("1.5"), Verdict.FAIL)
    assert total.entered_by == world.analyst2

    # A member's correction recomputes the sum: exactly 1 passes.
    result_record(actor=world.analyst, sample=sample, code="bromoform", raw="未检出")
    total.refresh_from_db()
    assert (total.raw, total.verdict, total.entered_by) == ("1", Verdict.PASS, world.analyst)
    history = _history_rows()
    result_record(actor=world.analyst, sample=sample, code="bromoform", raw="未检出")
    assert _history_rows() == history


def test_a_descriptive_result_waits_for_the_analysts_judgement(world, sample):
    result, _change = result_record(
        actor=world.analyst, sample=sample, code="odor_taste", raw="有轻微氯味"
    )
    assert result.verdict == Verdict.JUDGEMENT
    _refused(
        lambda: result_judge(actor=world.analyst, result=result, verdict=Verdict.FAIL, note=""),
        "judgement_note_required",
        sample=sample,
    )
    result.refresh_from_db()
    assert result.verdict == Verdict.JUDGEMENT and result.judged_by is None

    judged = result_judge(actor=world.analyst, result=result, verdict=Verdict.PASS, note="氯味正常")
    assert (judged.verdict, judged.auto_verdict, judged.judged_by) == (
        Verdict.PASS,
        Verdict.JUDGEMENT,
        world.analyst,
    )
    assert judged.verdict_note == "氯味正常"

    turbidity, _change = result_record(
        actor=world.analyst, sample=sample, code="turbidity", raw="0.5"
    )
    with pytest.raises(DomainError) as caught:
        result_judge(actor=world.analyst, result=turbidity, verdict=Verdict.FAIL, note="x")
    assert caught.value.code == "result_not_for_judgement"


def _enter(world, sample, *, turbidity="0.5", odour="无异臭、异味"):
    results_record(
        actor=world.analyst,
        sample=sample,
        values={
            "turbidity": (turbidity, "NTU"),
            "odor_taste": (odour, ""),
            "free_chlorine_outlet": ("0.6", "mg/L"),
        },
    )
    odour_result = Result.objects.get(sample=sample, indicator__code="odor_taste")
    result_judge(actor=world.analyst, result=odour_result, verdict=Verdict.PASS, note="")


def test_a_passing_sample_counts_when_confirmed(world, sample, confirmed):
    with pytest.raises(DomainError) as caught:
        sample_confirm(actor=world.analyst, sample=sample)
    assert caught.value.code == "sample_no_results"
    result_record(actor=world.analyst, sample=sample, code="turbidity", raw="0.5")
    result_record(actor=world.analyst, sample=sample, code="odor_taste", raw="无异臭、异味")
    with pytest.raises(DomainError) as caught:
        sample_confirm(actor=world.analyst, sample=sample)
    assert caught.value.code == "sample_results_missing"
    assert "游离氯(出厂水)" in str(caught.value.message)
    result_record(actor=world.analyst, sample=sample, code="free_chlorine_outlet", raw="0.6")
    with pytest.raises(DomainError) as caught:
        sample_confirm(actor=world.analyst, sample=sample)
    assert caught.value.code == "sample_judgement_pending"
    assert confirmed == []

    odour = Result.objects.get(sample=sample, indicator__code="odor_taste")
    result_judge(actor=world.analyst, result=odour, verdict=Verdict.PASS, note="")
    sample_confirm(actor=world.analyst, sample=sample)
    sample.refresh_from_db()
    assert (sample.status, sample.verdict) == (SampleStatus.CONFIRMED, SampleVerdict.PASS)
    assert (sample.confirmed_by, sample.confirmed_at) == (world.analyst, NOW)
    assert confirmed == [(sample.number, "analyst")]

    # Its results count: no more changes.
    error = _refused(
        lambda: result_record(actor=world.analyst, sample=sample, code="turbidity", raw="0.7"),
        "sample_confirmed",
        sample=sample,
    )
    assert "退回" in str(error.message)
    assert confirmed == [(sample.number, "analyst")]


def test_guidance_exceeded_is_not_a_failure(world):
    sample = sample_taken(world.outlet, ["gross_alpha"])
    result, _change = result_record(
        actor=world.analyst, sample=sample, code="gross_alpha", raw="0.8"
    )
    assert result.verdict == Verdict.GUIDANCE
    sample_confirm(actor=world.analyst, sample=sample)
    sample.refresh_from_db()
    assert (sample.status, sample.verdict) == (SampleStatus.CONFIRMED, SampleVerdict.PASS)
    assert [row.result.verdict for row in sample_results(sample).guidance] == [Verdict.GUIDANCE]


def test_a_failing_sample_needs_a_second_analyst(world, sample, confirmed):
    _enter(world, sample, turbidity="1.2")
    sample_confirm(actor=world.analyst, sample=sample)
    sample.refresh_from_db()
    assert (sample.status, sample.verdict) == (SampleStatus.AWAITING_SECOND, SampleVerdict.FAIL)
    assert sample.confirmed_by == world.analyst
    assert confirmed == []
    # Out of the first analyst's worklist, in the second's.
    assert results_worklist(world.analyst).to_second == []
    assert results_worklist(world.analyst).own_awaiting_second == [sample]
    assert results_worklist(world.analyst2).to_second == [sample]

    error = _refused(
        lambda: result_record(actor=world.analyst, sample=sample, code="turbidity", raw="0.5"),
        "sample_awaiting_second",
        sample=sample,
    )
    assert "退回" in str(error.message)
    error = _refused(
        lambda: sample_confirm_second(actor=world.analyst, sample=sample),
        "second_confirm_same_analyst",
        sample=sample,
    )
    assert "另一名化验员" in str(error.message)
    assert confirmed == []

    sample_confirm_second(actor=world.analyst2, sample=sample)
    sample.refresh_from_db()
    assert sample.status == SampleStatus.CONFIRMED
    assert (sample.second_confirmed_by, sample.second_confirmed_at) == (world.analyst2, NOW)
    assert confirmed == [(sample.number, "analyst2")]


def test_a_failing_sample_returned_for_correction(world, sample, confirmed):
    _enter(world, sample, turbidity="12")
    sample_confirm(actor=world.analyst, sample=sample)
    _refused(
        lambda: sample_return(actor=world.analyst2, sample=sample, reason="  "),
        "sample_return_reason",
        sample=sample,
    )
    sample_return(actor=world.analyst2, sample=sample, reason="浑浊度疑似多录一位，请核对")
    sample.refresh_from_db()
    assert (sample.status, sample.verdict, sample.confirmed_by) == (
        SampleStatus.ANALYSED,
        SampleVerdict.PENDING,
        None,
    )
    assert sample.note == "退回：浑浊度疑似多录一位，请核对"

    result_record(actor=world.analyst, sample=sample, code="turbidity", raw="1.2")  # corrected
    result_record(actor=world.analyst, sample=sample, code="turbidity", raw="0.8")
    sample_confirm(actor=world.analyst, sample=sample)
    sample.refresh_from_db()
    assert (sample.status, sample.verdict) == (SampleStatus.CONFIRMED, SampleVerdict.PASS)
    assert confirmed == [(sample.number, "analyst")]


def test_the_sample_page_lists_results_in_catalogue_order_with_limits(world, sample):
    result_record(actor=world.analyst, sample=sample, code="free_chlorine_outlet", raw="0.6")
    data = sample_results(sample)
    assert [row.code for row in data.rows] == ["turbidity", "odor_taste", "free_chlorine_outlet"]
    assert [row.limit for row in data.rows] == [
        "≤ 1",
        "无异臭、异味 (no abnormal odour or taste)",
        "0.3–2",
    ]
    assert [row.code for row in data.missing] == ["turbidity", "odor_taste"]
    assert data.rows[2].result.verdict == Verdict.PASS
