"""Meter-reading pages: the reader's route sheet, file import, the review queue and the
reading cycles.

Thin views: a form parses the input, one service does the work, a ``DomainError`` comes
back as a form error. Log-in is required and each page checks its permission (403
otherwise); accounts are fetched through the reader's route scope.
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.billing import forms
from waterdesk.billing.read_rules import issue_labels
from waterdesk.billing.selectors.reading import (
    NO_USE,
    account_get_for_reader,
    account_use_history,
    meter_read_get,
    read_import_get,
    read_imports_recent,
    reading_cycle_current,
    reading_cycles,
    reads_for_review,
    route_sheet,
    route_sheet_progress,
    route_sheet_row,
)
from waterdesk.billing.services.reading import (
    meter_read_approve,
    meter_read_record,
    meter_read_reject,
    read_import_csv,
    reading_cycle_create,
)
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.web import forbidden, has_perm, is_htmx, staff_view
from waterdesk.customers.models import Meter, MeterState

REVIEW_PAGE_LIMIT = 200


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(fallback)


# --- entry ----------------------------------------------------------------------------


@require_GET
@staff_view(has_perm("billing.add_meterread"))
def reading_entry(request: HttpRequest) -> HttpResponse:
    """The route sheet: the accounts of a route with their last read and an input each."""
    form = forms.EntrySheetForm(request.GET or None, user=request.user)
    current = reading_cycle_current()
    route, cycle, read_on = None, current, timezone.localdate()
    if form.is_bound:
        if form.is_valid():
            route = form.cleaned_data["route"]
            if "cycle" in request.GET:
                cycle = form.cleaned_data["cycle"]
            read_on = form.cleaned_data["read_on"] or read_on
    else:
        route = form.fields["route"].queryset.first()
        form = forms.EntrySheetForm(
            user=request.user, initial={"route": route, "cycle": cycle, "read_on": read_on}
        )
    rows = route_sheet(route=route, cycle=cycle) if route is not None else []
    entries = [_entry_row(row, cycle=cycle, read_on=read_on) for row in rows]
    # The reader starts typing at once: the first row still to read has the focus.
    first_open = next((entry for entry in entries if entry["form"] and not entry["shown"]), None)
    if first_open is not None:
        first_open["autofocus"] = True
    context = {
        "form": form,
        "route": route,
        "cycle": cycle,
        "read_on": read_on,
        "rows": entries,
        "done": sum(row.is_read for row in rows),
        "total": len(rows),
    }
    return render(request, "billing/reading/entry.html", context)


def _entry_row(row, *, cycle, read_on, form=None, recorded=None) -> dict:
    if form is None and row.meter is not None:
        form = forms.ReadEntryForm(
            initial={
                "account": row.account.public_id,
                "meter": row.meter.pk,
                "cycle": cycle.pk if cycle else None,
                "read_on": read_on,
                "kind": "actual",
            },
            prefix=f"m{row.meter.pk}",
        )
    shown = recorded or row.cycle_read
    return {
        "row": row,
        "form": form,
        "cycle": cycle,
        "recorded": recorded,
        "shown": shown,
        "shown_issues": issue_labels(shown.issues) if shown else [],
        "autofocus": False,
    }


@require_POST
@staff_view(has_perm("billing.add_meterread"))
def reading_entry_record(request: HttpRequest) -> HttpResponse:
    """Record one row of the route sheet; htmx gets the row back with the outcome."""
    prefix = request.POST.get("prefix", "")
    if not prefix.startswith("m") or not prefix[1:].isdigit():
        raise NotFound()
    form = forms.ReadEntryForm(request.POST, prefix=prefix)
    form.is_valid()
    data = form.cleaned_data
    if not data.get("account") or not data.get("meter"):
        raise NotFound()
    account = account_get_for_reader(user=request.user, public_id=data["account"])
    meter = Meter.objects.filter(
        pk=data["meter"], account=account, state=MeterState.INSTALLED
    ).first()
    if meter is None:
        raise NotFound()
    cycle = reading_cycles().filter(pk=data["cycle"]).first() if data.get("cycle") else None
    read = None
    if not form.errors:
        try:
            read = meter_read_record(
                actor=request.user,
                account=account,
                meter=meter,
                read_on=data["read_on"],
                value=data["value"],
                kind=data["kind"],
                note=data["note"],
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
    read_on = data.get("read_on") or timezone.localdate()
    if not is_htmx(request):
        if read is None:
            errors = " ".join(str(e) for errors in form.errors.values() for e in errors)
            messages.error(request, f"{account.number}: {errors}")
        else:
            messages.success(
                request, _("户号%(number)s的读数已保存。") % {"number": account.number}
            )
        return redirect(_entry_url(account, cycle, read_on))
    row = route_sheet_row(meter=meter, cycle=cycle)
    if read is None:
        context = _entry_row(row, cycle=cycle, read_on=read_on, form=form)
    else:
        context = _entry_row(row, cycle=cycle, read_on=read_on, recorded=read)
    if account.route is not None:
        # The sheet's "read / total" counter comes along (an out-of-band swap).
        context["done"], context["total"] = route_sheet_progress(route=account.route, cycle=cycle)
    # 200 either way: htmx swaps the row, which shows the error next to the input.
    return render(request, "billing/reading/partials/entry_row_response.html", context)


def _entry_url(account, cycle, read_on) -> str:
    query = {"cycle": cycle.pk if cycle else "", "read_on": read_on.isoformat()}
    if account.route_id:
        query["route"] = account.route_id
    return f"{reverse('billing:reading_entry')}?{urlencode(query)}"


# --- import ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("billing.import_meterread"))
def reading_import(request: HttpRequest) -> HttpResponse:
    form = forms.ReadImportForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                batch = read_import_csv(
                    actor=request.user,
                    source=form.cleaned_data["source"],
                    file_name=upload.name,
                    content=upload.read(),
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                return redirect("billing:reading_import_detail", public_id=batch.public_id)
        status = 400
    context = {"form": form, "imports": read_imports_recent(user=request.user)}
    return render(request, "billing/reading/import.html", context, status=status)


@require_GET
@staff_view(has_perm("billing.import_meterread"))
def reading_import_detail(request: HttpRequest, public_id) -> HttpResponse:
    batch = read_import_get(user=request.user, public_id=public_id)
    return render(request, "billing/reading/import_detail.html", {"batch": batch})


# --- review ---------------------------------------------------------------------------


@require_GET
@staff_view(has_perm("billing.review_meterread"))
def reading_review(request: HttpRequest) -> HttpResponse:
    form = forms.ReviewFilterForm(request.GET or None)
    reads = reads_for_review(**form.filters())
    total = reads.count()
    shown = list(reads[:REVIEW_PAGE_LIMIT])
    use = account_use_history(read.account_id for read in shown) if shown else {}
    rows = [_review_row(read, use=use.get(read.account_id, NO_USE)) for read in shown]
    context = {"form": form, "rows": rows, "total": total, "limit": REVIEW_PAGE_LIMIT}
    return render(request, "billing/reading/review.html", context)


def _review_row(read, *, use=None, approve_form=None, reject_form=None, outcome=None) -> dict:
    """A row of the review queue; ``use`` is the account's history (loaded when not given)."""
    prefix = f"r{read.pk}"
    if use is None:
        use = account_use_history([read.account_id]).get(read.account_id, NO_USE)
    return {
        "read": read,
        "use": use,
        "issues": issue_labels(read.issues),
        "approve_form": approve_form or forms.ApproveForm(prefix=f"{prefix}a"),
        "reject_form": reject_form or forms.RejectForm(prefix=f"{prefix}r"),
        "outcome": outcome,
    }


