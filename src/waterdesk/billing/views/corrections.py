"""Correcting a read before it is billed: the reads a reader or billing clerk may pick
from (their own latest, or an account's), and the correction form with the read's history.

Thin views: a form parses the input, ``meter_read_correct`` does the work, a refusal comes
back as a form error. Readers see the accounts of their routes only (404 otherwise).
"""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.billing import forms
from waterdesk.billing.models import ReadStatus
from waterdesk.billing.read_rules import issue_labels
from waterdesk.billing.selectors.corrections import meter_read_corrections, reads_recent_for_user
from waterdesk.billing.selectors.reading import meter_read_get, reader_may_read_account
from waterdesk.billing.services.reading import meter_read_correct
from waterdesk.billing.services.reading.corrections import (
    meter_read_correction_check,
    reads_may_correct,
)
from waterdesk.core.errors import DomainError, NotFound, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.selectors import account_get_by_number

READS_LIMIT = 30


@require_GET
@staff_view(has_perm("billing.add_meterread"))
def reads(request: HttpRequest) -> HttpResponse:
    """The reads the user entered last, or an account's reads, each with 更正 while it is
    not billed."""
    form = forms.ReadLookupForm(request.GET or None)
    number = form.account_number()
    account = None
    if number:
        try:
            account = account_get_by_number(number)
        except NotFound:
            account = None
        if account is None or not reader_may_read_account(request.user, account):
            messages.error(
                request,
                _("未找到户号为 %(number)s 的账户，或不在您的抄表路线上。") % {"number": number},
            )
            account = None
    shown = reads_recent_for_user(request.user, account=account, limit=READS_LIMIT)
    correctable = reads_may_correct(request.user, shown)
    rows = [
        {
            "read": read,
            "issues": issue_labels(read.issues),
            "may_correct": read.pk in correctable,
        }
        for read in shown
    ]
    context = {"form": form, "account": account, "rows": rows}
    return render(request, "billing/reading/reads.html", context)


def _read_for_user(request: HttpRequest, read_id: int):
    read = meter_read_get(pk=read_id)
    if not reader_may_read_account(request.user, read.account):
        raise NotFound()
    return read


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("billing.add_meterread"))
def read_correct(request: HttpRequest, read_id: int) -> HttpResponse:
    read = _read_for_user(request, read_id)
    form = forms.ReadCorrectionForm(request.POST or None, initial={"value": read.value})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                read = meter_read_correct(
                    actor=request.user,
                    read=read,
                    value=form.cleaned_data["value"],
                    reason=form.cleaned_data["reason"],
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                _tell_outcome(request, read)
                query = urlencode({"account": read.account.number})
                return redirect(f"{reverse('billing:reading_reads')}?{query}")
        status = 400
    refusal = ""
    try:
        meter_read_correction_check(read)
    except DomainError as error:
        refusal = str(error.message)
    context = {
        "read": read,
        "issues": issue_labels(read.issues),
        "corrections": meter_read_corrections(read),
        "form": form,
        "refusal": refusal,
    }
    return render(request, "billing/reading/correct.html", context, status=status)


def _tell_outcome(request: HttpRequest, read) -> None:
    if read.status == ReadStatus.VALIDATED:
        messages.success(
            request,
            _("户号%(number)s的读数已更正为 %(value)s，已审核，用水量 %(volume)s m³。")
            % {"number": read.account.number, "value": read.value, "volume": read.consumption},
        )
    else:
        messages.warning(
            request,
            _(
                "户号%(number)s的读数已更正为 %(value)s，但%(issues)s，已转复核："
                "请账务员在抄表复核页处理。"
            )
            % {
                "number": read.account.number,
                "value": read.value,
                "issues": "、".join(issue_labels(read.issues)),
            },
        )


urlpatterns = [
    path("reading/reads/", reads, name="reading_reads"),
    path("reading/reads/<int:read_id>/correct/", read_correct, name="reading_read_correct"),
]
