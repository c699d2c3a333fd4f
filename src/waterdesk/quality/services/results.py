"""Lab results (R-Q3): entering a sample's results, the analyst's judgement where the rules
cannot decide, and the confirmation that makes a sample's verdict count.

A result is refused unless the sample was taken and is still open for results (a confirmed
sample, or one awaiting its second confirmation, counts: a correction needs it returned
first), the indicator is in the sample's plan, the unit is the catalogue's and the value can
be read. The indicator row is the one of the edition that judges the sample. Entering the
same value again writes nothing. A sum of ratios (trihalomethanes) is never entered: it is
computed as soon as all its members have results, and again whenever a member changes.

A passing sample counts when an analyst confirms it; a failing one only when a second
analyst confirms it too (or sends it back for correction or a re-test). When a sample
counts, ``hooks.sample_confirmed_notify`` runs inside the confirming transaction."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.timeutil import local
from waterdesk.quality import hooks
from waterdesk.quality.models import (
    Edition,
    Indicator,
    LimitType,
    Qualifier,
    Result,
    Sample,
    SampleStatus,
    SampleVerdict,
    Verdict,
)
from waterdesk.quality.services.catalogue import edition_in_force, edition_indicators
from waterdesk.quality.verdicts import (
    Measured,
    measured_parse,
    number_text,
    ratio_sum_verdict,
    unit_check,
    verdict_for,
)

ENTER_PERMISSION = "quality.enter_results"

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"


def sample_edition(sample: Sample) -> Edition | None:
    """The edition that judges the sample: the one set when it was taken, else the one in
    force on its sampling day (its due day if the time was not kept)."""
    if sample.edition_id:
        return sample.edition
    day = local(sample.taken_at).date() if sample.taken_at else sample.due_date
    return edition_in_force(day)


def sample_catalogue(sample: Sample) -> dict[str, Indicator]:
    edition = sample_edition(sample)
    return edition_indicators(edition) if edition is not None else {}


def _where(sample: Sample) -> dict:
    return {
        "point_type": sample.point.point_type,
        "disinfection": sample.point.disinfection,
        "algal_bloom": sample.algal_bloom,
    }


def _locked(sample: Sample) -> Sample:
    """The sample, locked for this transaction and read afresh into the caller's object."""
    sample.refresh_from_db(from_queryset=Sample.objects.select_for_update())
    return sample


def _open_for_results(sample: Sample) -> None:
    _taken(sample)
    _not_counted(sample)


def _taken(sample: Sample) -> None:
    if sample.status in (SampleStatus.SCHEDULED, SampleStatus.CANCELLED):
        raise IllegalTransition(
            _("样品 %(number)s 尚未采样（状态：%(status)s），不能录入结果：请先由采样员登记采样。")
            % {"number": sample.number, "status": sample.get_status_display()},
            code="sample_not_taken",
        )


def _not_counted(sample: Sample) -> None:
    if sample.status == SampleStatus.AWAITING_SECOND:
        raise IllegalTransition(
            _("样品 %(number)s 已确认、正待复核，结果已计入：如需更正，请先由复核化验员退回样品。")
            % {"number": sample.number},
            code="sample_awaiting_second",
        )
    if sample.status == SampleStatus.CONFIRMED:
        raise IllegalTransition(
            _(
                "样品 %(number)s 已确认，结果已生效，不能修改：如需更正须先退回样品，"
                "已生效的样品请联系水质主管安排复测。"
            )
            % {"number": sample.number},
            code="sample_confirmed",
        )


@dataclass(frozen=True)
class _Values:
    raw: str
    qualifier: str
    value: object
    text: str
    unit: str


def _same(result: Result, values: _Values) -> bool:
    return (
        result.raw == values.raw
        and result.qualifier == values.qualifier
        and result.value == values.value
        and result.text == values.text
        and result.unit == values.unit
    )


