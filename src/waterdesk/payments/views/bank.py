"""Bank direct-debit pages under /payments/bank/: the mandates (list, sign, cancel), the
debit batches (list, create for a bank and a date, download the file, upload the bank's
result) and each result import's line-by-line report.

Thin views: a form parses the input, one service does the work, a refusal comes back as a
form error or a flash message. Only the billing office (``payments.manage_bank_debit``).
Bank account numbers are shown masked; only the debit file carries them whole.
"""

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotFound
from waterdesk.core.forms import DateInput, DomainErrorMixin
from waterdesk.core.masking import mask_bank_account
from waterdesk.core.web import has_perm, staff_view
from waterdesk.customers.selectors import account_get_by_number
from waterdesk.payments.banks import bank_choices, bank_name
from waterdesk.payments.models import BankMandate, BankResultImport, DebitBatch
from waterdesk.payments.services.bank import (
    MAX_RESULT_FILE_BYTES,
    debit_batch_create,
    debit_result_import,
    mandate_cancel,
    mandate_create,
    mandate_resume,
    mandate_suspend,
)

PERMISSION = "payments.manage_bank_debit"
LIST_LIMIT = 200


class MandateForm(DomainErrorMixin, forms.Form):
    account = forms.CharField(label=gettext_lazy("户号"), max_length=20)
    bank_code = forms.ChoiceField(label=gettext_lazy("银行"), choices=bank_choices)
    bank_account_number = forms.CharField(label=gettext_lazy("银行账号"), max_length=40)
    holder_name = forms.CharField(label=gettext_lazy("账户名"), max_length=100)
    signed_on = forms.DateField(label=gettext_lazy("签约日期"), widget=DateInput())


class BatchForm(DomainErrorMixin, forms.Form):
    bank_code = forms.ChoiceField(label=gettext_lazy("银行"), choices=bank_choices)
    due_up_to = forms.DateField(
        label=gettext_lazy("扣款截止日"),
        widget=DateInput(),
        help_text=gettext_lazy("扣收到期日不晚于此日的欠费。"),
    )


class ResultForm(DomainErrorMixin, forms.Form):
    file = forms.FileField(label=gettext_lazy("回盘文件"))


def _mandate_rows(mandates):
    return [
        {
            "mandate": m,
            "bank": bank_name(m.bank_code),
            "masked": mask_bank_account(m.bank_account_number),
        }
        for m in mandates
    ]


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(PERMISSION))
def mandates(request: HttpRequest) -> HttpResponse:
    number = (request.GET.get("account") or "").strip()[:20]
    form = MandateForm(
        request.POST or None,
        initial={"account": number, "signed_on": timezone.localdate()},
    )
    status = 200
    if request.method == "POST":
        if form.is_valid():
            values = form.cleaned_data
            try:
                account = account_get_by_number(values["account"])
                mandate = mandate_create(
                    actor=request.user,
                    account=account,
                    bank_code=values["bank_code"],
                    bank_account_number=values["bank_account_number"],
                    holder_name=values["holder_name"],
                    signed_on=values["signed_on"],
                )
            except NotFound:
                form.add_error("account", _("户号不存在。"))
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("户号%(number)s的代扣协议已签订（%(bank)s %(masked)s）。")
                    % {
                        "number": account.number,
                        "bank": bank_name(mandate.bank_code),
                        "masked": mask_bank_account(mandate.bank_account_number),
                    },
                )
                return redirect(f"{request.path}?account={account.number}")
        status = 400
    shown = BankMandate.objects.select_related("account", "created_by").order_by(
        "account__number", "-signed_on", "-pk"
    )
    if number:
        shown = shown.filter(account__number=number)
    context = {"form": form, "rows": _mandate_rows(shown[:LIST_LIMIT]), "account": number}
    return render(request, "payments/bank/mandates.html", context, status=status)


# What each button on a mandate does: the service and what the clerk is told.
MANDATE_MOVES = {
    "cancel": (mandate_cancel, gettext_lazy("户号%(number)s的代扣协议已撤销。")),
    "suspend": (mandate_suspend, gettext_lazy("户号%(number)s的代扣协议已暂停，恢复前不再代扣。")),
    "resume": (mandate_resume, gettext_lazy("户号%(number)s的代扣协议已恢复。")),
}


@require_POST
@staff_view(has_perm(PERMISSION))
def mandate_move_view(request: HttpRequest, public_id, move: str) -> HttpResponse:
    mandate = get_object_or_404(BankMandate.objects.select_related("account"), public_id=public_id)
    service, done = MANDATE_MOVES[move]
    try:
        service(actor=request.user, mandate=mandate)
    except DomainError as error:
        messages.error(request, str(error.message))
    else:
        messages.success(request, done % {"number": mandate.account.number})
    return redirect(f"{reverse('payments:bank_mandates')}?account={mandate.account.number}")