@require_POST
@staff_view(has_perm("billing.review_meterread"))
def reading_review_approve(request: HttpRequest, read_id: int) -> HttpResponse:
    read = meter_read_get(pk=read_id)
    form = forms.ApproveForm(request.POST, prefix=f"r{read.pk}a")
    if form.is_valid():
        try:
            read = meter_read_approve(
                actor=request.user,
                read=read,
                consumption=form.cleaned_data["consumption"] or None,
                note=form.cleaned_data["note"],
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            outcome = _("已通过，用水量 %(volume)s m³。") % {"volume": read.consumption}
            return _review_response(request, _review_row(read, outcome=outcome), outcome)
    return _review_response(request, _review_row(read, approve_form=form), None, failed=form)


@require_POST
@staff_view(has_perm("billing.review_meterread"))
def reading_review_reject(request: HttpRequest, read_id: int) -> HttpResponse:
    read = meter_read_get(pk=read_id)
    form = forms.RejectForm(request.POST, prefix=f"r{read.pk}r")
    if form.is_valid():
        try:
            read = meter_read_reject(actor=request.user, read=read, note=form.cleaned_data["note"])
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            outcome = _("已作废，不计费。")
            return _review_response(request, _review_row(read, outcome=outcome), outcome)
    return _review_response(request, _review_row(read, reject_form=form), None, failed=form)


def _review_response(request, row: dict, outcome, *, failed=None) -> HttpResponse:
    if is_htmx(request):
        return render(request, "billing/reading/partials/review_row.html", row)
    read = row["read"]
    if failed is not None:
        errors = " ".join(str(e) for errors in failed.errors.values() for e in errors)
        messages.error(request, f"{read.account.number}: {errors}")
    else:
        messages.success(request, f"{read.account.number}: {outcome}")
    return _back(request, reverse("billing:reading_review"))


# --- cycles ---------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("billing.view_readingcycle"))
def reading_cycles_page(request: HttpRequest) -> HttpResponse:
    may_create = request.user.has_perm("billing.add_readingcycle")
    if request.method == "POST" and not may_create:
        return forbidden(request)
    form = forms.ReadingCycleForm(request.POST or None) if may_create else None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                cycle = reading_cycle_create(actor=request.user, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(request, _("账期%(code)s已设立。") % {"code": cycle.code})
                return redirect("billing:reading_cycles")
        status = 400
    context = {"form": form, "cycles": reading_cycles()}
    return render(request, "billing/reading/cycles.html", context, status=status)


urlpatterns = [
    path("reading/", reading_entry, name="reading_entry"),
    path("reading/record/", reading_entry_record, name="reading_entry_record"),
    path("reading/import/", reading_import, name="reading_import"),
    path("reading/import/<uuid:public_id>/", reading_import_detail, name="reading_import_detail"),
    path("reading/review/", reading_review, name="reading_review"),
    path(
        "reading/review/<int:read_id>/approve/",
        reading_review_approve,
        name="reading_review_approve",
    ),
    path(
        "reading/review/<int:read_id>/reject/", reading_review_reject, name="reading_review_reject"
    ),
    path("reading/cycles/", reading_cycles_page, name="reading_cycles"),
]
