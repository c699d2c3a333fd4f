"""The climb of the ladder: a collection case opened for an account the classification
put in arrears, each rung started as a task, the collector's outcome recorded, and the
nightly run that climbs, settles and resumes (issue 11 §2).

A rung ends when its task has an outcome (a reminder ends when it is sent, a notice when
it is delivered — its period then runs from the delivery). After a promise to pay the rung
ends when the promised day and the grace days have passed unpaid. The next rung of the
strategy's ladder starts ``wait_days`` after the end; the case's strategy follows the
nightly classification (an account whose arrears grow moves to a longer ladder and goes on
from the rung it stands on).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.models import Case, Channel
from waterdesk.cases.services import case_event_record, case_open, photo_content_type
from waterdesk.collection.models import (
    CLIMBING,
    OUTCOMES,
    AccountArrears,
    ActionOutcome,
    ActionStatus,
    ClassificationRun,
    CollectionAction,
    CollectionStrategy,
    DisconnectionNotice,
    Dunning,
    DunningStatus,
    LadderRun,
    LadderStep,
    StepKind,
)
from waterdesk.collection.models.ladder import NOTE_MAX_LENGTH
from waterdesk.collection.services.common import (
    PAY_HINT,
    ZERO,
    account_owed,
    day_of,
    exemptions_active,
    lock_dunning,
    move,
    paid_since,
    policy,
    tell_customer,
)
from waterdesk.collection.services.disconnection import disconnection_request_locked
from waterdesk.collection.services.payments import (
    dunning_settle_locked,
    plan_review_locked,
    plans_expire_unstarted,
)
from waterdesk.collection.workflow import KIND, WORK_PERMISSION
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.money import money_validate
from waterdesk.core.text import text_input

REMINDER = "collection.reminder"
NOTICE = "collection.notice"

# The move that puts a case on each rung.
CLIMB_ACTION = {
    StepKind.CALL: "climb_to_calling",
    StepKind.VISIT: "climb_to_visiting",
    StepKind.NOTICE: "climb_to_notice",
}


def ladder_of(strategy: CollectionStrategy) -> list[LadderStep]:
    """The strategy's rungs in ladder order."""
    return sorted(strategy.steps.all(), key=lambda step: step.position)


def _next_step(strategy: CollectionStrategy, current: LadderStep | None) -> LadderStep | None:
    position = -1 if current is None else current.position
    return next((step for step in ladder_of(strategy) if step.position > position), None)


def _task(dunning: Dunning, step: LadderStep, *, at: datetime, **fields) -> CollectionAction:
    return CollectionAction.objects.create(
        dunning=dunning,
        kind=step.kind,
        due_on=day_of(at) + timedelta(days=step.due_days),
        created_at=at,
        assigned_to=dunning.case.assignee,
        **fields,
    )


def _notice_number(case: Case, dunning: Dunning) -> str:
    return f"{case.number}-T{dunning.notices.count() + 1}"


def step_start(*, case: Case, dunning: Dunning, step: LadderStep, at: datetime) -> Case:
    """Put the case on ``step`` (inside the caller's transaction, case and detail locked):
    the reminder is sent at once; a call, a visit or a notice to deliver becomes a task;
    the disconnection rung asks for the order (``disconnection.disconnection_request``)."""
    if step.kind == StepKind.DISCONNECTION:
        return disconnection_request_locked(case=case, dunning=dunning, actor=None, at=at)
    if step.kind in CLIMB_ACTION:
        case = move(case=case, action=CLIMB_ACTION[step.kind], actor=None, at=at)
    dunning.step = step
    dunning.step_ended_on = None
    owed = account_owed(dunning.account, day=day_of(at))
    if step.kind == StepKind.REMINDER:
        _task(
            dunning, step, at=at, status=ActionStatus.DONE, outcome=ActionOutcome.SENT, done_at=at
        )
        dunning.step_ended_on = day_of(at)
        tell_customer(
            case=case,
            dunning=dunning,
            template=REMINDER,
            context={
                "amount": f"{owed.overdue:.2f}",
                "oldest_due": owed.oldest_due.isoformat() if owed.oldest_due else "",
                "pay_hint": PAY_HINT,
            },
            key=f"{step.pk}:{day_of(at).isoformat()}",
        )
        case_event_record(
            case=case,
            actor=None,
            action="reminder_sent",
            at=at,
            data={"amount": f"{owed.overdue:.2f}"},
        )
    elif step.kind == StepKind.NOTICE:
        notice = DisconnectionNotice.objects.create(
            dunning=dunning,
            number=_notice_number(case, dunning),
            issued_at=at,
            amount=owed.overdue,
            period_days=policy().notice_days,
        )
        _task(dunning, step, at=at)
        tell_customer(
            case=case,
            dunning=dunning,
            template=NOTICE,
            context={
                "amount": f"{owed.overdue:.2f}",
                "notice_number": notice.number,
                "period_days": notice.period_days,
            },
            key=notice.number,
        )
        case_event_record(
            case=case,
            actor=None,
            action="notice_issued",
            at=at,
            data={"notice": notice.number, "amount": f"{owed.overdue:.2f}"},
        )
    else:
        _task(dunning, step, at=at)
    dunning.save(update_fields=["step", "step_ended_on"])
    return case


