"""Keeping the emergency plans (R-E1): a plan is created with its first draft; a revision
starts as a draft copied from the version in force; only a draft is edited (its levels,
organisation, steps and resources); publishing a draft makes it the version in force and
the previous one superseded. A published version never changes again, so an incident or a
drill always shows the plan it ran on.

Each function is one transaction, needs ``emergency.manage_plans`` and refuses bad input
(``InvalidInput``) before writing anything. The versions with who made and published them
and why are the plan's history (``plan_versions``)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.core.roles import Role
from waterdesk.core.text import text_input as text
from waterdesk.emergency.models import (
    ContactTarget,
    EmergencyPlan,
    IncidentType,
    PlanContact,
    PlanLevel,
    PlanResource,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
    ResourceKind,
    ResponseLevel,
)

MANAGE_PERMISSION = "emergency.manage_plans"
VIEW_PERMISSION = "emergency.view_emergencyplan"

# Positions are renumbered through this offset so that the unique (version, position)
# constraint holds at every single update.
_POSITION_SHIFT = 10000


# --- reading -----------------------------------------------------------------------------


def plan_versions(plan: EmergencyPlan) -> list[PlanVersion]:
    """The plan's history: every version, newest first, with who made and published it."""
    return list(
        PlanVersion.objects.filter(plan=plan)
        .select_related("created_by", "published_by")
        .order_by("-number")
    )


def plan_draft(plan: EmergencyPlan) -> PlanVersion | None:
    return PlanVersion.objects.filter(plan=plan, status=PlanVersionStatus.DRAFT).first()


def role_label(value: str) -> str:
    """A ``core.roles.Role`` value as its Chinese name (the value itself if unknown)."""
    try:
        return str(Role(value).label)
    except ValueError:
        return value


# --- checks ------------------------------------------------------------------------------


def _lock_draft(version: PlanVersion) -> PlanVersion:
    """``version`` locked, refused unless it is a draft."""
    locked = PlanVersion.objects.select_for_update().select_related("plan").get(pk=version.pk)
    if locked.status != PlanVersionStatus.DRAFT:
        raise InvalidInput(
            _("发布后的版本不能修改，请新建修订草稿。"), code="plan_version_not_draft"
        )
    return locked


def _level(value, *, field: str = "level", required: bool = True) -> int | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(_("请选择响应级别。"), code="level_required", field=field)
        return None
    try:
        level = int(value)
    except (TypeError, ValueError):
        level = None
    if level not in ResponseLevel.values:
        raise InvalidInput(
            _("响应级别只能是Ⅰ级至Ⅳ级，请重新选择。"), code="level_invalid", field=field
        )
    return level


def _role(value, *, field: str, required: bool) -> str:
    value = str(value or "").strip()
    if not value:
        if required:
            raise InvalidInput(_("请选择岗位。"), code="role_required", field=field)
        return ""
    if value not in Role.values:
        raise InvalidInput(_("没有这个岗位，请从列表中选择。"), code="role_invalid", field=field)
    return value


def _minutes(value, *, field: str, label: str, required: bool = False) -> int | None:
    if value in (None, ""):
        if required:
            raise InvalidInput(
                _("请填写%(label)s。") % {"label": label}, code="required", field=field
            )
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not 1 <= minutes <= 60 * 24 * 30:
        raise InvalidInput(
            _("%(label)s应为 1 至 43200 之间的整数（分钟）。") % {"label": label},
            code="minutes_invalid",
            field=field,
        )
    return minutes


def _count(value, *, field: str, label: str, maximum: int) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if not 1 <= number <= maximum:
        raise InvalidInput(
            _("%(label)s应为 1 至 %(maximum)s 之间的整数。") % {"label": label, "maximum": maximum},
            code="number_invalid",
            field=field,
        )
    return number


# --- plans and versions ------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *, actor, code: str, name: str, incident_type: str, change_note: str = ""
) -> EmergencyPlan:
    """A new plan with its first draft (version 1), to be filled in and published."""
    require_permission(actor, MANAGE_PERMISSION)
    code = text(code, field="code", label=_("预案编码"), limit=32).lower()
    if not all(ch.isascii() and (ch.isalnum() or ch in "-_") for ch in code):
        raise InvalidInput(
            _("预案编码只能由英文字母、数字、连字符和下划线组成，例如 pipe-burst-north。"),
            code="plan_code_invalid",
            field="code",
        )
    if EmergencyPlan.objects.filter(code=code).exists():
        raise InvalidInput(
            _("预案编码“%(code)s”已被使用，请换一个编码。") % {"code": code},
            code="plan_code_taken",
            field="code",
        )
    name = text(name, field="name", label=_("预案名称"), limit=200)
    if incident_type not in IncidentType.values:
        raise InvalidInput(
            _("请选择事件类型。"), code="incident_type_required", field="incident_type"
        )
    change_note = text(
        change_note, field="change_note", label=_("修订说明"), limit=500, required=False
    )
    plan = EmergencyPlan.objects.create(code=code, name=name, incident_type=incident_type)
    PlanVersion.objects.create(
        plan=plan,
        number=1,
        status=PlanVersionStatus.DRAFT,
        change_note=change_note or _("新编预案"),
        created_by=actor,
    )
    return plan


