"""The crew's pages, made for a phone: my orders, one order with exactly the steps its
status allows, its photos and its printed sheet.

Thin views: a form parses the input, the step's service decides; its refusal comes back on
the form (the page again, the input kept) and a move made redirects to the order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from waterdesk.cases.services import user_display_name
from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.pdf import pdf_response
from waterdesk.core.web import has_perm, staff_view
from waterdesk.fieldwork import forms
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.access import (
    crew_of,
    work_order_contact_phone,
    work_order_get_for,
    work_order_may_work,
)
from waterdesk.fieldwork.documents import work_order_sheet_pdf
from waterdesk.fieldwork.events import action_label, event_summary
from waterdesk.fieldwork.models import Crew, WorkOrder
from waterdesk.fieldwork.photos import photo_thumbnail
from waterdesk.fieldwork.purposes import Purpose, purpose_get
from waterdesk.fieldwork.selectors import crew_open_orders, work_order_events
from waterdesk.fieldwork.workflow import VIEW_PERMISSION, WORK_PERMISSION, crew_actions

ORDER_TEMPLATE = "fieldwork/order.html"


@dataclass(frozen=True)
class Step:
    """A step of the crew's page: its form, its service, its button and what it says when
    done."""

    form: type[forms.StepForm]
    service: Callable
    button: Promise
    done: Promise
    template: str = "fieldwork/partials/step.html"
    multipart: bool = False
    # What it says when done for an order whose purpose has no diagnosis, if different.
    done_without_diagnosis: Promise | None = None

    def form_for(self, purpose: Purpose) -> type[forms.StepForm]:
        """The step's form for an order of ``purpose``: its own finish form, if any."""
        if self.form is forms.FinishForm and purpose.finish_form is not None:
            return purpose.finish_form
        return self.form

    def done_for(self, purpose: Purpose) -> Promise:
        if not purpose.diagnosis_required and self.done_without_diagnosis is not None:
            return self.done_without_diagnosis
        return self.done


STEPS: dict[str, Step] = {
    "accept": Step(
        forms.NoInputForm,
        fw.work_order_accept,
        _("接单"),
        _("已接单。请联系客户预约上门，或直接出发。"),
    ),
    "contact": Step(
        forms.ContactForm,
        fw.work_order_contact,
        _("保存预约"),
        _("已记录预约上门时间。"),
    ),
    "set_off": Step(
        forms.NoInputForm,
        fw.work_order_set_off,
        _("出发"),
        _("已出发。到达现场后请点“到达现场”。"),
    ),
    "arrive": Step(
        forms.ArriveForm,
        fw.work_order_arrive,
        _("到达现场"),
        _("已到达现场。请填写故障诊断和维修方案。"),
        done_without_diagnosis=_("已到达现场。作业完成后请填写完工记录。"),
    ),
    "diagnose": Step(
        forms.DiagnoseForm,
        fw.work_order_diagnose,
        _("保存诊断"),
        _("已保存故障诊断和维修方案。"),
    ),
    "estimate": Step(
        forms.EstimateForm,
        fw.work_order_estimate,
        _("保存并请客户确认"),
        _("已保存预计用时和费用，请客户在屏幕上确认。"),
    ),
    "estimate_accept": Step(
        forms.NoInputForm,
        fw.work_order_estimate_accept,
        _("客户确认"),
        _("客户已确认预计用时和费用。"),
        template="fieldwork/partials/step_estimate_accept.html",
    ),
    "material": Step(
        forms.MaterialForm,
        fw.work_order_material_add,
        _("添加物料"),
        _("已登记物料。"),
    ),
    "photo": Step(
        forms.PhotoForm,
        fw.work_order_photo_add,
        _("上传照片"),
        _("照片已上传。"),
        multipart=True,
    ),
    "extend": Step(
        forms.ExtendForm,
        fw.work_order_extend,
        _("保存延期"),
        _("已记录延期原因和新的预计完成时间。"),
    ),
    "finish": Step(
        forms.FinishForm,
        fw.work_order_finish,
        _("完工"),
        _("已完工。请客户在屏幕上签字确认。"),
    ),
    "sign_off": Step(
        forms.SignOffForm,
        fw.work_order_sign_off,
        _("确认并结单"),
        _("工单已完成。可以打印工单，或返回我的工单。"),
        template="fieldwork/partials/step_sign_off.html",
    ),
    "give_up": Step(
        forms.GiveUpForm,
        fw.work_order_give_up,
        _("确认未能完成"),
        _("已记录未能完成的原因，调度员将另行安排。"),
    ),
}


@dataclass
class StepView:
    action: str
    spec: Step
    form: forms.StepForm
    is_open: bool  # shown open; the others are folded (a <details>)

    @property
    def title(self) -> str:
        return action_label(self.action)


def _auto_id(action: str) -> str:
    # Several steps share field names (reason, note): their ids must not.
    return f"{action}-%s"


def _initial(action: str, order: WorkOrder) -> dict:
    if action == "contact":
        return {"window_start": order.window_start, "window_end": order.window_end}
    if action == "diagnose":
        return {"diagnosis": order.diagnosis, "plan": order.plan}
    if action == "estimate":
        return {"minutes": order.estimate_minutes, "cost": order.estimate_cost}
    if action == "sign_off":
        return {"signer_name": order.contact_name}
    return {}


