"""Reading a lab's value and judging it against an indicator's limit (R-Q3).

Everything is decimal or rational, never float: a turbidity of 1.0 NTU passes a limit of 1
and 1.01 fails, exactly. A value is read with its qualifier — "0.003", "<0.001" (below the
detection limit), ">2400", "未检出" (not detected), or text for a descriptive indicator — and
the verdict follows the limit type:

========================  ==========  ===================  =====================  ============
limit type                 value v     "< DL"               "> x"                  not detected
========================  ==========  ===================  =====================  ============
max (≤ max)                v ≤ max     pass if DL ≤ max     fail if x ≥ max        pass
max_exclusive (< max)      v < max     pass if DL ≤ max     fail if x ≥ max        pass
min (≥ min)                v ≥ min     fail if DL ≤ min     pass if x ≥ min        fail
range (min ≤ v ≤ max)      both ends   fail if DL ≤ min     fail if x ≥ max        fail
not_detected               v = 0       pass                 fail                   pass
guidance_max               v ≤ max     pass if DL ≤ max     guidance if x ≥ max    pass
========================  ==========  ===================  =====================  ============

Any other case cannot be decided from the value (a detection limit above the limit, say) and
waits for the analyst's judgement, as every descriptive indicator does. A guidance value
exceeded is flagged for further analysis and is not a failure. The sum of ratios
(trihalomethanes) is Σ measured/limit over the member compounds, computed as fractions; a
member below its detection limit counts as zero.

Whether an indicator applies at all depends on the point (source water is not judged by
the drinking-water standard; outlet and tap limits by the point type), the disinfection in
use and, for algal toxins, an algal bloom."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput
from waterdesk.quality.models.catalogue import ALGAL_BLOOM, LimitType, PointScope
from waterdesk.quality.models.results import Qualifier, Verdict
from waterdesk.quality.models.sampling import TAP_SIDE, PointType

_NOT_DETECTED = re.compile(r"^(未检出|未检测出|nd|n\.d\.?|not\s+detected)$", re.IGNORECASE)
_NUMBER = re.compile(
    r"^(?P<op><=|>=|<|>|≤|≥)?\s*(?P<number>[+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[+]?\.\d+)$"
)
# "未检出(<0.001)", "ND <0.001": not detected at a stated detection limit.
_NOT_DETECTED_BELOW = re.compile(
    r"^(?:未检出|nd|n\.d\.?)\s*[(（]?\s*[<＜]\s*(?P<number>\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*[)）]?$",
    re.IGNORECASE,
)
_FULL_WIDTH = str.maketrans(
    {"＜": "<", "＞": ">", "．": ".", "，": ",", "＋": "+", "　": " ", "０": "0", "１": "1",
     "２": "2", "３": "3", "４": "4", "５": "5", "６": "6", "７": "7", "８": "8", "９": "9"}
)  # fmt: skip


@dataclass(frozen=True)
class Measured:
    """A result as the verdict reads it: the qualifier, the number (the value, the detection
    limit for "<", the bound for ">"), and the text of a descriptive result."""

    qualifier: str
    value: Decimal | None = None
    text: str = ""


@dataclass(frozen=True)
class Outcome:
    verdict: str
    note: str = ""


def measured_parse(raw: str, *, descriptive: bool = False) -> Measured:
    """Read a lab's value. A descriptive indicator takes any text; every other indicator
    takes a number with an optional qualifier, or "not detected"; anything else is refused."""
    text = " ".join(str(raw or "").translate(_FULL_WIDTH).split())
    if not text:
        raise InvalidInput(_("请填写检测结果。"), code="result_empty", field="raw")
    if descriptive:
        return Measured(Qualifier.TEXT, text=text[:200])
    if _NOT_DETECTED.match(text):
        return Measured(Qualifier.NOT_DETECTED)
    below = _NOT_DETECTED_BELOW.match(text)
    if below:
        return Measured(Qualifier.LESS_THAN, _decimal(below["number"], raw))
    match = _NUMBER.match(text.replace(",", ""))
    if match is None:
        raise InvalidInput(
            _("检测结果“%(raw)s”无法识别：请填写数值（如 0.003）、“<检出限”或“未检出”。")
            % {"raw": text[:40]},
            code="result_unparsable",
            field="raw",
        )
    value = _decimal(match["number"], raw)
    op = match["op"] or ""
    if op in ("<", "<=", "≤"):
        return Measured(Qualifier.LESS_THAN, value)
    if op in (">", ">=", "≥"):
        return Measured(Qualifier.GREATER_THAN, value)
    return Measured(Qualifier.EQUAL, value)


def _decimal(number: str, raw: str) -> Decimal:
    try:
        value = Decimal(number)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or value < 0 or value.adjusted() > 12:
        raise InvalidInput(
            _("检测结果“%(raw)s”不是有效的数值。") % {"raw": str(raw)[:40]},
            code="result_unparsable",
            field="raw",
        )
    return value


_UNIT_ALIASES = {"": "", "-": "", "/": "", "无": "", "无量纲": "", "dimensionless": ""}


def unit_normalise(unit: str) -> str:
    text = "".join(str(unit or "").translate(_FULL_WIDTH).split()).lower()
    text = text.replace("μ", "u").replace("µ", "u").replace("毫克", "mg").replace("升", "l")
    text = text.replace("毫升", "ml")
    return _UNIT_ALIASES.get(text, text)


def unit_check(indicator, unit: str) -> None:
    """Refuse a unit other than the catalogue's (an empty unit means the catalogue's)."""
    given = unit_normalise(unit)
    if given and given != unit_normalise(indicator.unit):
        raise InvalidInput(
            _("“%(name)s”的单位应为 %(expected)s，文件中为 %(given)s：请按目录单位换算后再录入。")
            % {"name": indicator.name_zh, "expected": indicator.unit or _("无量纲"), "given": unit},
            code="result_unit_mismatch",
            field="unit",
        )


def applies(indicator, *, point_type: str, disinfection: str, algal_bloom: bool) -> bool:
    """Whether the indicator's limit applies to a sample at this point."""
    if point_type == PointType.SOURCE:
        return False
    if indicator.point_scope == PointScope.OUTLET and point_type != PointType.PLANT_OUTLET:
        return False
    if indicator.point_scope == PointScope.TAP and point_type not in TAP_SIDE:
        return False
    conditions = set(indicator.applies_when or ())
    if not conditions:
        return True
    return disinfection in conditions or (algal_bloom and ALGAL_BLOOM in conditions)