def _existing(sample: Sample, indicator) -> Result | None:
    return Result.objects.filter(sample=sample, indicator=indicator).first()


def _write(
    *, actor, sample, indicator, result: Result | None, values: _Values, outcome, batch
) -> tuple[Result, str]:
    """Create or update the result (``result``: the one stored, or None); nothing when it is
    unchanged (the analyst's judgement of an unchanged result stands)."""
    if result is not None and _same(result, values):
        return result, UNCHANGED
    change = CREATED if result is None else UPDATED
    if result is None:
        result = Result(sample=sample, indicator=indicator)
    result.raw = values.raw
    result.qualifier = values.qualifier
    result.value = values.value
    result.text = values.text
    result.unit = values.unit
    result.auto_verdict = outcome.verdict
    result.verdict = outcome.verdict
    result.verdict_note = str(outcome.note)[:300]
    result.judged_by = None
    result.entered_at = timezone.now()
    result.entered_by = actor
    result.batch = batch
    result.save()
    return result, change


def _stored(value: Decimal | None) -> Decimal | None:
    """The value as the column keeps it (10 decimal places), so that an unchanged re-entry
    compares equal."""
    return None if value is None else value.quantize(Decimal("1e-10"))


def _record(*, actor, sample, catalogue, code, raw, unit, batch) -> tuple[Result, str]:
    """The checks and the write of one result, for a locked sample that was taken. A
    sample whose results count takes no change (the same value again is "unchanged")."""
    _taken(sample)
    code = str(code or "").strip()
    if code not in sample.indicator_codes:
        raise InvalidInput(
            _("指标“%(code)s”不在样品 %(number)s 的检测计划中：请核对指标，或另行安排采样。")
            % {"code": code, "number": sample.number},
            code="result_not_in_plan",
            field="code",
        )
    indicator = catalogue.get(code)
    if indicator is None:
        raise InvalidInput(
            _("指标“%(code)s”不在判定该样品的标准版本中：请核对指标编码。") % {"code": code},
            code="result_unknown_indicator",
            field="code",
        )
    if indicator.limit_type == LimitType.SUM_OF_RATIOS:
        raise InvalidInput(
            _("“%(name)s”由各组分的结果自动计算，无需录入：请录入各组分的结果。")
            % {"name": indicator.name_zh},
            code="result_sum_computed",
            field="raw",
        )
    unit_check(indicator, unit)
    measured = measured_parse(raw, descriptive=indicator.limit_type == LimitType.DESCRIPTIVE)
    outcome = verdict_for(indicator, measured, **_where(sample))
    values = _Values(
        raw=" ".join(str(raw).split())[:200],
        qualifier=measured.qualifier,
        value=_stored(measured.value),
        text=measured.text,
        unit=indicator.unit,
    )
    existing = _existing(sample, indicator)
    if existing is not None and _same(existing, values):
        return existing, UNCHANGED
    _not_counted(sample)
    result, change = _write(
        actor=actor,
        sample=sample,
        indicator=indicator,
        result=existing,
        values=values,
        outcome=outcome,
        batch=batch,
    )
    if change != UNCHANGED:
        _sums_recompute(actor=actor, sample=sample, catalogue=catalogue, member=code)
        if sample.status == SampleStatus.TAKEN:
            sample.status = SampleStatus.ANALYSED
            sample.save(update_fields=["status"])
    return result, change


