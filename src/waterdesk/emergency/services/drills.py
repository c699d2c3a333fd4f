"""Drills (应急演练, R-E3): planned on a published plan version at a level, held (the
actual start and the minutes each step took, against the step's target), evaluated, and
followed by improvement measures with owners and deadlines; a planned drill may be
cancelled with its reason.

planned → held → evaluated; planned → cancelled. Each move is one transaction, needs
``emergency.manage_drills`` and refuses bad input before writing anything."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.core.text import text_input as text
from waterdesk.emergency.models import (
    Drill,
    DrillStatus,
    DrillTiming,
    Measure,
    PlanLevel,
    PlanStep,
    PlanVersion,
    PlanVersionStatus,
)
from waterdesk.emergency.selectors_plans import plan_steps_for_level
from waterdesk.emergency.services.measures import measure_add

MANAGE_PERMISSION = "emergency.manage_drills"
SCENARIO_MAX_LENGTH = 5000
EVALUATION_MAX_LENGTH = 5000
OBSERVED_MAX_MINUTES = 60 * 24 * 7


@dataclass(frozen=True)
class TimingInput:
    """One observed step of a drill: a plan step (its title and target are the step's) or
    an extra row with its own label and optional target."""

    observed_minutes: int | None
    step: PlanStep | None = None
    label: str = ""
    target_minutes: int | None = None
    note: str = ""


def _lock(drill: Drill, *expected: str) -> Drill:
    locked = Drill.objects.select_for_update().select_related("plan_version").get(pk=drill.pk)
    if locked.status not in expected:
        raise InvalidInput(_refusal(locked), code="drill_status")
    return locked


def _refusal(drill: Drill) -> str:
    return {
        DrillStatus.PLANNED: _("演练尚未举行：请先登记演练实际开始时间和各环节用时。"),
        DrillStatus.HELD: _("演练已举行，不能再登记或取消；请填写演练评估。"),
        DrillStatus.EVALUATED: _("演练已评估，不能再修改；需要改进的事项请添加改进措施。"),
        DrillStatus.CANCELLED: _("演练已取消，不能再办理；如需演练请重新安排。"),
    }[drill.status]


@transaction.atomic
def drill_plan(
    *,
    actor,
    plan_version: PlanVersion,
    level,
    scheduled_for: datetime,
    scenario: str,
    participants=(),
    other_participants: str = "",
) -> Drill:
    """Plan a drill of the published ``plan_version`` at ``level``."""
    require_permission(actor, MANAGE_PERMISSION)
    if plan_version is None or plan_version.status != PlanVersionStatus.PUBLISHED:
        raise InvalidInput(
            _("只能按现行预案安排演练，请选择一个现行预案。"),
            code="drill_plan_not_published",
            field="plan_version",
        )
    try:
        level = int(level)
    except (TypeError, ValueError):
        level = None
    if level is None or not PlanLevel.objects.filter(version=plan_version, level=level).exists():
        raise InvalidInput(
            _("该预案没有这个响应级别，请从预案的响应级别中选择。"),
            code="drill_level_missing",
            field="level",
        )
    if scheduled_for is None:
        raise InvalidInput(_("请填写演练时间。"), code="required", field="scheduled_for")
    if scheduled_for < timezone.now():
        raise InvalidInput(
            _("演练时间已过，请选择今后的时间；已经举行的演练请先安排再登记实际开始时间。"),
            code="drill_time_past",
            field="scheduled_for",
        )
    scenario = text(scenario, field="scenario", label=_("演练场景"), limit=SCENARIO_MAX_LENGTH)
    other_participants = text(
        other_participants,
        field="other_participants",
        label=_("其他参演单位"),
        limit=500,
        required=False,
    )
    people = list(participants or [])
    if any(not person.is_active for person in people):
        raise InvalidInput(
            _("参演人员中有已离职的账号，请重新选择。"),
            code="drill_participant_inactive",
            field="participants",
        )
    if not people and not other_participants:
        raise InvalidInput(
            _("请选择参演人员或填写其他参演单位。"),
            code="drill_participants_required",
            field="participants",
        )
    drill = Drill.objects.create(
        plan_version=plan_version,
        level=level,
        scheduled_for=scheduled_for,
        scenario=scenario,
        other_participants=other_participants,
        created_by=actor,
    )
    drill.participants.set(people)
    return drill


def drill_steps(drill: Drill) -> list[PlanStep]:
    """The steps of the drill's plan version that apply at its level, in order (the rows
    its timings are recorded against)."""
    return plan_steps_for_level(drill.plan_version, drill.level)


def _observed(value, *, field: str) -> int | None:
    if value in (None, ""):
        return None
    try:
        minutes = int(value)
    except (TypeError, ValueError):
        minutes = -1
    if not 0 <= minutes <= OBSERVED_MAX_MINUTES:
        raise InvalidInput(
            _("实际用时应为 0 至 %(limit)s 之间的整数（分钟）。") % {"limit": OBSERVED_MAX_MINUTES},
            code="drill_minutes_invalid",
            field=field,
        )
    return minutes


@transaction.atomic
def drill_record_held(
    *, actor, drill: Drill, held_at: datetime, timings: list[TimingInput]
) -> Drill:
    """The drill was held from ``held_at``; ``timings`` are the minutes observed for the
    plan's steps (rows without minutes are left out) and for extra rows."""
    require_permission(actor, MANAGE_PERMISSION)
    drill = _lock(drill, DrillStatus.PLANNED)
    if held_at is None:
        raise InvalidInput(_("请填写演练实际开始时间。"), code="required", field="held_at")
    if held_at > timezone.now():
        raise InvalidInput(
            _("实际开始时间不能晚于现在；演练举行后再登记。"),
            code="drill_held_future",
            field="held_at",
        )
    steps = {step.pk: step for step in drill_steps(drill)}
    rows: list[DrillTiming] = []
    for index, timing in enumerate(timings):
        observed = _observed(timing.observed_minutes, field=f"observed_{index}")
        if observed is None:
            continue
        note = text(timing.note, field=f"note_{index}", label=_("说明"), limit=300, required=False)
        if timing.step is not None:
            step = steps.get(timing.step.pk)
            if step is None:
                raise InvalidInput(
                    _("计时中有不属于本次演练预案级别的步骤，请刷新页面后重新填写。"),
                    code="drill_step_foreign",
                )
            rows.append(
                DrillTiming(
                    drill=drill,
                    step=step,
                    label=step.title,
                    target_minutes=step.target_minutes,
                    observed_minutes=observed,
                    note=note,
                )
            )
            continue
        label = text(timing.label, field=f"label_{index}", label=_("环节"), limit=300)
        target = timing.target_minutes
        if target is not None and not 1 <= int(target) <= OBSERVED_MAX_MINUTES:
            raise InvalidInput(
                _("目标用时应为 1 至 %(limit)s 之间的整数（分钟）。")
                % {"limit": OBSERVED_MAX_MINUTES},
                code="drill_minutes_invalid",
                field=f"target_{index}",
            )
        rows.append(
            DrillTiming(
                drill=drill,
                label=label,
                target_minutes=target,
                observed_minutes=observed,
                note=note,
            )
        )
    if not rows:
        raise InvalidInput(
            _("请至少填写一个环节的实际用时。"), code="drill_timings_required", field="timings"
        )
    DrillTiming.objects.bulk_create(rows)
    drill.status = DrillStatus.HELD
    drill.held_at = held_at
    drill.save(update_fields=["status", "held_at"])
    return drill