@transaction.atomic
def dunning_open(*, account, strategy: CollectionStrategy, at: datetime | None = None) -> Case:
    """Open the collection case of an account in arrears (the nightly run; the system) and
    start the first rung of the strategy's ladder. Refused when the account already has an
    open case or the strategy has no ladder."""
    at = at or timezone.now()
    first = _next_step(strategy, None)
    if first is None:
        raise IllegalTransition(_("该催收策略没有设置催收步骤。"), code="strategy_without_steps")
    if Dunning.objects.filter(account=account, is_open=True).exists():
        raise IllegalTransition(_("该账户已有进行中的催收。"), code="dunning_open_already")
    owed = account_owed(account, day=day_of(at))
    customer = account.customer
    if first.kind == StepKind.DISCONNECTION:  # a ladder of one rung still needs a notice
        raise IllegalTransition(_("催收步骤须先有停水通知。"), code="strategy_without_notice")
    case = case_open(
        actor=None,
        kind=KIND,
        status=DunningStatus.REMINDING,
        channel=Channel.SYSTEM,
        contact_name=customer.name,
        contact_phone=customer.mobile,
        customer=customer,
        premise=account.premise,
        department=policy().department,
        summary=str(_("户号 %(account)s 逾期欠费 %(amount)s 元"))
        % {"account": account.number, "amount": f"{owed.overdue:.2f}"},
        opened_at=at,
    )
    dunning = Dunning.objects.create(
        case=case, account=account, strategy=strategy, opened_amount=owed.overdue
    )
    return step_start(case=case, dunning=dunning, step=first, at=at)


def _check_outcome(action: CollectionAction, outcome: str) -> None:
    allowed = OUTCOMES.get(action.kind, ())
    if outcome not in allowed:
        raise InvalidInput(
            _("请选择本次%(kind)s的结果。") % {"kind": action.get_kind_display()},
            code="invalid_outcome",
            field="outcome",
        )


def _promise(
    *, outcome: str, promised_on, promised_amount, today: date
) -> tuple[date | None, Decimal | None]:
    if outcome != ActionOutcome.PROMISED:
        if promised_on or promised_amount:
            raise InvalidInput(
                _("只有“承诺缴费”需要填写承诺缴费日和金额。"),
                code="promise_not_allowed",
                field="promised_on",
            )
        return None, None
    if promised_on is None:
        raise InvalidInput(
            _("请填写客户承诺的缴费日期。"), code="promise_date_required", field="promised_on"
        )
    limit = policy().promise_max_days
    if promised_on < today or promised_on > today + timedelta(days=limit):
        raise InvalidInput(
            _("承诺缴费日应在今天到 %(limit)s 天内；更长时间请与客户商定分期还款。")
            % {"limit": limit},
            code="promise_date_out_of_range",
            field="promised_on",
        )
    amount = None
    if promised_amount not in (None, ""):
        amount = money_validate(promised_amount, field="promised_amount")
        if amount <= 0:
            raise InvalidInput(
                _("承诺金额应大于零，或留空（表示全部欠费）。"),
                code="invalid_amount",
                field="promised_amount",
            )
    return promised_on, amount