@require_http_methods(["GET", "POST"])
@staff_view(has_perm(PERMISSION))
def batches(request: HttpRequest) -> HttpResponse:
    form = BatchForm(request.POST or None, initial={"due_up_to": timezone.localdate()})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                batch = debit_batch_create(
                    actor=request.user,
                    bank_code=form.cleaned_data["bank_code"],
                    due_up_to=form.cleaned_data["due_up_to"],
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("代扣批次 %(reference)s 已生成：%(count)s 笔，合计 %(total)s 元。")
                    % {
                        "reference": batch.reference,
                        "count": batch.line_count,
                        "total": f"{batch.total:.2f}",
                    },
                )
                return redirect("payments:bank_batch", public_id=batch.public_id)
        status = 400
    rows = [
        {"batch": b, "bank": bank_name(b.bank_code)}
        for b in DebitBatch.objects.select_related("created_by").defer("content")[:LIST_LIMIT]
    ]
    return render(
        request, "payments/bank/batches.html", {"form": form, "rows": rows}, status=status
    )


def _batch(public_id) -> DebitBatch:
    return get_object_or_404(DebitBatch, public_id=public_id)


def _batch_page(request, batch: DebitBatch, form: ResultForm, *, status: int = 200):
    lines = batch.lines.select_related("account", "mandate", "payment").order_by("line_no")
    context = {
        "batch": batch,
        "bank": bank_name(batch.bank_code),
        "lines": [
            {"line": line, "masked": mask_bank_account(line.mandate.bank_account_number)}
            for line in lines
        ],
        "imports": batch.imports.select_related("imported_by"),
        "form": form,
    }
    return render(request, "payments/bank/batch.html", context, status=status)


@require_GET
@staff_view(has_perm(PERMISSION))
def batch(request: HttpRequest, public_id) -> HttpResponse:
    return _batch_page(request, _batch(public_id), ResultForm())


@require_GET
@staff_view(has_perm(PERMISSION))
def batch_file(request: HttpRequest, public_id) -> HttpResponse:
    found = _batch(public_id)
    response = HttpResponse(bytes(found.content), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{found.file_name}"'
    return response


@require_POST
@staff_view(has_perm(PERMISSION))
def batch_result(request: HttpRequest, public_id) -> HttpResponse:
    found = _batch(public_id)
    form = ResultForm(request.POST, request.FILES)
    if not form.is_valid():
        return _batch_page(request, found, form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_RESULT_FILE_BYTES:
        form.add_error("file", _("文件过大。"))
        return _batch_page(request, found, form, status=400)
    try:
        imported = debit_result_import(
            actor=request.user, batch=found, file_name=upload.name, content=upload.read()
        )
    except DomainError as error:
        form.add_domain_error(error)
        return _batch_page(request, found, form, status=400)
    result = imported.result
    if imported.repeat:
        messages.warning(
            request,
            _("此回盘文件已于 %(when)s 导入过，本次未做任何处理。")
            % {"when": timezone.localtime(result.imported_at).strftime("%Y-%m-%d %H:%M")},
        )
    else:
        messages.success(
            request,
            _("回盘已导入：入账 %(posted)s 笔，扣款失败 %(failed)s 笔，错误 %(errors)s 行。")
            % {"posted": result.posted, "failed": result.failed, "errors": result.errors},
        )
    return redirect("payments:bank_import", public_id=result.public_id)


@require_GET
@staff_view(has_perm(PERMISSION))
def result_import(request: HttpRequest, public_id) -> HttpResponse:
    found = get_object_or_404(
        BankResultImport.objects.select_related("batch", "imported_by"), public_id=public_id
    )
    return render(request, "payments/bank/import.html", {"result": found})


urlpatterns = [
    path("bank/mandates/", mandates, name="bank_mandates"),
    *[
        path(
            f"bank/mandates/<uuid:public_id>/{move}/",
            mandate_move_view,
            {"move": move},
            name=f"bank_mandate_{move}",
        )
        for move in MANDATE_MOVES
    ],
    path("bank/batches/", batches, name="bank_batches"),
    path("bank/batches/<uuid:public_id>/", batch, name="bank_batch"),
    path("bank/batches/<uuid:public_id>/file/", batch_file, name="bank_batch_file"),
    path("bank/batches/<uuid:public_id>/result/", batch_result, name="bank_batch_result"),
    path("bank/imports/<uuid:public_id>/", result_import, name="bank_import"),
]
