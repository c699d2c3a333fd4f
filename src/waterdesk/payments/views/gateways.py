"""The cash office's pages for online payments: the open exceptions (收费异常) with their
resolve action, and the gateways' statements (渠道对账): upload one, see its reconciliation.

Reading needs ``payments.view_cash_report``; resolving and importing need
``payments.resolve_paymentexception`` (the billing office).
"""

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError
from waterdesk.core.forms import DomainErrorMixin
from waterdesk.core.web import forbidden, has_perm, staff_view
from waterdesk.payments.gateways import gateway_choices
from waterdesk.payments.models import PaymentException, StatementImport
from waterdesk.payments.services.gateways import payment_exception_resolve, statement_import

EXCEPTIONS_LIMIT = 200
STATEMENTS_LIMIT = 50
STATEMENT_MAX_BYTES = 20 * 1024 * 1024


class ResolveForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("处理说明"), max_length=300)


class StatementForm(DomainErrorMixin, forms.Form):
    gateway = forms.ChoiceField(label=gettext_lazy("支付渠道"), choices=())
    statement_date = forms.DateField(
        label=gettext_lazy("对账日期"),
        required=False,
        help_text=gettext_lazy("不填则按对账单中的交易时间确定。"),
    )
    file = forms.FileField(label=gettext_lazy("对账单文件（CSV）"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["gateway"].choices = gateway_choices()

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > STATEMENT_MAX_BYTES:
            raise forms.ValidationError(gettext_lazy("文件过大。"))
        return upload


@require_GET
@staff_view(has_perm("payments.view_cash_report"))
def exceptions(request: HttpRequest) -> HttpResponse:
    open_ones = PaymentException.objects.filter(resolved_at__isnull=True)
    context = {
        "exceptions": open_ones.order_by("-created_at", "-pk")[:EXCEPTIONS_LIMIT],
        "open_count": open_ones.count(),
        "may_resolve": request.user.has_perm("payments.resolve_paymentexception"),
        "form": ResolveForm(),
    }
    return render(request, "payments/gateways/exceptions.html", context)


@require_POST
@staff_view(has_perm("payments.resolve_paymentexception"))
def exception_resolve(request: HttpRequest, public_id) -> HttpResponse:
    exception = PaymentException.objects.filter(public_id=public_id).first()
    if exception is None:
        raise Http404
    form = ResolveForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写处理说明（300 字以内）。"))
        return redirect("payments:exceptions")
    try:
        payment_exception_resolve(
            actor=request.user, exception=exception, note=form.cleaned_data["note"]
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("异常已处理。"))
    return redirect("payments:exceptions")


@require_http_methods(["GET", "POST"])
@staff_view(has_perm("payments.view_cash_report"))
def statements(request: HttpRequest) -> HttpResponse:
    may_import = request.user.has_perm("payments.resolve_paymentexception")
    status = 200
    if request.method == "POST":
        if not may_import:
            return forbidden(request)
        form = StatementForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                imported = statement_import(
                    actor=request.user,
                    gateway=form.cleaned_data["gateway"],
                    file_name=upload.name,
                    content=upload.read(),
                    statement_date=form.cleaned_data["statement_date"],
                )
            except DomainError as error:
                form.add_domain_error(error)
            else:
                if imported.created:
                    messages.success(request, _("对账单已导入。"))
                else:
                    messages.info(request, _("该文件此前已导入，未作任何改动。"))
                return redirect("payments:statement", public_id=imported.statement.public_id)
        status = 400
    else:
        form = StatementForm()
    context = {
        "form": form,
        "may_import": may_import,
        "statements": StatementImport.objects.select_related("imported_by")[:STATEMENTS_LIMIT],
    }
    return render(request, "payments/gateways/statements.html", context, status=status)


@require_GET
@staff_view(has_perm("payments.view_cash_report"))
def statement(request: HttpRequest, public_id) -> HttpResponse:
    found = StatementImport.objects.filter(public_id=public_id).first()
    if found is None:
        raise Http404
    context = {"statement": found, "discrepancies": found.discrepancies.all()}
    return render(request, "payments/gateways/statement.html", context)


urlpatterns = [
    path("exceptions/", exceptions, name="exceptions"),
    path("exceptions/<uuid:public_id>/resolve/", exception_resolve, name="exception_resolve"),
    path("statements/", statements, name="statements"),
    path("statements/<uuid:public_id>/", statement, name="statement"),
]