def _photo_required(action: CollectionAction, outcome: str) -> bool:
    return action.kind == StepKind.VISIT or outcome == ActionOutcome.POSTED


@transaction.atomic
def collection_action_record(
    *,
    actor,
    action: CollectionAction,
    outcome: str,
    promised_on: date | None = None,
    promised_amount=None,
    note: str = "",
    photo=None,
    at: datetime | None = None,
) -> CollectionAction:
    """The collector's outcome of a call, a visit or a notice's delivery. A visit (and a
    notice posted on the door) needs a photo; a promise needs its date (at most the policy's
    days ahead). The rung then ends (after a promise: when the promise is broken)."""
    require_permission(actor, WORK_PERMISSION)
    case, dunning = lock_dunning(action.dunning.case)
    action = CollectionAction.objects.select_for_update().get(pk=action.pk)
    if action.status != ActionStatus.OPEN:
        raise IllegalTransition(_("该任务已办理或已取消，请刷新任务列表。"), code="task_closed")
    _check_outcome(action, outcome)
    at = at or timezone.now()
    today = day_of(at)
    promised_on, promised_amount = _promise(
        outcome=outcome, promised_on=promised_on, promised_amount=promised_amount, today=today
    )
    text = text_input(note, field="note", label=_("说明"), limit=NOTE_MAX_LENGTH, required=False)
    if _photo_required(action, outcome) and photo is None:
        raise InvalidInput(
            _("请拍摄现场照片后再提交（上门催缴和张贴送达须留照片）。"),
            code="photo_required",
            field="photo",
        )
    if photo is not None:
        action.photo_content_type = photo_content_type(photo)
        action.photo.save(photo.name or "photo", photo, save=False)
    action.status = ActionStatus.DONE
    action.outcome = outcome
    action.promised_on = promised_on
    action.promised_amount = promised_amount
    action.note = text
    action.done_at = at
    action.done_by = actor
    action.save()
    grace = timedelta(days=policy().promise_grace_days)
    if outcome == ActionOutcome.PROMISED:
        dunning.step_ended_on = promised_on + grace
    elif outcome == ActionOutcome.PAID:  # the payment is on its way: give it the grace days
        dunning.step_ended_on = today + grace
    elif action.kind == StepKind.NOTICE:
        notice = dunning.notices.filter(delivered_at__isnull=True).order_by("-pk").first()
        if notice is not None:
            notice.delivered_at = at
            notice.delivery = outcome
            notice.delivered_by = actor
            notice.ends_on = today + timedelta(days=notice.period_days)
            notice.save(update_fields=["delivered_at", "delivery", "delivered_by", "ends_on"])
            dunning.step_ended_on = notice.ends_on
    else:
        dunning.step_ended_on = today
    dunning.save(update_fields=["step_ended_on"])
    data = {"task": action.kind, "outcome": outcome}
    if promised_on:
        data["promised_on"] = promised_on.isoformat()
    if promised_amount is not None:
        data["promised_amount"] = f"{promised_amount:.2f}"
    case_event_record(case=case, actor=actor, action="task_done", note=text, at=at, data=data)
    return action


# --- the nightly run ------------------------------------------------------------------------


def _promise_review(dunning: Dunning, *, today: date) -> None:
    """Promises whose day and grace have passed: kept when the account has paid what was
    promised since the promise (all of the overdue debt when no amount was named)."""
    grace = timedelta(days=policy().promise_grace_days)
    for action in dunning.actions.filter(
        outcome=ActionOutcome.PROMISED, promise_kept__isnull=True, promised_on__lt=today - grace
    ):
        if action.promised_amount is None:
            kept = account_owed(dunning.account, day=today).overdue == ZERO
        else:
            kept = paid_since(dunning, action.done_at) >= action.promised_amount
        action.promise_kept = kept
        action.save(update_fields=["promise_kept"])
        if not kept:
            case_event_record(
                case=dunning.case,
                actor=None,
                action="promise_broken",
                data={"promised_on": action.promised_on.isoformat()},
            )