@transaction.atomic
def plan_draft_start(*, actor, plan: EmergencyPlan, change_note: str) -> PlanVersion:
    """A revision draft of ``plan``: a copy of the version in force (its levels,
    organisation, steps and resources) under the next number."""
    require_permission(actor, MANAGE_PERMISSION)
    plan = EmergencyPlan.objects.select_for_update().get(pk=plan.pk)
    change_note = text(change_note, field="change_note", label=_("修订说明"), limit=500)
    existing = plan_draft(plan)
    if existing is not None:
        raise InvalidInput(
            _("该预案已有修订草稿（第 %(number)s 版），请继续编辑该草稿或将其发布。")
            % {"number": existing.number},
            code="plan_draft_exists",
        )
    current = PlanVersion.objects.filter(plan=plan, status=PlanVersionStatus.PUBLISHED).first()
    number = (PlanVersion.objects.filter(plan=plan).aggregate(top=Max("number"))["top"] or 0) + 1
    draft = PlanVersion.objects.create(
        plan=plan,
        number=number,
        status=PlanVersionStatus.DRAFT,
        change_note=change_note,
        created_by=actor,
    )
    if current is not None:
        _copy_contents(current, draft)
    return draft


def _copy_contents(source: PlanVersion, target: PlanVersion) -> None:
    PlanLevel.objects.bulk_create(
        PlanLevel(
            version=target,
            level=level.level,
            trigger_customers=level.trigger_customers,
            trigger_hours=level.trigger_hours,
            trigger_quality_failure=level.trigger_quality_failure,
            trigger_note=level.trigger_note,
            response_minutes=level.response_minutes,
        )
        for level in source.levels.order_by("level")
    )
    PlanContact.objects.bulk_create(
        PlanContact(
            version=target,
            level=contact.level,
            target=contact.target,
            role=contact.role,
            user_id=contact.user_id,
            duty=contact.duty,
        )
        for contact in source.contacts.order_by("-level", "pk")
    )
    PlanStep.objects.bulk_create(
        PlanStep(
            version=target,
            position=step.position,
            title=step.title,
            level=step.level,
            owner_role=step.owner_role,
            target_minutes=step.target_minutes,
        )
        for step in source.steps.order_by("position", "pk")
    )
    PlanResource.objects.bulk_create(
        PlanResource(
            version=target,
            kind=resource.kind,
            description=resource.description,
            quantity=resource.quantity,
            unit=resource.unit,
            location=resource.location,
            contact=resource.contact,
        )
        for resource in source.resources.order_by("kind", "pk")
    )


