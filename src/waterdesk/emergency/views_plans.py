"""The emergency plan pages (``workbench:emergency_plans``, ``emergency_plan``,
``emergency_plan_version`` …): the plans with their version in force, one plan in full
with its history, any version, and for the emergency office the draft's edits and its
publication.

Readers hold ``emergency.view_emergencyplan``; changes need ``emergency.manage_plans``
(the services check it again). Thin: a form parses, one service decides; a refusal comes
back on the page with its reason (400)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from waterdesk.core.errors import DomainError, NotPermitted
from waterdesk.core.web import has_perm, staff_view
from waterdesk.emergency import forms_plans as forms
from waterdesk.emergency.models import (
    EmergencyPlan,
    PlanContact,
    PlanResource,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
    ResponseLevel,
)
from waterdesk.emergency.selectors_plans import plan_current_version
from waterdesk.emergency.services import plans as services
from waterdesk.emergency.services.plans import MANAGE_PERMISSION, VIEW_PERMISSION, role_label

reader_view = staff_view(has_perm(VIEW_PERMISSION))
editor_view = staff_view(has_perm(MANAGE_PERMISSION))

VERSION_TEMPLATE = "emergency/plans/version.html"


def _plan(pk: int) -> EmergencyPlan:
    plan = EmergencyPlan.objects.filter(pk=pk).first()
    if plan is None:
        raise Http404()
    return plan


def _version(pk: int) -> PlanVersion:
    version = (
        PlanVersion.objects.select_related("plan", "created_by", "published_by")
        .filter(pk=pk)
        .first()
    )
    if version is None:
        raise Http404()
    return version


def version_contents(version: PlanVersion) -> dict:
    """Everything a version says, ready for the page: levels (Ⅰ first), who is called at
    each level, the checklist and the resources."""
    levels = list(version.levels.order_by("level"))
    contacts = list(version.contacts.select_related("user").order_by("-level", "pk"))
    for contact in contacts:
        contact.role_label = role_label(contact.role) if contact.role else ""
        contact.user_label = (
            (contact.user.get_full_name() or contact.user.get_username()) if contact.user else ""
        )
    steps = list(version.steps.order_by("position", "pk"))
    for step in steps:
        step.owner_label = role_label(step.owner_role) if step.owner_role else ""
    # From the least severe level up: who that level adds to the one below it.
    organisation = []
    below = None
    for level in sorted(levels, key=lambda saved: -saved.level):
        added = [
            contact
            for contact in contacts
            if contact.level >= level.level and (below is None or contact.level < below.level)
        ]
        organisation.append({"level": level, "below": below, "contacts": added})
        below = level
    return {
        "levels": levels,
        "contacts": contacts,
        "organisation": organisation,
        "steps": steps,
        "resources": list(version.resources.order_by("kind", "pk")),
    }


@require_GET
@reader_view
def plans_page(request: HttpRequest) -> HttpResponse:
    rows = []
    for plan in EmergencyPlan.objects.prefetch_related("versions").order_by(
        "incident_type", "code"
    ):
        versions = {version.status: version for version in plan.versions.all()}
        rows.append(
            {
                "plan": plan,
                "current": versions.get(PlanVersionStatus.PUBLISHED),
                "draft": versions.get(PlanVersionStatus.DRAFT),
            }
        )
    return render(
        request,
        "emergency/plans/list.html",
        {"rows": rows, "may_manage": request.user.has_perm(MANAGE_PERMISSION)},
    )


@require_http_methods(["GET", "POST"])
@editor_view
def plan_new(request: HttpRequest) -> HttpResponse:
    form = forms.PlanForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                plan = services.plan_create(actor=request.user, **form.cleaned_data)
            except NotPermitted:
                raise
            except DomainError as error:
                form.add_domain_error(error)
            else:
                messages.success(
                    request,
                    _(
                        "已新建预案“%(name)s”的草稿，请添加响应级别、应急组织、处置步骤和资源后发布。"
                    )
                    % {"name": plan.name},
                )
                return redirect("workbench:emergency_plan_version", pk=services.plan_draft(plan).pk)
    return render(request, "emergency/plans/new.html", {"form": form}, status=status)


@require_GET
@reader_view
def plan_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _plan_page(request, _plan(pk))


def _plan_page(request, plan, *, draft_form=None, status: int = 200) -> HttpResponse:
    current = plan_current_version(plan)
    context = {
        "plan": plan,
        "current": current,
        "draft": services.plan_draft(plan),
        "versions": services.plan_versions(plan),
        "may_manage": request.user.has_perm(MANAGE_PERMISSION),
        "draft_form": draft_form or forms.ChangeNoteForm(),
    }
    if current is not None:
        context.update(version_contents(current))
    return render(request, "emergency/plans/plan.html", context, status=status)


@require_POST
@editor_view
def plan_draft_new(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _plan(pk)
    form = forms.ChangeNoteForm(request.POST)
    if form.is_valid():
        try:
            draft = services.plan_draft_start(
                actor=request.user, plan=plan, change_note=form.cleaned_data["change_note"]
            )
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(
                request,
                _("已新建第 %(number)s 版修订草稿（复制自现行版本），修改后请发布。")
                % {"number": draft.number},
            )
            return redirect("workbench:emergency_plan_version", pk=draft.pk)
    return _plan_page(request, plan, draft_form=form, status=400)


# --- a version, and the draft's edits ------------------------------------------------------


@dataclass(frozen=True)
class Edit:
    """One edit of a draft: its form, what it does with the cleaned data, what it says."""

    form: type
    apply: Callable[..., object]
    done: Promise
    # Where the page goes when done: back to the draft, or to the plan.
    to_plan: bool = False


def _item(model, version: PlanVersion, data: dict):
    found = model.objects.filter(version=version, pk=data["item"]).first()
    if found is None:
        raise Http404()
    return found


def _step_kwargs(data: dict) -> dict:
    return {key: data[key] for key in ("title", "level", "owner_role", "target_minutes")}


EDITS: dict[str, Edit] = {
    "note": Edit(
        forms.ChangeNoteForm,
        lambda actor, version, data: services.plan_version_note_set(
            actor=actor, version=version, change_note=data["change_note"]
        ),
        gettext_lazy("已保存修订说明。"),
    ),
    "level": Edit(
        forms.LevelForm,
        lambda actor, version, data: services.plan_level_save(actor=actor, version=version, **data),
        gettext_lazy("已保存响应级别及其启动条件。"),
    ),
    "level_remove": Edit(
        forms.LevelRemoveForm,
        lambda actor, version, data: services.plan_level_remove(
            actor=actor, version=version, level=data["level"]
        ),
        gettext_lazy("已删除该响应级别。"),
    ),
    "contact": Edit(
        forms.ContactForm,
        lambda actor, version, data: services.plan_contact_add(
            actor=actor, version=version, **data
        ),
        gettext_lazy("已添加应急组织成员。"),
    ),
    "contact_remove": Edit(
        forms.ItemForm,
        lambda actor, version, data: services.plan_contact_remove(
            actor=actor, contact=_item(PlanContact, version, data)
        ),
        gettext_lazy("已删除该应急组织成员。"),
    ),
    "step": Edit(
        forms.StepForm,
        lambda actor, version, data: services.plan_step_add(
            actor=actor, version=version, **_step_kwargs(data)
        ),
        gettext_lazy("已添加处置步骤。"),
    ),
    "step_edit": Edit(
        forms.StepEditForm,
        lambda actor, version, data: services.plan_step_update(
            actor=actor, step=_item(PlanStep, version, data), **_step_kwargs(data)
        ),
        gettext_lazy("已保存处置步骤。"),
    ),
    "step_move": Edit(
        forms.StepMoveForm,
        lambda actor, version, data: services.plan_step_move(
            actor=actor, step=_item(PlanStep, version, data), direction=data["direction"]
        ),
        gettext_lazy("已调整步骤顺序。"),
    ),
    "step_remove": Edit(
        forms.ItemForm,
        lambda actor, version, data: services.plan_step_remove(
            actor=actor, step=_item(PlanStep, version, data)
        ),
        gettext_lazy("已删除处置步骤。"),
    ),
    "resource": Edit(
        forms.ResourceForm,
        lambda actor, version, data: services.plan_resource_add(
            actor=actor, version=version, **data
        ),
        gettext_lazy("已添加应急资源。"),
    ),
    "resource_remove": Edit(
        forms.ItemForm,
        lambda actor, version, data: services.plan_resource_remove(
            actor=actor, resource=_item(PlanResource, version, data)
        ),
        gettext_lazy("已删除应急资源。"),
    ),
    "publish": Edit(
        forms.ChangeNoteForm,
        lambda actor, version, data: services.plan_publish(
            actor=actor, version=version, change_note=data["change_note"]
        ),
        gettext_lazy("已发布，该版本即为现行预案，原现行版本已废止。"),
        to_plan=True,
    ),
    "discard": Edit(
        forms.ConfirmForm,
        lambda actor, version, data: services.plan_draft_discard(actor=actor, version=version),
        gettext_lazy("已放弃修订草稿，现行版本不变。"),
        to_plan=True,
    ),
}


def _edit_forms(version: PlanVersion, steps, failed: tuple[str, object] | None) -> dict:
    """The draft's forms (the failed one with its input and reason in its place)."""
    edit_forms = {
        "level": forms.LevelForm(auto_id="id_level_%s"),
        "contact": forms.ContactForm(auto_id="id_contact_%s"),
        "step": forms.StepForm(auto_id="id_step_%s"),
        "resource": forms.ResourceForm(auto_id="id_resource_%s"),
        "publish": forms.ChangeNoteForm(
            initial={"change_note": version.change_note}, auto_id="id_publish_%s"
        ),
        "discard": forms.ConfirmForm(auto_id="id_discard_%s"),
    }
    for step in steps:
        step.edit_form = forms.StepEditForm(
            initial={
                "item": step.pk,
                "title": step.title,
                "level": step.level,
                "owner_role": step.owner_role,
                "target_minutes": step.target_minutes,
            },
            auto_id=f"id_step{step.pk}_%s",
        )
    if failed is not None:
        name, form = failed
        if name in edit_forms:
            edit_forms[name] = form
        elif name == "step_edit":
            for step in steps:
                if str(form.data.get("item")) == str(step.pk):
                    step.edit_form = form
    return edit_forms


