"""The automatic verdict of every limit type at and around its boundaries, read from the
seeded GB 5749-2022 catalogue: decimals compared exactly, never floats."""

from decimal import Decimal

import pytest

from tests.quality_support import indicator
from waterdesk.core.errors import InvalidInput
from waterdesk.quality.models import Disinfection, PointType, Qualifier, Verdict
from waterdesk.quality.verdicts import (
    Measured,
    limit_text,
    measured_parse,
    ratio_sum_verdict,
    unit_check,
    verdict_for,
)

pytestmark = pytest.mark.django_db

TAP = {"point_type": PointType.TAP, "disinfection": Disinfection.CHLORINE, "algal_bloom": False}
OUTLET = {**TAP, "point_type": PointType.PLANT_OUTLET}

P, F, G, J, NA = (
    Verdict.PASS,
    Verdict.FAIL,
    Verdict.GUIDANCE,
    Verdict.JUDGEMENT,
    Verdict.NOT_APPLICABLE,
)


def judged(code: str, raw: str, where=TAP) -> str:
    item = indicator(code)
    measured = measured_parse(raw, descriptive=item.limit_type == "descriptive")
    return verdict_for(item, measured, **where).verdict


@pytest.mark.parametrize(
    ("code", "raw", "expected"),
    [
        # max: turbidity ≤ 1 NTU
        ("turbidity", "1.0", P),
        ("turbidity", "1", P),
        ("turbidity", "1.00000001", F),
        ("turbidity", "1.01", F),
        ("turbidity", "0.99", P),
        ("turbidity", "<0.1", P),
        ("turbidity", ">1", F),
        ("turbidity", ">0.5", J),  # above 0.5 says nothing about 1
        ("turbidity", "未检出", P),
        # max with a tiny limit: benzo(a)pyrene ≤ 0.00001 mg/L
        ("benzo_a_pyrene", "0.00001", P),
        ("benzo_a_pyrene", "0.000011", F),
        ("benzo_a_pyrene", "1E-5", P),
        ("benzo_a_pyrene", "<0.000002", P),
        ("benzo_a_pyrene", "<0.00002", J),  # a detection limit above the limit
        # max_exclusive: giardia < 1 per 10 L
        ("giardia", "0.99", P),
        ("giardia", "1", F),
        ("giardia", "1.0", F),
        ("giardia", "<1", P),
        ("giardia", "ND", P),
        # min: free chlorine at the tap ≥ 0.05 mg/L
        ("free_chlorine_tap", "0.05", P),
        ("free_chlorine_tap", "0.049", F),
        ("free_chlorine_tap", "<0.05", F),
        ("free_chlorine_tap", "<0.06", J),
        ("free_chlorine_tap", ">0.05", P),
        ("free_chlorine_tap", "未检出", F),
        # range: pH 6.5–8.5, both ends
        ("ph", "6.5", P),
        ("ph", "6.49", F),
        ("ph", "8.5", P),
        ("ph", "8.51", F),
        ("ph", "7.2", P),
        ("ph", "<6.5", F),
        ("ph", ">8.5", F),
        # not detected: total coliforms
        ("total_coliforms", "未检出", P),
        ("total_coliforms", "0", P),
        ("total_coliforms", "<1", P),
        ("total_coliforms", "1", F),
        ("total_coliforms", "0.001", F),  # a trace is a detection
        ("total_coliforms", ">0", F),
        # guidance: gross α 0.5 Bq/L: flagged, never failed
        ("gross_alpha", "0.5", P),
        ("gross_alpha", "0.51", G),
        ("gross_alpha", ">0.5", G),
        ("gross_alpha", "<0.1", P),
        # descriptive: always the analyst's
        ("odor_taste", "无异臭、异味", J),
        ("visible_matter", "有少量悬浮物", J),
    ],
)
def test_each_limit_type_at_its_boundary(code, raw, expected):
    assert judged(code, raw) == expected


def test_outlet_and_tap_limits_follow_the_point_type():
    # Free chlorine at the outlet: 0.3–2 mg/L; at the tap: ≥ 0.05.
    assert judged("free_chlorine_outlet", "0.3", OUTLET) == P
    assert judged("free_chlorine_outlet", "0.29", OUTLET) == F
    assert judged("free_chlorine_outlet", "2", OUTLET) == P
    assert judged("free_chlorine_outlet", "2.01", OUTLET) == F
    assert judged("free_chlorine_outlet", "0.1", TAP) == NA
    assert judged("free_chlorine_tap", "0.1", OUTLET) == NA
    for point_type in (PointType.NETWORK, PointType.SECONDARY):
        assert judged("free_chlorine_tap", "0.04", {**TAP, "point_type": point_type}) == F
    # Source water is monitored, not judged by the drinking-water standard.
    assert judged("turbidity", "5", {**TAP, "point_type": PointType.SOURCE}) == NA


def test_conditions_follow_the_disinfection_and_algal_bloom():
    chloramine = {**TAP, "disinfection": Disinfection.CHLORAMINE}
    assert judged("free_chlorine_tap", "0.01", chloramine) == NA
    assert judged("total_chlorine_tap", "0.01", chloramine) == F
    assert judged("bromate", "0.02", TAP) == NA
    assert judged("bromate", "0.02", {**TAP, "disinfection": Disinfection.OZONE}) == F
    composite = {**TAP, "disinfection": Disinfection.COMPOSITE_CHLORINE_DIOXIDE}
    assert judged("chlorate", "0.71", composite) == F
    assert judged("chlorate", "0.71", {**TAP, "disinfection": Disinfection.CHLORINE_DIOXIDE}) == NA
    assert judged("chlorite", "0.71", composite) == F
    assert judged("microcystin_lr", "0.002", TAP) == NA
    assert judged("microcystin_lr", "0.002", {**TAP, "algal_bloom": True}) == F


