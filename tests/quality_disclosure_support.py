"""Hand-made water-quality results for the disclosure tests: confirmed samples with a
failing item, a guidance item, a not-applicable item, and samples that must not count (at
the source, not yet confirmed, outside the period). Results are judged by the real verdict
rules and samples confirmed as the results service leaves them.

On 2026-12-02 (``NOW``), over the last 30 days:

- plant outlet: turbidity 0.5 (pass), free chlorine 0.6 (pass), gross α 0.6 (guidance:
  counts as passing), free chlorine at tap (not applicable: not counted) → 1/1 samples,
  3/3 items;
- network point (zone): turbidity 1.5 (fail), free chlorine at tap 0.3 (pass) → the sample
  fails, 1/2 items;
- tap point (zone): turbidity 0.3, pH 7.2 (pass) → 1/1 sample, 2/2 items;
- not counted: the source (turbidity 5, failing), a tap sample taken but not confirmed
  (turbidity 3), a tap sample of 2026-10-01 (confirmed, turbidity 0.8).

So the zone: samples 1/2 (50.00%), items 3/4 (75.00%); the plant: 100.00% and 100.00%;
overall: samples 2/3 (66.67%), items 6/7 (85.71%)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, time

from pypdf import PdfReader

from tests.factories import AccountFactory, CustomerFactory, PremiseFactory
from tests.quality_support import QualityWorld, indicator, quality_world, sample_taken
from waterdesk.core.timeutil import LOCAL_TZ
from waterdesk.quality.models import Result, Sample, SampleStatus, SampleVerdict, Verdict
from waterdesk.quality.verdicts import measured_parse, verdict_for

NOW = datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)
DAY = date(2026, 12, 2)
# What must never appear on the public page: the customer's name, phone and address.
PERSONAL = ("王小明", "13912345678", "城东区幸福路8号")


@dataclass
class DisclosureWorld:
    world: QualityWorld
    outlet: Sample
    network: Sample
    tap: Sample
    old_tap: Sample
    account: object


def result_add(sample: Sample, code: str, raw: str, *, by) -> Result:
    """A result judged by the verdict rules, as the results service records it."""
    found = indicator(code, sample.taken_at.date())
    measured = measured_parse(raw)
    outcome = verdict_for(
        found,
        measured,
        point_type=sample.point.point_type,
        disinfection=sample.point.disinfection,
        algal_bloom=sample.algal_bloom,
    )
    return Result.objects.create(
        sample=sample,
        indicator=found,
        raw=raw,
        qualifier=measured.qualifier,
        value=measured.value,
        unit=found.unit,
        auto_verdict=outcome.verdict,
        verdict=outcome.verdict,
        verdict_note=outcome.note,
        entered_by=by,
    )


def confirmed(point, results: dict[str, str], *, by, day: date = DAY) -> Sample:
    sample = sample_taken(point, list(results), day=day)
    rows = [result_add(sample, code, raw, by=by) for code, raw in results.items()]
    failing = any(row.verdict == Verdict.FAIL for row in rows)
    sample.status = SampleStatus.CONFIRMED
    sample.verdict = SampleVerdict.FAIL if failing else SampleVerdict.PASS
    sample.confirmed_at = datetime.combine(day, time(16, 0), tzinfo=LOCAL_TZ)
    sample.confirmed_by = by
    sample.save()
    return sample


def disclosure_world() -> DisclosureWorld:
    world = quality_world()
    analyst = world.analyst
    outlet = confirmed(
        world.outlet,
        {
            "turbidity": "0.5",
            "free_chlorine_outlet": "0.6",
            "gross_alpha": "0.6",
            "free_chlorine_tap": "0.5",
        },
        by=analyst,
    )
    network = confirmed(world.network, {"turbidity": "1.5", "free_chlorine_tap": "0.3"}, by=analyst)
    tap = confirmed(world.tap, {"turbidity": "0.3", "ph": "7.2"}, by=analyst)
    confirmed(world.source, {"turbidity": "5"}, by=analyst)
    pending = sample_taken(world.tap, ["turbidity"], day=DAY)
    result_add(pending, "turbidity", "3", by=analyst)
    old_tap = confirmed(world.tap, {"turbidity": "0.8"}, by=analyst, day=date(2026, 10, 1))
    premise = PremiseFactory(zone=world.zone, district="城东区", address=PERSONAL[2])
    account = AccountFactory(
        premise=premise, customer=CustomerFactory(name=PERSONAL[0], mobile=PERSONAL[1])
    )
    return DisclosureWorld(world, outlet, network, tap, old_tap, account)


def pdf_fonts(content: bytes) -> dict[str, bool]:
    """Every font the PDF's pages use: its name → whether its program is embedded."""
    fonts = {}
    for page in PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            if "/DescendantFonts" in font:
                descriptor = font["/DescendantFonts"][0].get_object().get("/FontDescriptor")
            else:
                descriptor = font.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            fonts[str(font["/BaseFont"])] = bool(
                {"/FontFile", "/FontFile2", "/FontFile3"} & set(descriptor)
            )
    return fonts
