"""Reads of the results pages: the analysts' worklist, a sample with its results in the
catalogue's order (each with its limit as people write it), and the import batches."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from waterdesk.quality.models import (
    ImportBatch,
    Indicator,
    LimitType,
    Result,
    Sample,
    SampleStatus,
    Verdict,
)
from waterdesk.quality.services.results import sample_catalogue, sample_edition
from waterdesk.quality.verdicts import limit_text

VIEW_PERMISSION = "quality.view_quality"
WORKLIST_LIMIT = 200


@dataclass
class Worklist:
    to_enter: list[Sample]  # taken, awaiting results
    to_confirm: list[Sample]  # analysed, awaiting the first confirmation
    to_second: list[Sample]  # failing, awaiting a second analyst (not the viewer's own)
    own_awaiting_second: list[Sample]  # the viewer confirmed first: another analyst's turn


def _samples(status: str):
    return (
        Sample.objects.filter(status=status)
        .select_related("point", "confirmed_by")
        .order_by("taken_at", "number")
    )


def results_worklist(viewer) -> Worklist:
    awaiting = list(_samples(SampleStatus.AWAITING_SECOND)[:WORKLIST_LIMIT])
    return Worklist(
        to_enter=list(_samples(SampleStatus.TAKEN)[:WORKLIST_LIMIT]),
        to_confirm=list(_samples(SampleStatus.ANALYSED)[:WORKLIST_LIMIT]),
        to_second=[s for s in awaiting if s.confirmed_by_id != viewer.pk],
        own_awaiting_second=[s for s in awaiting if s.confirmed_by_id == viewer.pk],
    )


def sample_by_number(number: str) -> Sample:
    sample = (
        Sample.objects.select_related(
            "point", "plan", "edition", "taken_by", "confirmed_by", "second_confirmed_by"
        )
        .filter(number=number)
        .first()
    )
    if sample is None:
        raise Http404()
    return sample


@dataclass
class ResultRow:
    code: str
    indicator: Indicator | None
    result: Result | None
    limit: str
    is_sum: bool
    is_descriptive: bool

    @property
    def needs_judgement(self) -> bool:
        return self.result is not None and self.result.auto_verdict == Verdict.JUDGEMENT


@dataclass
class SampleResults:
    sample: Sample
    rows: list[ResultRow]
    edition: object = None
    missing: list[ResultRow] = field(default_factory=list)
    undecided: list[ResultRow] = field(default_factory=list)
    failing: list[ResultRow] = field(default_factory=list)
    guidance: list[ResultRow] = field(default_factory=list)


def sample_results(sample: Sample) -> SampleResults:
    """The sample's codes in the catalogue's order, each with its result (or None)."""
    catalogue = sample_catalogue(sample)
    results = {
        result.indicator.code: result
        for result in sample.results.select_related("indicator", "entered_by", "judged_by")
    }
    order = {code: indicator.sort_order for code, indicator in catalogue.items()}
    codes = sorted(sample.indicator_codes, key=lambda code: (order.get(code, 10**6), code))
    rows = []
    for code in codes:
        indicator = catalogue.get(code)
        rows.append(
            ResultRow(
                code=code,
                indicator=indicator,
                result=results.get(code),
                limit=limit_text(indicator) if indicator else "",
                is_sum=bool(indicator and indicator.limit_type == LimitType.SUM_OF_RATIOS),
                is_descriptive=bool(indicator and indicator.limit_type == LimitType.DESCRIPTIVE),
            )
        )
    return SampleResults(
        sample=sample,
        rows=rows,
        edition=sample_edition(sample),
        missing=[row for row in rows if row.result is None],
        undecided=[row for row in rows if row.result and row.result.verdict == Verdict.JUDGEMENT],
        failing=[row for row in rows if row.result and row.result.verdict == Verdict.FAIL],
        guidance=[row for row in rows if row.result and row.result.verdict == Verdict.GUIDANCE],
    )


def import_batches_recent(limit: int = 10):
    return ImportBatch.objects.select_related("imported_by").order_by("-imported_at", "-pk")[:limit]


def import_batch_get(pk: int) -> ImportBatch:
    batch = ImportBatch.objects.select_related("imported_by").filter(pk=pk).first()
    if batch is None:
        raise Http404()
    return batch