def _version_page(request, version: PlanVersion, *, failed=None, status: int = 200):
    contents = version_contents(version)
    is_editable = version.status == PlanVersionStatus.DRAFT and request.user.has_perm(
        MANAGE_PERMISSION
    )
    context = {
        "version": version,
        "plan": version.plan,
        "is_editable": is_editable,
        "failed_form": failed[1] if failed is not None else None,
        "versions": services.plan_versions(version.plan),
        "levels_missing": [
            level
            for level in ResponseLevel
            if level.value not in {saved.level for saved in contents["levels"]}
        ],
        **contents,
    }
    if is_editable:
        context["edit_forms"] = _edit_forms(version, contents["steps"], failed)
    return render(request, VERSION_TEMPLATE, context, status=status)


@require_GET
@reader_view
def version_page(request: HttpRequest, pk: int) -> HttpResponse:
    return _version_page(request, _version(pk))


@require_POST
@editor_view
def version_edit(request: HttpRequest, pk: int, edit: str) -> HttpResponse:
    version = _version(pk)
    spec = EDITS.get(edit)
    if spec is None:
        raise Http404()
    form = spec.form(request.POST, auto_id=f"id_{edit}_%s")
    if form.is_valid():
        try:
            spec.apply(request.user, version, form.cleaned_data)
        except NotPermitted:
            raise
        except DomainError as error:
            form.add_domain_error(error)
        else:
            messages.success(request, str(spec.done))
            if spec.to_plan:
                return redirect("workbench:emergency_plan", pk=version.plan_id)
            return redirect("workbench:emergency_plan_version", pk=version.pk)
    version = _version(pk)
    return _version_page(request, version, failed=(edit, form), status=400)
