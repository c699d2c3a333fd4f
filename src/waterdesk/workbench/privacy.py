"""Personal-data pages: "show full" with a reason, and the access log for supervisors.

The decisions are the policy's (``customers.privacy``, ``cases.access``); these views only
parse the request and render.
"""

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.cases.access import case_contact_phone_reveal
from waterdesk.cases.selectors import case_get_for_user
from waterdesk.core.errors import DomainError, InvalidInput
from waterdesk.core.web import has_perm, is_active, is_htmx, staff_view
from waterdesk.customers.models import AccessChannel, PersonalField
from waterdesk.customers.privacy import CUSTOMER_FIELDS, personal_data_reveal
from waterdesk.customers.selectors import (
    customer_get,
    lookup_alert_list,
    personal_data_access_list,
)

ACCESS_LOG_PAGE_SIZE = 50


class RevealForm(forms.Form):
    subject = forms.ChoiceField(choices=[("customer", "customer"), ("case", "case")])
    subject_id = forms.UUIDField()
    field = forms.ChoiceField(choices=PersonalField.choices)
    reason = forms.CharField(max_length=200, required=False)


@require_POST
@staff_view(is_active)  # the policy decides who may reveal what
def reveal(request: HttpRequest) -> HttpResponse:
    form = RevealForm(request.POST)
    if not form.is_valid():
        error = _("请求不完整：请从客户或工单页面点击“显示完整”并填写理由。")
        return render(request, "workbench/reveal.html", {"error": error}, status=400)
    data = form.cleaned_data
    context = {"subject": data["subject"], "subject_id": data["subject_id"], "field": data["field"]}
    try:
        if data["subject"] == "case":
            if data["field"] != PersonalField.CONTACT_PHONE:
                raise InvalidInput(code="invalid_personal_field", field="field")
            case = case_get_for_user(user=request.user, public_id=data["subject_id"])
            value = case_contact_phone_reveal(
                actor=request.user, case=case, reason=data["reason"], channel=AccessChannel.PAGE
            )
        else:
            if data["field"] not in CUSTOMER_FIELDS:
                raise InvalidInput(code="invalid_personal_field", field="field")
            value = personal_data_reveal(
                actor=request.user,
                customer=customer_get(public_id=data["subject_id"]),
                field=data["field"],
                reason=data["reason"],
                channel=AccessChannel.PAGE,
            )
    except InvalidInput as error:
        return _refused(request, context, error)
    context["value"] = value
    if is_htmx(request):
        return render(request, "workbench/partials/personal_revealed.html", context)
    return render(request, "workbench/reveal.html", context)


def _refused(request: HttpRequest, context: dict, error: DomainError) -> HttpResponse:
    """The control again with the reason for the refusal (htmx swaps only 2xx answers)."""
    shown = {"field": context["field"], "value": "", "may_reveal": True}
    context = {**context, "shown": shown, "error": error.message}
    if is_htmx(request):
        return render(request, "workbench/partials/personal_value.html", context)
    return render(request, "workbench/reveal.html", context, status=400)


class AccessLogFilterForm(forms.Form):
    user = forms.CharField(label=_("员工登录名"), required=False, max_length=150)
    customer = forms.CharField(label=_("客户姓名/工单编号"), required=False, max_length=100)
    field = forms.ChoiceField(
        label=_("信息项"), required=False, choices=[("", _("全部")), *PersonalField.choices]
    )
    reveals_only = forms.BooleanField(label=_("仅主动查看"), required=False)
    date_from = forms.DateField(
        label=_("起始日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


@require_GET
@staff_view(has_perm("customers.view_personaldataaccess"))
def access_log(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = personal_data_access_list(
        username=filters.get("user", ""),
        subject=filters.get("customer", ""),
        field=filters.get("field", ""),
        reveals_only=filters.get("reveals_only", False),
        date_from=filters.get("date_from"),
        date_to=filters.get("date_to"),
    )
    page = Paginator(entries, ACCESS_LOG_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "form": form,
        "page": page,
        "query": query.urlencode(),
        "alerts": lookup_alert_list(limit=20),
    }
    return render(request, "workbench/access_log.html", context)
