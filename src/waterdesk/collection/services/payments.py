"""Money stops the ladder (issue 11 §2): a payment through any channel, and instalment
plans.

``collection_payment_received`` is called by ``payments.services.record.payment_record``
inside the payment's transaction, so that no disconnection can slip in between: a payment
that leaves nothing overdue settles the case (a pending disconnection order and its crew's
work order are cancelled), or — after disconnection — orders the reconnection at once.
A plan covering the whole debt, once its first instalment is paid, stops the ladder the
same way (an exemption of kind ``instalment_plan`` keeps the account out of the next
classifications); a missed instalment resumes the ladder on the rung it stopped at.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Case
from waterdesk.cases.services import case_event_record
from waterdesk.collection.models import (
    ActionOutcome,
    ActionStatus,
    CollectedPayment,
    CollectionExemption,
    DisconnectionOrder,
    DisconnectionOrderStatus,
    Dunning,
    DunningStatus,
    ExemptionKind,
    Instalment,
    InstalmentPlan,
    PlanStatus,
)
from waterdesk.collection.services.common import (
    ZERO,
    account_owed,
    day_of,
    lock_dunning,
    move,
    paid_since,
    policy,
)
from waterdesk.collection.services.disconnection import (
    PAID_REASON,
    disconnection_cancel_locked,
    reconnection_start_locked,
)
from waterdesk.collection.workflow import APPROVE_PERMISSION, STOPPABLE, WORK_PERMISSION
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.money import money_validate
from waterdesk.core.text import text_input
from waterdesk.fieldwork.services import work_order_lock

PLAN_NOTE_MAX_LENGTH = 300
WITHDRAW_REASON_MAX_LENGTH = 2000  # as every kind's withdraw (one API input for all)


def _tasks_cancel(dunning: Dunning, *, reason: str) -> None:
    dunning.actions.filter(status=ActionStatus.OPEN).update(
        status=ActionStatus.CANCELLED, cancelled_reason=reason[:200]
    )


def dunning_settle_locked(*, case: Case, dunning: Dunning, at: datetime, reason: str) -> Case:
    """Nothing is overdue any more: the open task and a pending disconnection order are
    cancelled, the case ends as settled."""
    _tasks_cancel(dunning, reason=PAID_REASON)
    case = disconnection_cancel_locked(case=case, dunning=dunning, reason=PAID_REASON, at=at)
    case, dunning = lock_dunning(case)  # the order's hook may have moved the case
    InstalmentPlan.objects.filter(dunning=dunning, status=PlanStatus.AWAITING_FIRST).update(
        status=PlanStatus.CANCELLED, ended_at=at
    )
    case = move(case=case, action="settle", actor=None, at=at, data={"by": reason})
    dunning.is_open = False
    dunning.settled_at = at
    dunning.save(update_fields=["is_open", "settled_at"])
    return case


def _promises_kept(dunning: Dunning) -> None:
    """Promises with a named amount that the payments since have met are kept."""
    for action in dunning.actions.filter(
        outcome=ActionOutcome.PROMISED, promise_kept__isnull=True, promised_amount__isnull=False
    ):
        if paid_since(dunning, action.done_at) >= action.promised_amount:
            action.promise_kept = True
            action.save(update_fields=["promise_kept"])


def _plan_exemption(plan: InstalmentPlan, case: Case, *, today: date) -> CollectionExemption:
    last = plan.items.order_by("-due_on").first()
    return CollectionExemption.objects.create(
        account=plan.dunning.account,
        kind=ExemptionKind.INSTALMENT_PLAN,
        reason=f"分期还款协议（{case.number}）",
        starts_at=today,
        expires_at=last.due_on + timedelta(days=1),
    )


def _plan_activate(plan: InstalmentPlan, *, case: Case, dunning: Dunning, at: datetime) -> Case:
    plan.status = PlanStatus.ACTIVE
    plan.exemption = _plan_exemption(plan, case, today=day_of(at))
    plan.save(update_fields=["status", "exemption"])
    if case.status == DunningStatus.DISCONNECTED:
        return reconnection_start_locked(case=case, dunning=dunning, at=at)
    if case.status not in STOPPABLE:
        return case
    _tasks_cancel(dunning, reason=str(_("已约定分期还款")))
    resume = case.status
    if resume in (DunningStatus.AWAITING_APPROVAL, DunningStatus.DISCONNECTION_APPROVED):
        resume = DunningStatus.NOTICE_SERVED
    case = disconnection_cancel_locked(
        case=case, dunning=dunning, reason="客户已约定分期还款并缴纳首期", at=at
    )
    case, dunning = lock_dunning(case)
    dunning.resume_status = resume
    dunning.save(update_fields=["resume_status"])
    return move(case=case, action="plan_start", actor=None, at=at)


def _plan_end(plan: InstalmentPlan, status: str, *, at: datetime) -> None:
    plan.status = status
    plan.ended_at = at
    plan.save(update_fields=["status", "ended_at"])
    if plan.exemption is not None and plan.exemption.revoked_at is None:
        plan.exemption.revoked_at = at
        plan.exemption.save(update_fields=["revoked_at"])


def _plan_after_payment(case: Case, dunning: Dunning, *, at: datetime) -> Case:
    plan = InstalmentPlan.objects.filter(
        dunning=dunning, status__in=[PlanStatus.AWAITING_FIRST, PlanStatus.ACTIVE]
    ).first()
    if plan is None:
        return case
    paid = paid_since(dunning, plan.agreed_at)
    if plan.status == PlanStatus.AWAITING_FIRST:
        first = plan.items.order_by("number").first()
        if paid >= first.amount:
            case_event_record(case=case, actor=None, action="plan_active", at=at)
            case = _plan_activate(plan, case=case, dunning=dunning, at=at)
            case, dunning = lock_dunning(case)
    if plan.status == PlanStatus.ACTIVE and (
        paid >= plan.total or account_owed(dunning.account, day=day_of(at)).total == ZERO
    ):
        _plan_end(plan, PlanStatus.COMPLETED, at=at)
        if case.status == DunningStatus.ON_PLAN:
            case = move(case=case, action="plan_complete", actor=None, at=at)
            dunning.is_open = False
            dunning.settled_at = at
            dunning.save(update_fields=["is_open", "settled_at"])
    return case


def collection_payment_received(*, account, amount: Decimal, at: datetime, reference: str) -> None:
    """A payment for ``account`` was recorded (inside its transaction). Records what the
    open collection case collected, judges promises and plans, and stops the ladder when
    nothing is overdue: settled, or a reconnection ordered after disconnection."""
    dunning = Dunning.objects.filter(account=account, is_open=True).select_related("case").first()
    if dunning is None:
        return
    # The lock order of a crew's step: its work order first, then the case.
    pending = (
        DisconnectionOrder.objects.filter(
            dunning=dunning,
            status=DisconnectionOrderStatus.APPROVED,
            work_order__isnull=False,
        )
        .select_related("work_order")
        .first()
    )
    if pending is not None:
        work_order_lock(pending.work_order)
    case, dunning = lock_dunning(dunning.case)
    if not dunning.is_open:
        return
    CollectedPayment.objects.create(
        dunning=dunning,
        strategy=dunning.strategy,
        status=case.status,
        amount=amount,
        received_at=at,
        reference=reference[:64],
    )
    case_event_record(
        case=case,
        actor=None,
        action="payment_received",
        at=at,
        data={"amount": f"{amount:.2f}", "reference": reference[:64]},
    )
    _promises_kept(dunning)
    case = _plan_after_payment(case, dunning, at=at)
    case, dunning = lock_dunning(case)
    if not dunning.is_open:
        return
    if account_owed(dunning.account, day=day_of(at)).overdue != ZERO:
        return
    if case.status == DunningStatus.DISCONNECTED:
        reconnection_start_locked(case=case, dunning=dunning, at=at)
    elif case.status in STOPPABLE:
        dunning_settle_locked(case=case, dunning=dunning, at=at, reason="payment")


@transaction.atomic
def dunning_withdraw(*, actor, case: Case, reason: str, at: datetime | None = None) -> Case:
    """A supervisor ends collection without payment (an exempt hospital, a written-off
    debt, an account in dispute), with the reason: tasks, a pending order and an unstarted
    plan are cancelled."""
    require_permission(actor, APPROVE_PERMISSION)
    case, dunning = lock_dunning(case)
    at = at or timezone.now()
    text = text_input(reason, field="reason", label=_("撤销原因"), limit=WITHDRAW_REASON_MAX_LENGTH)
    _tasks_cancel(dunning, reason=text)
    case = disconnection_cancel_locked(case=case, dunning=dunning, reason=text, at=at)
    case, dunning = lock_dunning(case)
    for plan in InstalmentPlan.objects.filter(
        dunning=dunning, status__in=[PlanStatus.AWAITING_FIRST, PlanStatus.ACTIVE]
    ):
        _plan_end(plan, PlanStatus.CANCELLED, at=at)
    case = move(case=case, action="withdraw", actor=actor, at=at, note=text)
    dunning.is_open = False
    dunning.save(update_fields=["is_open"])
    return case


# --- instalment plans -----------------------------------------------------------------------


def _schedule(instalments, *, today: date) -> list[tuple[date, Decimal]]:
    rules = policy()
    rows = []
    for index, (due_on, amount) in enumerate(instalments, start=1):
        if due_on is None:
            raise InvalidInput(
                _("请填写第 %(n)s 期的到期日。") % {"n": index},
                code="required",
                field="instalments",
            )
        value = money_validate(amount, field="instalments")
        if value <= 0:
            raise InvalidInput(
                _("第 %(n)s 期金额应大于零。") % {"n": index},
                code="invalid_amount",
                field="instalments",
            )
        rows.append((due_on, value))
    if not 2 <= len(rows) <= rules.plan_max_instalments:
        raise InvalidInput(
            _("分期应为 2 到 %(max)s 期。") % {"max": rules.plan_max_instalments},
            code="instalment_count",
            field="instalments",
        )
    dates = [due_on for due_on, _amount in rows]
    if dates != sorted(set(dates)) or len(set(dates)) != len(dates):
        raise InvalidInput(
            _("各期到期日应逐期递增，不能重复。"), code="instalment_dates", field="instalments"
        )
    first = dates[0]
    if first < today or first > today + timedelta(days=rules.plan_first_within_days):
        raise InvalidInput(
            _("第一期应在今天到 %(days)s 天内到期。") % {"days": rules.plan_first_within_days},
            code="first_instalment_date",
            field="instalments",
        )
    return rows


@transaction.atomic
def instalment_plan_agree(
    *, actor, case: Case, instalments, note: str = "", at: datetime | None = None
) -> InstalmentPlan:
    """Record a plan agreed with the customer: ``instalments`` as ``(due date, amount)``,
    together covering everything the account owes. It stops the ladder once the first
    instalment is paid; a plan that does not cover the debt is refused."""
    require_permission(actor, WORK_PERMISSION)
    case, dunning = lock_dunning(case)
    if case.status not in (*STOPPABLE, DunningStatus.DISCONNECTED):
        raise IllegalTransition(
            _("当前状态不能约定分期还款。"),
            code="plan_not_allowed",
            details={"status": case.status},
        )
    if InstalmentPlan.objects.filter(
        dunning=dunning, status__in=[PlanStatus.AWAITING_FIRST, PlanStatus.ACTIVE]
    ).exists():
        raise IllegalTransition(
            _("该户已有分期还款协议；如需变更，请先取消原协议。"), code="plan_exists"
        )
    at = at or timezone.now()
    today = day_of(at)
    rows = _schedule(instalments, today=today)
    total = sum((amount for _due, amount in rows), ZERO)
    debt = account_owed(dunning.account, day=today).total
    if total < debt:
        raise InvalidInput(
            _("分期总额 %(total)s 元少于欠费 %(debt)s 元：协议须覆盖全部欠费，请调整各期金额。")
            % {"total": f"{total:.2f}", "debt": f"{debt:.2f}"},
            code="plan_does_not_cover_debt",
            field="instalments",
        )
    text = text_input(
        note, field="note", label=_("说明"), limit=PLAN_NOTE_MAX_LENGTH, required=False
    )
    plan = InstalmentPlan.objects.create(
        dunning=dunning, total=total, debt=debt, agreed_at=at, agreed_by=actor, note=text
    )
    Instalment.objects.bulk_create(
        Instalment(plan=plan, number=number, due_on=due_on, amount=amount)
        for number, (due_on, amount) in enumerate(rows, start=1)
    )
    case_event_record(
        case=case,
        actor=actor,
        action="plan_agreed",
        at=at,
        note=text,
        data={
            "total": f"{total:.2f}",
            "instalments": len(rows),
            "first_due": rows[0][0].isoformat(),
        },
    )
    return plan


def plan_review_locked(*, case: Case, dunning: Dunning, today: date, at: datetime) -> str:
    """The nightly check of a plan: an instalment due before today and not covered by the
    payments since the plan was agreed breaks it, and the ladder resumes on its rung."""
    plan = InstalmentPlan.objects.filter(dunning=dunning, status=PlanStatus.ACTIVE).first()
    if plan is None:
        return ""
    paid = paid_since(dunning, plan.agreed_at)
    owed_so_far = (
        plan.items.filter(due_on__lt=today).aggregate(total=Sum("amount"))["total"] or ZERO
    )
    if paid >= owed_so_far:
        return ""
    _plan_end(plan, PlanStatus.BROKEN, at=at)
    case_event_record(
        case=case,
        actor=None,
        action="plan_broken",
        at=at,
        data={"due": f"{owed_so_far:.2f}", "paid": f"{paid:.2f}"},
    )
    resume = dunning.resume_status or DunningStatus.REMINDING
    case = move(case=case, action=f"resume_{resume}", actor=None, at=at)
    dunning.step_ended_on = today
    dunning.save(update_fields=["step_ended_on"])
    return "resumed"


def plans_expire_unstarted(*, today: date, at: datetime) -> int:
    """Plans whose first instalment fell due unpaid are cancelled (the ladder never
    stopped for them)."""
    expired = 0
    for plan in InstalmentPlan.objects.filter(status=PlanStatus.AWAITING_FIRST).select_related(
        "dunning__case"
    ):
        first = plan.items.order_by("number").first()
        if first is not None and first.due_on < today:
            with transaction.atomic():
                case, _dunning = lock_dunning(plan.dunning.case)
                _plan_end(plan, PlanStatus.CANCELLED, at=at)
                case_event_record(case=case, actor=None, action="plan_not_started", at=at)
            expired += 1
    return expired