@transaction.atomic
def plan_draft_discard(*, actor, version: PlanVersion) -> None:
    """Throw a revision draft away (the version in force stays). A plan's first draft
    cannot be: the plan would have no version at all."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    if not PlanVersion.objects.filter(plan=draft.plan, status=PlanVersionStatus.PUBLISHED).exists():
        raise InvalidInput(
            _("这是该预案的第一个版本，不能放弃；请补充内容后发布。"),
            code="plan_first_draft",
        )
    draft.delete()


@transaction.atomic
def plan_publish(*, actor, version: PlanVersion, change_note: str | None = None) -> PlanVersion:
    """Publish the draft ``version``: it becomes the version in force, the previous one is
    superseded. Refused for a draft without levels or without steps."""
    require_permission(actor, MANAGE_PERMISSION)
    EmergencyPlan.objects.select_for_update().get(pk=version.plan_id)
    draft = _lock_draft(version)
    if change_note is not None:
        draft.change_note = text(change_note, field="change_note", label=_("修订说明"), limit=500)
    if not draft.levels.exists():
        raise InvalidInput(
            _("草稿还没有响应级别，不能发布。请先添加至少一个响应级别及其启动条件。"),
            code="plan_no_levels",
        )
    if not draft.steps.exists():
        raise InvalidInput(
            _("草稿还没有处置步骤，不能发布。请先添加处置步骤。"), code="plan_no_steps"
        )
    now = timezone.now()
    PlanVersion.objects.filter(plan_id=draft.plan_id, status=PlanVersionStatus.PUBLISHED).update(
        status=PlanVersionStatus.SUPERSEDED
    )
    draft.status = PlanVersionStatus.PUBLISHED
    draft.published_at = now
    draft.published_by = actor
    draft.save(update_fields=["status", "published_at", "published_by", "change_note"])
    return draft


@transaction.atomic
def plan_version_note_set(*, actor, version: PlanVersion, change_note: str) -> PlanVersion:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    draft.change_note = text(change_note, field="change_note", label=_("修订说明"), limit=500)
    draft.save(update_fields=["change_note"])
    return draft


# --- levels ------------------------------------------------------------------------------


@transaction.atomic
def plan_level_save(
    *,
    actor,
    version: PlanVersion,
    level,
    trigger_customers=None,
    trigger_hours=None,
    trigger_quality_failure: bool = False,
    trigger_note: str = "",
    response_minutes=30,
) -> PlanLevel:
    """Add the response ``level`` to the draft or change its triggers (any one trigger
    starts the level; at least one is needed)."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    level = _level(level)
    customers = _count(
        trigger_customers,
        field="trigger_customers",
        label=_("影响户数"),
        maximum=10_000_000,
    )
    hours = _count(trigger_hours, field="trigger_hours", label=_("停水时长"), maximum=24 * 30)
    note = text(
        trigger_note, field="trigger_note", label=_("其他启动条件"), limit=300, required=False
    )
    minutes = _minutes(
        response_minutes, field="response_minutes", label=_("响应时限"), required=True
    )
    if customers is None and hours is None and not trigger_quality_failure and not note:
        raise InvalidInput(
            _("请至少填写一项启动条件：影响户数、停水时长、水质不合格或其他启动条件。"),
            code="level_trigger_required",
            field="trigger_customers",
        )
    saved, _created = PlanLevel.objects.update_or_create(
        version=draft,
        level=level,
        defaults={
            "trigger_customers": customers,
            "trigger_hours": hours,
            "trigger_quality_failure": bool(trigger_quality_failure),
            "trigger_note": note,
            "response_minutes": minutes,
        },
    )
    return saved


@transaction.atomic
def plan_level_remove(*, actor, version: PlanVersion, level) -> None:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    level = _level(level)
    deleted, _rows = PlanLevel.objects.filter(version=draft, level=level).delete()
    if not deleted:
        raise InvalidInput(_("草稿中没有这个响应级别，请刷新页面。"), code="level_missing")


# --- organisation ------------------------------------------------------------------------


@transaction.atomic
def plan_contact_add(
    *, actor, version: PlanVersion, level, target: str, role: str = "", user=None, duty: str = ""
) -> PlanContact:
    """Who is called from ``level`` on: every holder of a role, the duty manager on duty,
    the crew on call, or one named person."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    level = _level(level)
    if target not in ContactTarget.values:
        raise InvalidInput(_("请选择通知对象。"), code="contact_target_required", field="target")
    role = _role(role, field="role", required=target == ContactTarget.ROLE)
    if target == ContactTarget.PERSON:
        if user is None or not user.is_active:
            raise InvalidInput(
                _("请选择在职的指定人员。"), code="contact_user_required", field="user"
            )
    else:
        user = None
    if target != ContactTarget.ROLE:
        role = ""
    duty = text(duty, field="duty", label=_("职责"), limit=200, required=False)
    return PlanContact.objects.create(
        version=draft, level=level, target=target, role=role, user=user, duty=duty
    )


@transaction.atomic
def plan_contact_remove(*, actor, contact: PlanContact) -> None:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(contact.version)
    PlanContact.objects.filter(pk=contact.pk, version=draft).delete()


# --- steps -------------------------------------------------------------------------------


def _step_fields(*, title, level, owner_role, target_minutes) -> dict:
    return {
        "title": text(title, field="title", label=_("处置步骤"), limit=300),
        "level": _level(level, required=False),
        "owner_role": _role(owner_role, field="owner_role", required=False),
        "target_minutes": _minutes(target_minutes, field="target_minutes", label=_("完成时限")),
    }


def _renumber(version: PlanVersion, ordered_ids: list[int]) -> None:
    """Positions 1..n in the order given (through a shift, so that the unique position
    holds at every update)."""
    steps = PlanStep.objects.filter(version=version)
    for step_id in ordered_ids:
        steps.filter(pk=step_id).update(position=_POSITION_SHIFT + ordered_ids.index(step_id))
    for position, step_id in enumerate(ordered_ids, start=1):
        steps.filter(pk=step_id).update(position=position)


def _ordered_ids(version: PlanVersion) -> list[int]:
    return list(
        PlanStep.objects.filter(version=version)
        .order_by("position", "pk")
        .values_list("pk", flat=True)
    )


@transaction.atomic
def plan_step_add(
    *,
    actor,
    version: PlanVersion,
    title: str,
    level=None,
    owner_role: str = "",
    target_minutes=None,
) -> PlanStep:
    """A step at the end of the draft's checklist."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    fields = _step_fields(
        title=title, level=level, owner_role=owner_role, target_minutes=target_minutes
    )
    last = PlanStep.objects.filter(version=draft).aggregate(top=Max("position"))["top"] or 0
    return PlanStep.objects.create(version=draft, position=last + 1, **fields)