def _sums_recompute(*, actor, sample, catalogue, member: str) -> None:
    """(Re)compute every sum of ratios of the sample that ``member`` belongs to, once all
    its members have results."""
    for indicator in catalogue.values():
        if (
            indicator.limit_type != LimitType.SUM_OF_RATIOS
            or indicator.code not in sample.indicator_codes
            or member not in indicator.members
        ):
            continue
        results = {
            result.indicator.code: result
            for result in sample.results.select_related("indicator").filter(
                indicator__code__in=indicator.members
            )
        }
        if any(code not in results for code in indicator.members):
            continue
        members = [
            (
                Measured(results[code].qualifier, results[code].value, results[code].text),
                results[code].indicator,
            )
            for code in indicator.members
        ]
        outcome, shown = ratio_sum_verdict(indicator, members, **_where(sample))
        if shown is None:
            values = _Values(
                raw=str(outcome.note)[:200] or "—",
                qualifier=Qualifier.TEXT,
                value=None,
                text=str(outcome.note)[:200],
                unit=indicator.unit,
            )
        else:
            values = _Values(
                raw=number_text(shown),
                qualifier=Qualifier.EQUAL,
                value=shown,
                text="",
                unit=indicator.unit,
            )
        _write(
            actor=actor,
            sample=sample,
            indicator=indicator,
            result=_existing(sample, indicator),
            values=values,
            outcome=outcome,
            batch=None,
        )


@transaction.atomic
def result_record(*, actor, sample: Sample, code: str, raw: str, unit: str = "", batch=None):
    """Record one result of ``sample``: (the result, "created" / "updated" / "unchanged")."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(sample)
    return _record(
        actor=actor,
        sample=sample,
        catalogue=sample_catalogue(sample),
        code=code,
        raw=raw,
        unit=unit,
        batch=batch,
    )


@transaction.atomic
def results_record(*, actor, sample: Sample, values: dict) -> list[tuple[Result, str]]:
    """Record a page of results, ``{code: (raw, unit)}`` (a blank value: not entered), all
    or nothing: any bad line refuses the page, with every line's reason in
    ``error.details["fields"]`` ({code: message})."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(sample)
    _open_for_results(sample)
    catalogue = sample_catalogue(sample)
    done, errors = [], {}
    for code, (raw, unit) in values.items():
        if not str(raw or "").strip():
            continue
        try:
            with transaction.atomic():
                done.append(
                    _record(
                        actor=actor,
                        sample=sample,
                        catalogue=catalogue,
                        code=code,
                        raw=raw,
                        unit=unit,
                        batch=None,
                    )
                )
        except InvalidInput as error:
            errors[code] = str(error.message)
    if errors:
        raise InvalidInput(
            _("有 %(count)s 项结果无法录入，本页结果均未保存：请按各项提示更正后重新提交。")
            % {"count": len(errors)},
            code="results_refused",
            details={"fields": errors},
        )
    if not done:
        raise InvalidInput(
            _("没有填写任何检测结果：请至少填写一项。"), code="results_empty", field="raw"
        )
    return done