def _is_open(action: str, order: WorkOrder) -> bool:
    """The step the crew most likely takes next is open; the rest wait folded."""
    if action in ("accept", "set_off", "arrive", "finish", "sign_off", "estimate_accept"):
        return True
    if action == "diagnose":
        return not order.diagnosis
    if action == "estimate":
        return bool(order.diagnosis) and order.estimate_minutes is None
    return False


def _steps(
    order: WorkOrder, purpose: Purpose, refused: tuple[str, forms.StepForm] | None
) -> list[StepView]:
    views = []
    for action in crew_actions(order.status, purpose):
        if action == "estimate_accept" and (
            order.estimate_minutes is None or order.estimate_accepted_at is not None
        ):
            continue  # nothing to confirm
        spec = STEPS[action]
        if refused is not None and refused[0] == action:
            views.append(StepView(action, spec, refused[1], is_open=True))
            continue
        form = spec.form_for(purpose)(initial=_initial(action, order), auto_id=_auto_id(action))
        views.append(StepView(action, spec, form, is_open=_is_open(action, order)))
    return views


def _timeline(order: WorkOrder) -> list[dict]:
    events = list(work_order_events(order))
    codes = {(event.data or {}).get(key) for event in events for key in ("crew", "to")}
    names = dict(Crew.objects.filter(code__in=codes - {None}).values_list("code", "name"))
    return [
        {
            "at": event.at,
            "label": action_label(event.action),
            "summary": event_summary(event, names),
            "note": event.note,
            "actor": user_display_name(event.actor),
        }
        for event in events
    ]


def _order_context(
    request: HttpRequest, order: WorkOrder, refused: tuple[str, forms.StepForm] | None = None
) -> dict:
    may_work = work_order_may_work(user=request.user, order=order)
    purpose = purpose_get(order.purpose)
    return {
        "order": order,
        "purpose": purpose,
        "facts": purpose.case_facts(order.case) if purpose.case_facts else [],
        "phone": work_order_contact_phone(user=request.user, order=order),
        "may_work": may_work,
        "steps": _steps(order, purpose, refused) if may_work else [],
        "timeline": _timeline(order),
        "materials": list(order.materials.all()),
        "photos": list(order.photos.all()),
        "finish_rows": purpose.finish_rows(order.finish_details),
        "estimate_waits": order.estimate_minutes is not None and order.estimate_accepted_at is None,
        "now": timezone.now(),
    }


# --- pages ---------------------------------------------------------------------------------


@require_GET
@staff_view(has_perm(WORK_PERMISSION))
def my_orders(request: HttpRequest) -> HttpResponse:
    """The open orders of the user's crew, urgent first, each with how to reach the
    customer."""
    crew = crew_of(request.user)
    orders = (
        list(crew_open_orders(crew).select_related("case__customer")) if crew is not None else []
    )
    rows = [
        {"order": order, "phone": work_order_contact_phone(user=request.user, order=order)}
        for order in orders
    ]
    return render(request, "fieldwork/my_orders.html", {"crew": crew, "rows": rows})


@require_GET
@staff_view(has_perm(VIEW_PERMISSION))
def order(request: HttpRequest, public_id) -> HttpResponse:
    found = work_order_get_for(user=request.user, public_id=public_id)
    return render(request, ORDER_TEMPLATE, _order_context(request, found))


@require_POST
@staff_view(has_perm(WORK_PERMISSION))
def order_step(request: HttpRequest, public_id, action: str) -> HttpResponse:
    """One step of the order (``action``), through its service."""
    spec = STEPS.get(action)
    if spec is None:
        raise Http404()
    found = work_order_get_for(user=request.user, public_id=public_id)
    purpose = purpose_get(found.purpose)
    form = spec.form_for(purpose)(request.POST, request.FILES, auto_id=_auto_id(action))
    status = 400
    if form.is_valid():
        try:
            spec.service(actor=request.user, order=found, **form.service_kwargs())
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
            status = error.http_status
        else:
            messages.success(request, spec.done_for(purpose))
            return redirect("fieldwork:order", public_id=found.public_id)
    context = _order_context(request, found, refused=(action, form))
    if all(view.action != action for view in context["steps"]):
        # A step the page no longer offers (another phone moved the order on): say why here.
        for error in form.non_field_errors():
            messages.error(request, error)
    return render(request, ORDER_TEMPLATE, context, status=status)


@require_GET
@staff_view(has_perm(VIEW_PERMISSION))
def photo(request: HttpRequest, public_id, photo_id: int) -> HttpResponse:
    """A photo of the order (``?size=thumb``: a small JPEG for the order page), only for
    those who may see the order; photos are never served from a public media URL."""
    found = work_order_get_for(user=request.user, public_id=public_id)
    taken = found.photos.filter(pk=photo_id).first()
    if taken is None:
        raise Http404()
    small = photo_thumbnail(taken) if request.GET.get("size") == "thumb" else None
    if small is not None:
        response = HttpResponse(small, content_type="image/jpeg")
    else:
        response = FileResponse(taken.image.open("rb"), content_type=taken.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
@staff_view(has_perm(VIEW_PERMISSION))
def sheet(request: HttpRequest, public_id) -> HttpResponse:
    """The printed work order (PDF) with the customer's signature."""
    found = work_order_get_for(user=request.user, public_id=public_id)
    return pdf_response(work_order_sheet_pdf(found), f"work-order-{found.number}.pdf")