@transaction.atomic
def plan_step_update(
    *, actor, step: PlanStep, title: str, level=None, owner_role: str = "", target_minutes=None
) -> PlanStep:
    require_permission(actor, MANAGE_PERMISSION)
    _lock_draft(step.version)
    fields = _step_fields(
        title=title, level=level, owner_role=owner_role, target_minutes=target_minutes
    )
    PlanStep.objects.filter(pk=step.pk).update(**fields)
    step.refresh_from_db()
    return step


@transaction.atomic
def plan_step_remove(*, actor, step: PlanStep) -> None:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(step.version)
    PlanStep.objects.filter(pk=step.pk, version=draft).delete()
    _renumber(draft, _ordered_ids(draft))


@transaction.atomic
def plan_step_move(*, actor, step: PlanStep, direction: str) -> PlanStep:
    """Move ``step`` one place ``"up"`` or ``"down"`` in the checklist."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(step.version)
    if direction not in ("up", "down"):
        raise InvalidInput(_("请选择上移或下移。"), code="direction_invalid", field="direction")
    ordered = _ordered_ids(draft)
    index = ordered.index(step.pk)
    other = index - 1 if direction == "up" else index + 1
    if not 0 <= other < len(ordered):
        raise InvalidInput(
            _("该步骤已在最前面，不能再上移。")
            if direction == "up"
            else _("该步骤已在最后面，不能再下移。"),
            code="step_move_edge",
        )
    ordered[index], ordered[other] = ordered[other], ordered[index]
    _renumber(draft, ordered)
    step.refresh_from_db()
    return step


@transaction.atomic
def plan_steps_reorder(*, actor, version: PlanVersion, order: list[int]) -> None:
    """The draft's steps in the order of the step ids ``order`` (each step once)."""
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    current = _ordered_ids(draft)
    try:
        wanted = [int(step_id) for step_id in order]
    except (TypeError, ValueError):
        wanted = []
    if sorted(wanted) != sorted(current):
        raise InvalidInput(
            _("步骤顺序与草稿中的步骤不一致，请刷新页面后重新排序。"), code="step_order_invalid"
        )
    _renumber(draft, wanted)


# --- resources ---------------------------------------------------------------------------


@transaction.atomic
def plan_resource_add(
    *,
    actor,
    version: PlanVersion,
    kind: str,
    description: str,
    quantity=1,
    unit: str = "",
    location: str = "",
    contact: str = "",
) -> PlanResource:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(version)
    if kind not in ResourceKind.values:
        raise InvalidInput(_("请选择资源类别。"), code="resource_kind_required", field="kind")
    description = text(description, field="description", label=_("名称/规格"), limit=200)
    quantity = _count(quantity, field="quantity", label=_("数量"), maximum=1_000_000)
    if quantity is None:
        raise InvalidInput(_("请填写数量。"), code="required", field="quantity")
    return PlanResource.objects.create(
        version=draft,
        kind=kind,
        description=description,
        quantity=quantity,
        unit=text(unit, field="unit", label=_("单位"), limit=20, required=False),
        location=text(location, field="location", label=_("存放/驻地"), limit=200, required=False),
        contact=text(contact, field="contact", label=_("联系人及电话"), limit=100, required=False),
    )


@transaction.atomic
def plan_resource_remove(*, actor, resource: PlanResource) -> None:
    require_permission(actor, MANAGE_PERMISSION)
    draft = _lock_draft(resource.version)
    PlanResource.objects.filter(pk=resource.pk, version=draft).delete()