@transaction.atomic
def result_judge(*, actor, result: Result, verdict: str, note: str = "") -> Result:
    """The analyst decides a result the rules could not: pass, or fail with a note."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(result.sample)
    _open_for_results(sample)
    result.refresh_from_db()
    if result.auto_verdict != Verdict.JUDGEMENT:
        raise IllegalTransition(
            _("该结果已按限值自动判定，无需人工判定：如结果有误，请重新录入结果。"),
            code="result_not_for_judgement",
        )
    if verdict not in (Verdict.PASS, Verdict.FAIL):
        raise InvalidInput(_("请选择“合格”或“不合格”。"), code="judgement_verdict", field="verdict")
    note = " ".join(str(note or "").split())[:300]
    if verdict == Verdict.FAIL and not note:
        raise InvalidInput(
            _("判定为不合格时请填写判定说明（如“有明显异味”）。"),
            code="judgement_note_required",
            field="note",
        )
    result.verdict = verdict
    result.verdict_note = note or result.verdict_note
    result.judged_by = actor
    result.save(update_fields=["verdict", "verdict_note", "judged_by"])
    return result


def _sample_results(sample: Sample) -> dict[str, Result]:
    return {
        result.indicator.code: result
        for result in sample.results.select_related("indicator").order_by("indicator__sort_order")
    }


@transaction.atomic
def sample_confirm(*, actor, sample: Sample) -> Sample:
    """The analyst confirms the sample's results: a passing sample counts at once; a
    failing one waits for a second analyst."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(sample)
    if sample.status != SampleStatus.ANALYSED:
        if sample.status == SampleStatus.TAKEN:
            raise IllegalTransition(
                _("样品 %(number)s 还没有检测结果：请先录入结果再确认。")
                % {"number": sample.number},
                code="sample_no_results",
            )
        _open_for_results(sample)
    results = _sample_results(sample)
    catalogue = sample_catalogue(sample)
    missing = [code for code in sample.indicator_codes if code not in results]
    if missing:
        names = [catalogue[code].name_zh if code in catalogue else code for code in missing]
        raise IllegalTransition(
            _("还有 %(count)s 项没有结果：%(names)s。请录入全部结果后再确认。")
            % {"count": len(missing), "names": "、".join(names)},
            code="sample_results_missing",
        )
    undecided = [r.indicator.name_zh for r in results.values() if r.verdict == Verdict.JUDGEMENT]
    if undecided:
        raise IllegalTransition(
            _("还有 %(count)s 项待人工判定：%(names)s。请先逐项判定后再确认。")
            % {"count": len(undecided), "names": "、".join(undecided)},
            code="sample_judgement_pending",
        )
    failing = any(result.verdict == Verdict.FAIL for result in results.values())
    sample.confirmed_by = actor
    sample.confirmed_at = timezone.now()
    if failing:
        sample.verdict = SampleVerdict.FAIL
        sample.status = SampleStatus.AWAITING_SECOND
        sample.save(update_fields=["verdict", "status", "confirmed_by", "confirmed_at"])
        return sample
    sample.verdict = SampleVerdict.PASS
    sample.status = SampleStatus.CONFIRMED
    sample.save(update_fields=["verdict", "status", "confirmed_by", "confirmed_at"])
    hooks.sample_confirmed_notify(sample=sample, actor=actor)
    return sample


def _awaiting_second(sample: Sample) -> None:
    if sample.status != SampleStatus.AWAITING_SECOND:
        raise IllegalTransition(
            _("样品 %(number)s 不在待复核状态（当前：%(status)s），无需复核。")
            % {"number": sample.number, "status": sample.get_status_display()},
            code="sample_not_awaiting_second",
        )


@transaction.atomic
def sample_confirm_second(*, actor, sample: Sample) -> Sample:
    """A second analyst confirms a failing sample: it counts."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(sample)
    _awaiting_second(sample)
    if sample.confirmed_by_id == actor.pk:
        raise IllegalTransition(
            _("不合格样品须由另一名化验员复核：您已作了首次确认，请其他化验员复核。"),
            code="second_confirm_same_analyst",
        )
    sample.status = SampleStatus.CONFIRMED
    sample.second_confirmed_by = actor
    sample.second_confirmed_at = timezone.now()
    sample.save(update_fields=["status", "second_confirmed_by", "second_confirmed_at"])
    hooks.sample_confirmed_notify(sample=sample, actor=actor)
    return sample


@transaction.atomic
def sample_return(*, actor, sample: Sample, reason: str) -> Sample:
    """Send a sample awaiting its second confirmation back for correction or a re-test:
    its results are open again and its first confirmation is withdrawn."""
    require_permission(actor, ENTER_PERMISSION)
    sample = _locked(sample)
    _awaiting_second(sample)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise InvalidInput(
            _("请填写退回原因（如“余氯结果疑似录入错误，请复测”）。"),
            code="sample_return_reason",
            field="reason",
        )
    sample.status = SampleStatus.ANALYSED
    sample.verdict = SampleVerdict.PENDING
    sample.confirmed_by = None
    sample.confirmed_at = None
    sample.note = (_("退回：%(reason)s") % {"reason": reason})[:300]
    sample.save(update_fields=["status", "verdict", "confirmed_by", "confirmed_at", "note"])
    return sample
