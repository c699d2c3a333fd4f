"""The catalogue pages (``workbench:quality_catalogue``, ``quality_indicator_edit``,
``quality_edition_load``): the editions of the standard and the indicators of one with their
limits, an indicator's correction with its history, and a new edition's loading.

Readers hold ``quality.view_quality``; changes need ``quality.manage_catalogue`` (the
services check again)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.timeutil import local
from waterdesk.core.web import has_perm, staff_view
from waterdesk.quality import forms_catalogue as forms
from waterdesk.quality.models import Edition, Indicator
from waterdesk.quality.services import catalogue as services
from waterdesk.quality.verdicts import limit_text

VIEW_PERMISSION = "quality.view_quality"
reader_view = staff_view(has_perm(VIEW_PERMISSION))
editor_view = staff_view(has_perm(services.MANAGE_PERMISSION))


@require_GET
@reader_view
def catalogue_page(request: HttpRequest) -> HttpResponse:
    today = local(timezone.now()).date()
    in_force = services.edition_in_force(today)
    editions = list(Edition.objects.order_by("-effective_from"))
    chosen = None
    wanted = request.GET.get("edition")
    if wanted:
        chosen = next((edition for edition in editions if edition.code == wanted), None)
    chosen = chosen or in_force or (editions[0] if editions else None)
    indicators = list(chosen.indicators.order_by("sort_order")) if chosen else []
    for item in indicators:
        item.limit_label = limit_text(item)
    for edition in editions:
        edition.is_in_force = in_force is not None and edition.pk == in_force.pk
        edition.is_future = edition.effective_from > today
    return render(
        request,
        "quality/catalogue/catalogue.html",
        {
            "editions": editions,
            "chosen": chosen,
            "indicators": indicators,
            "may_manage": request.user.has_perm(services.MANAGE_PERMISSION),
        },
    )


def _initial(indicator: Indicator) -> dict:
    return {name: getattr(indicator, name) for name in services.EDITABLE_FIELDS}


@require_http_methods(["GET", "POST"])
@reader_view
def indicator_edit(request: HttpRequest, pk: int) -> HttpResponse:
    indicator = Indicator.objects.select_related("edition").filter(pk=pk).first()
    if indicator is None:
        raise Http404()
    may_manage = request.user.has_perm(services.MANAGE_PERMISSION)
    if request.method == "POST" and not may_manage:
        raise NotPermitted()
    form = forms.IndicatorForm(request.POST or None, initial=_initial(indicator))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = dict(form.cleaned_data)
            reason = data.pop("reason")
            try:
                services.indicator_update(
                    actor=request.user, indicator=indicator, reason=reason, **data
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _("已保存指标“%(name)s”的修改，此后的判定按新限值，已判定的结果不变。")
                    % {"name": indicator.name_zh},
                )
                return redirect(
                    reverse("workbench:quality_catalogue") + f"?edition={indicator.edition.code}"
                )
    history = services.indicator_history(indicator)
    for version in history:
        version.limit_label = limit_text(version)
    return render(
        request,
        "quality/catalogue/indicator.html",
        {
            "indicator": indicator,
            "limit_label": limit_text(indicator),
            "form": form if may_manage else None,
            "history": history,
            "judged": services.edition_judged_samples(indicator.edition),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@editor_view
def edition_load_page(request: HttpRequest) -> HttpResponse:
    form = forms.EditionForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                edition = services.edition_load(
                    actor=request.user,
                    code=data["code"],
                    name=data["name"],
                    effective_from=data["effective_from"],
                    data=data["file"].read(),
                    note=data["note"],
                )
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _(
                        "已导入“%(name)s”（%(count)s 项指标），自 %(day)s 起采的水样按此版本判定，"
                        "此前的水样仍按原版本。"
                    )
                    % {
                        "name": edition.name,
                        "count": edition.indicators.count(),
                        "day": edition.effective_from,
                    },
                )
                return redirect(reverse("workbench:quality_catalogue") + f"?edition={edition.code}")
    return render(request, "quality/catalogue/edition_load.html", {"form": form}, status=status)