def _strategy_follow(case: Case, dunning: Dunning) -> None:
    """The case follows the latest classification of its account."""
    arrears = AccountArrears.objects.filter(account_id=dunning.account_id).first()
    if arrears is None or arrears.strategy_id in (None, dunning.strategy_id):
        return
    previous = dunning.strategy
    dunning.strategy = arrears.strategy
    dunning.save(update_fields=["strategy"])
    case_event_record(
        case=case,
        actor=None,
        action="strategy_changed",
        data={"from": previous.name, "to": arrears.strategy.name},
    )


def _climb_due(dunning: Dunning, *, today: date) -> LadderStep | None:
    """The rung to start today, if the current one has ended long enough ago."""
    if dunning.step_ended_on is None or dunning.actions.filter(status=ActionStatus.OPEN).exists():
        return None
    following = _next_step(dunning.strategy, dunning.step)
    if following is None:
        return None
    if today < dunning.step_ended_on + timedelta(days=following.wait_days):
        return None
    if following.kind == StepKind.DISCONNECTION:
        # Asked for once per delivered notice: after a refusal only a person asks again.
        notice = dunning.notices.order_by("-pk").first()
        if notice is None or notice.ends_on is None or notice.orders.exists():
            return None
    return following


@transaction.atomic
def dunning_review(*, case: Case, today: date, at: datetime) -> str:
    """One case in the nightly run: settle it when nothing is overdue any more, judge its
    promises, follow the classification, end a broken plan, climb to the next rung when it
    is due. Returns what was done ("settled", "climbed", "resumed", "")."""
    case, dunning = lock_dunning(case)
    if not dunning.is_open:
        return ""
    if case.status in (DunningStatus.DISCONNECTED, DunningStatus.RECONNECTING):
        return ""
    owed = account_owed(dunning.account, day=today)
    if owed.overdue == ZERO and case.status != DunningStatus.ON_PLAN:
        dunning_settle_locked(case=case, dunning=dunning, at=at, reason="review")
        return "settled"
    _promise_review(dunning, today=today)
    if case.status == DunningStatus.ON_PLAN:
        return plan_review_locked(case=case, dunning=dunning, today=today, at=at)
    if case.status not in CLIMBING or exemptions_active(dunning.account, day=today):
        return ""
    _strategy_follow(case, dunning)
    following = _climb_due(dunning, today=today)
    if following is None:
        return ""
    step_start(case=case, dunning=dunning, step=following, at=at)
    return "climbed"


def collection_ladder_run_once(*, today: date) -> dict[str, int] | None:
    """The nightly job: run the ladder for ``today`` once, after ``today``'s classification
    has finished (beat sends it every hour); None when there was nothing to do."""
    if not ClassificationRun.objects.filter(as_of=today, finished_at__isnull=False).exists():
        return None
    with transaction.atomic():
        run, _created = LadderRun.objects.get_or_create(
            day=today, defaults={"started_at": timezone.now()}
        )
        run = LadderRun.objects.select_for_update().get(pk=run.pk)
        if run.finished_at is not None:
            return None
        run.started_at = timezone.now()
        counts = collection_ladder_run(today=today, at=run.started_at)
        run.finished_at = timezone.now()
        run.counts = counts
        run.save()
    return counts


def collection_ladder_run(*, today: date, at: datetime | None = None) -> dict[str, int]:
    """The nightly run after the classification: open a case for every account in arrears
    with a strategy and no exemption, then review every open case (one transaction each:
    one case's trouble does not hold up the others). Safe to run twice a day."""
    at = at or timezone.now()
    counts = {"opened": 0, "settled": 0, "climbed": 0, "resumed": 0, "completed": 0}
    open_accounts = Dunning.objects.filter(is_open=True).values("account_id")
    # The strategies with a ladder (one without steps opens nothing).
    laddered = LadderStep.objects.values("strategy_id")
    to_open = (
        AccountArrears.objects.filter(strategy_id__in=laddered, is_exempt=False)
        .exclude(account_id__in=open_accounts)
        .select_related("account__customer", "account__premise", "strategy")
    )
    for arrears in to_open:
        dunning_open(account=arrears.account, strategy=arrears.strategy, at=at)
        counts["opened"] += 1
    plans_expire_unstarted(today=today, at=at)
    for case in Case.objects.filter(kind=KIND, closed_at__isnull=True).order_by("pk"):
        done = dunning_review(case=case, today=today, at=at)
        if done:
            counts[done] += 1
    return counts