def verdict_for(
    indicator, measured: Measured, *, point_type: str, disinfection: str, algal_bloom: bool
) -> Outcome:
    """The automatic verdict of one result (not for sums of ratios: ``ratio_sum_verdict``)."""
    if not applies(
        indicator, point_type=point_type, disinfection=disinfection, algal_bloom=algal_bloom
    ):
        return Outcome(Verdict.NOT_APPLICABLE, _("该指标不适用于此采样点或当前条件"))
    limit_type = indicator.limit_type
    if limit_type == LimitType.DESCRIPTIVE or measured.qualifier == Qualifier.TEXT:
        return Outcome(Verdict.JUDGEMENT, _("描述性指标，由化验员判定"))
    if limit_type == LimitType.SUM_OF_RATIOS:
        raise ValueError("a sum of ratios is judged by ratio_sum_verdict")
    low, high = indicator.min_value, indicator.max_value
    q, v = measured.qualifier, measured.value
    undecided = Outcome(Verdict.JUDGEMENT, _("检出限或报告值不足以判定，由化验员判定"))
    if limit_type == LimitType.NOT_DETECTED:
        if q in (Qualifier.NOT_DETECTED, Qualifier.LESS_THAN) or (q == Qualifier.EQUAL and v == 0):
            return Outcome(Verdict.PASS)
        return Outcome(Verdict.FAIL, _("不得检出，实际检出"))
    if q == Qualifier.NOT_DETECTED:
        if limit_type in (LimitType.MIN, LimitType.RANGE):
            return Outcome(Verdict.FAIL, _("未检出，低于下限"))
        return Outcome(Verdict.PASS)
    exceeded = Verdict.GUIDANCE if limit_type == LimitType.GUIDANCE_MAX else Verdict.FAIL
    exceeded_note = _("超过指导值，需进一步分析") if exceeded == Verdict.GUIDANCE else _("超过上限")
    if q == Qualifier.LESS_THAN:  # the true value is below v
        if limit_type in (LimitType.MIN, LimitType.RANGE):
            return Outcome(Verdict.FAIL, _("低于下限")) if v <= low else undecided
        return Outcome(Verdict.PASS) if v <= high else undecided
    if q == Qualifier.GREATER_THAN:  # the true value is above v
        if limit_type == LimitType.MIN:
            return Outcome(Verdict.PASS) if v >= low else undecided
        return Outcome(exceeded, exceeded_note) if v >= high else undecided
    # An exact value.
    if low is not None and limit_type in (LimitType.MIN, LimitType.RANGE) and v < low:
        return Outcome(Verdict.FAIL, _("低于下限"))
    if high is not None and limit_type != LimitType.MIN:
        over = v >= high if limit_type == LimitType.MAX_EXCLUSIVE else v > high
        if over:
            return Outcome(exceeded, exceeded_note)
    return Outcome(Verdict.PASS)


