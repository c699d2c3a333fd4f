"""The lab's results pages (``workbench:quality_results``, ``quality_sample`` …): the
analysts' worklist, a sample with its results (entry, judgement, confirmation), and the
import of a lab's file.

Readers hold ``quality.view_quality``; results are entered, judged, confirmed and imported
with ``quality.enter_results`` (the services check it again). Thin: a form parses, one
service decides, a refusal comes back on the page with its reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.quality import forms_results as forms
from waterdesk.quality.models import Result, SampleStatus, Verdict
from waterdesk.quality.selectors_results import (
    VIEW_PERMISSION,
    import_batch_get,
    import_batches_recent,
    results_worklist,
    sample_by_number,
    sample_results,
)
from waterdesk.quality.services import results as services
from waterdesk.quality.services.imports import results_import
from waterdesk.quality.services.results import ENTER_PERMISSION

reader_view = staff_view(has_perm(VIEW_PERMISSION))
analyst_view = staff_view(has_perm(ENTER_PERMISSION))

SAMPLE_TEMPLATE = "quality/results/sample.html"


@require_GET
@reader_view
def results_page(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "quality/results/worklist.html",
        {
            "worklist": results_worklist(request.user),
            "batches": import_batches_recent(),
            "may_enter": request.user.has_perm(ENTER_PERMISSION),
        },
    )


def _sample_page(
    request, sample, *, results_form=None, failed=None, refusal=None, status: int = 200
) -> HttpResponse:
    """The sample page; ``failed`` is (result pk or action name, form) of a refused form,
    ``refusal`` a refusal without a form (a confirmation)."""
    data = sample_results(sample)
    may_enter = request.user.has_perm(ENTER_PERMISSION)
    is_open = sample.status in (SampleStatus.TAKEN, SampleStatus.ANALYSED)
    if may_enter and is_open and results_form is None:
        results_form = forms.ResultsForm(rows=data.rows)
    judge_forms = {}
    if may_enter and is_open:
        for row in data.rows:
            if row.needs_judgement:
                judge_forms[row.result.pk] = forms.JudgeForm(
                    auto_id=f"id_judge_{row.result.pk}_%s",
                    initial={"verdict": row.result.verdict}
                    if row.result.verdict in (Verdict.PASS, Verdict.FAIL)
                    else None,
                )
    return_form = None
    if may_enter and sample.status == SampleStatus.AWAITING_SECOND:
        return_form = forms.ReturnForm(auto_id="id_return_%s")
    if failed is not None:
        key, form = failed
        if key == "return":
            return_form = form
        else:
            judge_forms[key] = form
    rows = data.rows
    for row in rows:
        row.judge_form = judge_forms.get(row.result.pk) if row.result else None
    context = {
        "sample": sample,
        "data": data,
        "rows": rows,
        "may_enter": may_enter,
        "is_open": is_open,
        "results_form": results_form if (may_enter and is_open) else None,
        "entry_rows": results_form.bound_rows() if (may_enter and is_open) else [],
        "return_form": return_form,
        "may_confirm": may_enter and sample.status == SampleStatus.ANALYSED,
        "may_confirm_second": may_enter
        and sample.status == SampleStatus.AWAITING_SECOND
        and sample.confirmed_by_id != request.user.pk,
        "judging": any(row.judge_form for row in rows),
        "refusal": refusal,
        "failed_form": failed[1] if failed is not None else None,
    }
    return render(request, SAMPLE_TEMPLATE, context, status=status)


@require_GET
@reader_view
def sample_page(request: HttpRequest, number: str) -> HttpResponse:
    return _sample_page(request, sample_by_number(number))


@require_POST
@analyst_view
def sample_results_view(request: HttpRequest, number: str) -> HttpResponse:
    sample = sample_by_number(number)
    form = forms.ResultsForm(request.POST, rows=sample_results(sample).rows)
    if form.is_valid():
        try:
            done = services.results_record(actor=request.user, sample=sample, values=form.values())
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_line_errors(error.details.get("fields", {}))
            form.add_error(None, str(error.message))
        else:
            changed = sum(1 for _result, change in done if change != services.UNCHANGED)
            messages.success(
                request,
                _(
                    "已保存 %(changed)s 项结果（%(same)s 项与原结果相同）。"
                    "录入全部结果并判定后请确认样品。"
                )
                % {"changed": changed, "same": len(done) - changed},
            )
            return redirect("workbench:quality_sample", number=sample.number)
    return _sample_page(request, sample_by_number(number), results_form=form, status=400)


@require_POST
@analyst_view
def result_judge_view(request: HttpRequest, pk: int) -> HttpResponse:
    result = get_object_or_404(Result.objects.select_related("sample", "indicator"), pk=pk)
    form = forms.JudgeForm(request.POST, auto_id=f"id_judge_{pk}_%s")
    if form.is_valid():
        try:
            services.result_judge(actor=request.user, result=result, **form.cleaned_data)
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("已判定“%(name)s”：%(verdict)s。")
                % {"name": result.indicator.name_zh, "verdict": result.get_verdict_display()},
            )
            return redirect("workbench:quality_sample", number=result.sample.number)
    return _sample_page(
        request, sample_by_number(result.sample.number), failed=(pk, form), status=400
    )


def _sample_action(request, number: str, act, done) -> HttpResponse:
    sample = sample_by_number(number)
    try:
        sample = act(sample)
    except NotPermitted:
        raise
    except DomainError as error:
        return _sample_page(
            request, sample_by_number(number), refusal=str(error.message), status=400
        )
    messages.success(request, done(sample))
    return redirect("workbench:quality_sample", number=sample.number)


@require_POST
@analyst_view
def sample_confirm_view(request: HttpRequest, number: str) -> HttpResponse:
    def done(sample):
        if sample.status == SampleStatus.CONFIRMED:
            return _("样品 %(number)s 已确认合格，结果已生效。") % {"number": sample.number}
        return _("样品 %(number)s 有不合格项，已作首次确认：须由另一名化验员复核后生效。") % {
            "number": sample.number
        }

    return _sample_action(
        request,
        number,
        lambda sample: services.sample_confirm(actor=request.user, sample=sample),
        done,
    )


@require_POST
@analyst_view
def sample_confirm_second_view(request: HttpRequest, number: str) -> HttpResponse:
    return _sample_action(
        request,
        number,
        lambda sample: services.sample_confirm_second(actor=request.user, sample=sample),
        lambda sample: (
            _("已复核确认样品 %(number)s 不合格，结果已生效。") % {"number": sample.number}
        ),
    )


@require_POST
@analyst_view
def sample_return_view(request: HttpRequest, number: str) -> HttpResponse:
    sample = sample_by_number(number)
    form = forms.ReturnForm(request.POST, auto_id="id_return_%s")
    if form.is_valid():
        try:
            services.sample_return(actor=request.user, sample=sample, **form.cleaned_data)
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("样品 %(number)s 已退回：请更正结果或安排复测后重新确认。")
                % {"number": sample.number},
            )
            return redirect("workbench:quality_sample", number=sample.number)
    return _sample_page(request, sample_by_number(number), failed=("return", form), status=400)


@require_http_methods(["GET", "POST"])
@analyst_view
def import_page(request: HttpRequest) -> HttpResponse:
    form = forms.ImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = results_import(actor=request.user, filename=upload.name, data=upload.read())
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_error("file", str(error.message))
            else:
                if batch.errors:
                    messages.warning(
                        request,
                        _("已导入文件，其中 %(count)s 行未导入：请按下表逐行更正后重新导入。")
                        % {"count": len(batch.errors)},
                    )
                else:
                    messages.success(request, _("已导入文件，全部行均已处理。"))
                return redirect("workbench:quality_import_batch", pk=batch.pk)
    return render(
        request,
        "quality/results/import.html",
        {"form": form, "batches": import_batches_recent()},
        status=status,
    )


@require_GET
@reader_view
def import_batch_page(request: HttpRequest, pk: int) -> HttpResponse:
    batch = import_batch_get(pk)
    samples = (
        batch.results.values_list("sample__number", flat=True).distinct().order_by("sample__number")
    )
    return render(
        request,
        "quality/results/import_batch.html",
        {
            "batch": batch,
            "samples": list(samples),
            "may_enter": request.user.has_perm(ENTER_PERMISSION),
        },
    )