def _members(values: dict[str, str]):
    return [(measured_parse(raw), indicator(code)) for code, raw in values.items()]


def test_trihalomethanes_each_passes_and_the_sum_fails():
    # Each below its own limit; 0.05/0.06 + 0.05/0.06 + 0.05/0.1 + 0.05/0.1 = 2.67 > 1.
    values = {
        "chloroform": "0.05",
        "bromodichloromethane": "0.05",
        "dibromochloromethane": "0.05",
        "bromoform": "0.05",
    }
    for code, raw in values.items():
        assert judged(code, raw) == P
    outcome, shown = ratio_sum_verdict(indicator("thm_total"), _members(values), **TAP)
    assert outcome.verdict == F
    assert shown == Decimal("2.6667")


def test_trihalomethane_sum_exactly_one_passes_and_a_hair_over_fails():
    # 0.02/0.06 + 0.02/0.06 + 0.0333…: thirds summed as fractions are exactly 1 at the limit.
    exactly = {
        "chloroform": "0.03",  # 1/2
        "bromodichloromethane": "0.015",  # 1/4
        "dibromochloromethane": "0.025",  # 1/4
        "bromoform": "<0.001",  # counts as zero
    }
    outcome, shown = ratio_sum_verdict(indicator("thm_total"), _members(exactly), **TAP)
    assert (outcome.verdict, shown) == (P, Decimal("1.0000"))
    over = {**exactly, "bromoform": "0.0000001"}
    outcome, shown = ratio_sum_verdict(indicator("thm_total"), _members(over), **TAP)
    assert (outcome.verdict, shown) == (F, Decimal("1.0000"))
    thirds = {"chloroform": "0.02", "bromodichloromethane": "0.02", "dibromochloromethane": "0"}
    thirds_members = [*_members(thirds), (measured_parse("0"), indicator("bromoform"))]
    outcome, _shown = ratio_sum_verdict(indicator("thm_total"), thirds_members, **TAP)
    assert outcome.verdict == P  # 1/3 + 1/3 < 1, no rounding surprise
    above = [*_members({"chloroform": ">0.01"}), *_members({"bromoform": "0.01"})]
    assert ratio_sum_verdict(indicator("thm_total"), above, **TAP)[0].verdict == J


@pytest.mark.parametrize(
    ("raw", "qualifier", "value"),
    [
        ("0.003", Qualifier.EQUAL, Decimal("0.003")),
        (" 1.0 ", Qualifier.EQUAL, Decimal("1.0")),
        ("<0.001", Qualifier.LESS_THAN, Decimal("0.001")),
        ("＜０．００１", Qualifier.LESS_THAN, Decimal("0.001")),
        ("< 0.001", Qualifier.LESS_THAN, Decimal("0.001")),
        ("≤0.5", Qualifier.LESS_THAN, Decimal("0.5")),
        (">2400", Qualifier.GREATER_THAN, Decimal("2400")),
        ("未检出", Qualifier.NOT_DETECTED, None),
        ("ND", Qualifier.NOT_DETECTED, None),
        ("未检出(<0.0005)", Qualifier.LESS_THAN, Decimal("0.0005")),
        ("1,000", Qualifier.EQUAL, Decimal("1000")),
        ("1.5E-3", Qualifier.EQUAL, Decimal("0.0015")),
    ],
)
def test_values_are_read_with_their_qualifiers(raw, qualifier, value):
    measured = measured_parse(raw)
    assert (measured.qualifier, measured.value) == (qualifier, value)


@pytest.mark.parametrize("raw", ["", "abc", "-0.1", "NaN", "Infinity", "0.1.2", "约0.3", "1e99"])
def test_unparsable_values_are_refused(raw):
    with pytest.raises(InvalidInput) as refused:
        measured_parse(raw)
    assert refused.value.code in ("result_unparsable", "result_empty")


def test_descriptive_text_is_kept_as_text():
    assert measured_parse("无异臭、异味", descriptive=True) == Measured(
        Qualifier.TEXT, text="无异臭、异味"
    )


def test_units_are_checked_against_the_catalogue():
    lead = indicator("lead")
    for unit in ("mg/L", "mg/l", " MG/L ", "毫克/升", ""):
        unit_check(lead, unit)
    with pytest.raises(InvalidInput) as refused:
        unit_check(lead, "μg/L")
    assert refused.value.code == "result_unit_mismatch"
    unit_check(indicator("ph"), "无量纲")
    with pytest.raises(InvalidInput):
        unit_check(indicator("turbidity"), "mg/L")


def test_limits_read_as_people_write_them():
    assert limit_text(indicator("turbidity")) == "≤ 1"
    assert limit_text(indicator("ph")) == "6.5–8.5"
    assert limit_text(indicator("giardia")) == "< 1"
    assert limit_text(indicator("free_chlorine_tap")) == "≥ 0.05"
    assert limit_text(indicator("benzo_a_pyrene")) == "≤ 0.00001"
    assert limit_text(indicator("total_coliforms")) == "不得检出"