def ratio_sum(members) -> Fraction | None:
    """Σ measured/limit over ``members`` — pairs of (Measured, the member's Indicator) —
    exactly, as a fraction; a member below its detection limit or not detected counts as
    zero. None when a member's value is only known to be above a bound."""
    total = Fraction(0)
    for measured, member in members:
        if measured.qualifier in (Qualifier.LESS_THAN, Qualifier.NOT_DETECTED):
            continue
        if measured.qualifier != Qualifier.EQUAL or not member.max_value:
            return None
        total += Fraction(measured.value) / Fraction(member.max_value)
    return total


def ratio_sum_verdict(indicator, members, **where) -> tuple[Outcome, Decimal | None]:
    """The verdict of a sum-of-ratios indicator from its members' results, and the sum
    (rounded to 4 places, for display; the verdict uses the exact fraction)."""
    if not applies(indicator, **where):
        return Outcome(Verdict.NOT_APPLICABLE, _("该指标不适用于此采样点或当前条件")), None
    total = ratio_sum(members)
    if total is None:
        return Outcome(Verdict.JUDGEMENT, _("组成指标有“>”报告值，由化验员判定")), None
    shown = (Decimal(total.numerator) / Decimal(total.denominator)).quantize(Decimal("0.0001"))
    if total > Fraction(indicator.max_value):
        return Outcome(Verdict.FAIL, _("各组分实测值与限值之比的和超过 1")), shown
    return Outcome(Verdict.PASS), shown


def number_text(value: Decimal | None) -> str:
    """A decimal as people write it: 0.01, 250, 6.5 (no exponent, no trailing zeros)."""
    if value is None:
        return ""
    text = format(value.normalize(), "f")
    return text


def limit_text(indicator) -> str:
    low, high = number_text(indicator.min_value), number_text(indicator.max_value)
    match indicator.limit_type:
        case LimitType.MAX:
            return f"≤ {high}"
        case LimitType.MAX_EXCLUSIVE:
            return f"< {high}"
        case LimitType.MIN:
            return f"≥ {low}"
        case LimitType.RANGE:
            return f"{low}–{high}"
        case LimitType.NOT_DETECTED:
            return _("不得检出")
        case LimitType.SUM_OF_RATIOS:
            return _("各组分比值之和 ≤ %(max)s") % {"max": high}
        case LimitType.GUIDANCE_MAX:
            return _("指导值 %(max)s") % {"max": high}
    return indicator.condition
