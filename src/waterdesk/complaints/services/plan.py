"""The handling plan (R-K3/R-K4): the responsible department and person, what is done, and
its measures — each with an owner and a deadline — tracked until done. A complaint closes
only when all its measures are done."""

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_transition, user_display_name
from waterdesk.complaints.models import TEXT_MAX_LENGTH, Measure
from waterdesk.complaints.services.common import complaint_lock
from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input

DESCRIPTION_SUMMARY_LENGTH = 60


def _active_user(user, *, field: str, label: str):
    if user is None or user.pk is None:
        raise InvalidInput(_("请选择%(label)s。") % {"label": label}, code="required", field=field)
    if not user.is_active:
        raise InvalidInput(
            _("%(name)s 的账号已停用，请选择其他人员。") % {"name": user_display_name(user)},
            code="user_inactive",
            field=field,
        )
    return user


def _short(text: str) -> str:
    if len(text) <= DESCRIPTION_SUMMARY_LENGTH:
        return text
    return text[: DESCRIPTION_SUMMARY_LENGTH - 1] + "…"


@transaction.atomic
def complaint_plan(*, actor, case: Case, department, owner, summary: str) -> Case:
    """Set (or revise) the handling plan (处理方案): the department and person responsible
    and what will be done. Each revision is on the timeline."""
    case, complaint = complaint_lock(case, "plan", actor)
    if department is None or department.pk is None:
        raise InvalidInput(_("请选择处理方案的责任部门。"), code="required", field="department")
    owner = _active_user(owner, field="owner", label=_("责任人"))
    summary = text_input(summary, field="summary", label=_("处理方案"), limit=TEXT_MAX_LENGTH)
    complaint.plan_department = department
    complaint.plan_owner = owner
    complaint.plan_summary = summary
    complaint.save(update_fields=["plan_department", "plan_owner", "plan_summary"])
    return case_transition(
        case=case,
        action="plan",
        actor=actor,
        data={"department": department.name, "owner": user_display_name(owner)},
    )


@transaction.atomic
def complaint_measure_add(*, actor, case: Case, description: str, owner, deadline: date) -> Case:
    """Add a measure of the handling plan (处理措施): what, who, by when."""
    case, complaint = complaint_lock(case, "add_measure", actor)
    description = text_input(
        description, field="description", label=_("措施"), limit=TEXT_MAX_LENGTH
    )
    owner = _active_user(owner, field="owner", label=_("责任人"))
    if deadline is None:
        raise InvalidInput(_("请填写完成期限。"), code="required", field="deadline")
    now = timezone.now()
    if deadline < timezone.localdate(now):
        raise InvalidInput(
            _("完成期限不能早于今天。"), code="measure_deadline_past", field="deadline"
        )
    measure = Measure.objects.create(
        complaint=complaint,
        round_number=complaint.round,
        description=description,
        owner=owner,
        deadline=deadline,
        created_by=actor,
        created_at=now,
    )
    return case_transition(
        case=case,
        action="add_measure",
        actor=actor,
        at=now,
        data={
            "measure": measure.pk,
            "description": _short(description),
            "owner": user_display_name(owner),
            "deadline": deadline.isoformat(),
        },
    )


def may_mark_measure_done(case: Case, user) -> bool:
    """Some measure of the complaint is still open."""
    return Measure.objects.filter(complaint__case=case, done_at__isnull=True).exists()


@transaction.atomic
def complaint_measure_done(*, actor, case: Case, measure, note: str) -> Case:
    """Record that a measure was carried out (措施落实), with how."""
    case, complaint = complaint_lock(case, "measure_done", actor)
    if measure is None or measure.pk is None:
        raise InvalidInput(_("请选择已落实的措施。"), code="required", field="measure")
    measure = Measure.objects.select_for_update().filter(pk=measure.pk).first()
    if measure is None or measure.complaint_id != complaint.pk:
        raise InvalidInput(_("所选措施不属于本投诉。"), code="measure_invalid", field="measure")
    if measure.is_done:
        raise InvalidInput(
            _("该措施已于 %(when)s 确认落实。")
            % {"when": timezone.localtime(measure.done_at).strftime("%Y-%m-%d %H:%M")},
            code="measure_done_already",
            field="measure",
        )
    note = text_input(note, field="note", label=_("落实情况"), limit=TEXT_MAX_LENGTH)
    now = timezone.now()
    measure.done_at = now
    measure.done_by = actor
    measure.done_note = note
    measure.save(update_fields=["done_at", "done_by", "done_note"])
    return case_transition(
        case=case,
        action="measure_done",
        actor=actor,
        note=note,
        at=now,
        data={
            "measure": measure.pk,
            "description": _short(measure.description),
            "late": timezone.localdate(now) > measure.deadline,
        },
    )