@transaction.atomic
def drill_evaluate(*, actor, drill: Drill, evaluation: str) -> Drill:
    require_permission(actor, MANAGE_PERMISSION)
    drill = _lock(drill, DrillStatus.HELD)
    drill.evaluation = text(
        evaluation, field="evaluation", label=_("演练评估"), limit=EVALUATION_MAX_LENGTH
    )
    drill.status = DrillStatus.EVALUATED
    drill.evaluated_by = actor
    drill.evaluated_at = timezone.now()
    drill.save(update_fields=["evaluation", "status", "evaluated_by", "evaluated_at"])
    return drill


@transaction.atomic
def drill_cancel(*, actor, drill: Drill, reason: str) -> Drill:
    require_permission(actor, MANAGE_PERMISSION)
    drill = _lock(drill, DrillStatus.PLANNED)
    drill.cancel_reason = text(reason, field="reason", label=_("取消原因"), limit=500)
    drill.status = DrillStatus.CANCELLED
    drill.cancelled_by = actor
    drill.cancelled_at = timezone.now()
    drill.save(update_fields=["cancel_reason", "status", "cancelled_by", "cancelled_at"])
    return drill


@transaction.atomic
def drill_measure_add(
    *, actor, drill: Drill, description: str, owner, deadline: date | None
) -> Measure:
    """An improvement measure of a drill that was held."""
    require_permission(actor, MANAGE_PERMISSION)
    drill = _lock(drill, DrillStatus.HELD, DrillStatus.EVALUATED)
    if deadline is not None and deadline < timezone.localdate():
        raise InvalidInput(
            _("完成期限不能早于今天，请重新选择。"), code="deadline_past", field="deadline"
        )
    return measure_add(drill=drill, description=description, owner=owner, deadline=deadline)
