"""Collection in the demo city (issue 11): accounts whose old debts were carried over from
the previous system, each walked up the dunning ladder through the same services as the
nightly run, the collector and the supervisor, one day at a time with the clock pinned —
reminded; calling (a call due today, one overdue); visiting; the written notice served
(delivered with its period running, and one whose period has run after a refused order);
an order awaiting approval; an approved order with its crew; disconnected; reconnecting
(one overdue at the top of the supervisor's list); on an instalment plan; settled after a
kept promise; withdrawn for a hospital; and a broken promise that moved the case on to a
door visit. ``collector1`` owns the cases but one reminder left in the team queue;
``collsup1`` approves, refuses, withdraws. The classification of today's night runs last.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as day_time
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from waterdesk.billing.selectors.ledger import account_balance
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.cases.models import Case
from waterdesk.cases.services import case_claim
from waterdesk.collection.classify import collection_classify
from waterdesk.collection.models import (
    ActionStatus,
    CollectionAction,
    CollectionPolicy,
    CollectionStrategy,
    Dunning,
)
from waterdesk.collection.services.common import account_owed
from waterdesk.collection.services.disconnection import (
    disconnection_approve,
    disconnection_refuse,
)
from waterdesk.collection.services.exemptions import collection_exemption_add
from waterdesk.collection.services.ladder import (
    collection_action_record,
    dunning_open,
    dunning_review,
)
from waterdesk.collection.services.payments import dunning_withdraw, instalment_plan_agree
from waterdesk.collection.workflow import DISCONNECTION_PURPOSE
from waterdesk.core.models import Department
from waterdesk.core.timeutil import LOCAL_TZ, local
from waterdesk.customers.models import Account, AccountStatus, CustomerKind
from waterdesk.demo.clock import at
from waterdesk.fieldwork import services as fw
from waterdesk.fieldwork.models import WorkOrder
from waterdesk.payments.services.record import payment_record

CARRIED_OVER = "旧系统欠费转入"
# Whether the crew's finish takes the purpose's own fields (the reading and the seal).


def _photo(name: str) -> SimpleUploadedFile:
    """A phone's photo of a front door (PNG)."""
    image = Image.new("RGB", (160, 120), (200, 190, 170))
    pen = ImageDraw.Draw(image)
    pen.rectangle([50, 20, 110, 118], outline="black", width=3)
    pen.ellipse([96, 66, 102, 72], fill="black")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@dataclass
class Walk:
    """One account's way up the ladder: its old debt fell due ``age`` days before the case
    opened ``start`` days before today; ``steps`` are (moment, what happens) in between the
    nightly reviews."""

    name: str
    debt: str
    start: int
    steps: list[tuple[datetime, Callable]] = field(default_factory=list)
    age: int = 60
    claim: bool = True
    organisation: bool = False


class CollectionDesk:
    def __init__(self, *, staff: dict, crews: list, now: datetime) -> None:
        self.now = now
        self.today = local(now).date()
        self.collector = staff["collector1"]
        self.supervisor = staff["collsup1"]
        self.billing = staff["billing1"]
        self.crews = crews
        self.members = {crew.pk: crew.members.order_by("pk").first().user for crew in crews}
        self.intensive = CollectionStrategy.objects.get(code="intensive")
        self.cases: dict[str, Case] = {}
        self.receipts = 0
        self.accounts = self._accounts()

    def _accounts(self) -> dict[bool, list[Account]]:
        """Accounts that owe nothing today, people's and organisations', the last opened
        first (the repairs use the first ones)."""
        found: dict[bool, list[Account]] = {False: [], True: []}
        for account in (
            Account.objects.filter(status=AccountStatus.ACTIVE)
            .select_related("customer")
            .order_by("-pk")
        ):
            is_organisation = account.customer.kind == CustomerKind.ORGANISATION
            if len(found[is_organisation]) < 16 and account_balance(account) == 0:
                found[is_organisation].append(account)
            if all(len(accounts) >= 16 for accounts in found.values()):
                break
        return found

    # --- the clock ---------------------------------------------------------------------

    def moment(self, days_ago: int, hour: int, minute: int = 0) -> datetime:
        """``days_ago`` days before today at ``hour``; today's never later than now."""
        day = self.today - timedelta(days=days_ago)
        when = datetime.combine(day, day_time(hour, minute), tzinfo=LOCAL_TZ)
        return min(when, self.now - timedelta(minutes=20)) if days_ago == 0 else when

    # --- what people and the system do ----------------------------------------------------

    def _task(self, case: Case) -> CollectionAction:
        return CollectionAction.objects.get(dunning_id=case.pk, status=ActionStatus.OPEN)

    def outcome(self, outcome: str, *, photo: bool = False, note: str = "") -> Callable:
        def step(case: Case, when: datetime) -> None:
            collection_action_record(
                actor=self.collector, action=self._task(case), outcome=outcome, note=note,
                photo=_photo(f"{case.number}.png") if photo else None,
            )  # fmt: skip

        return step

    def promise(self, days_ahead: int, amount: str | None = None, note: str = "") -> Callable:
        def step(case: Case, when: datetime) -> None:
            collection_action_record(
                actor=self.collector, action=self._task(case), outcome="promised",
                promised_on=local(when).date() + timedelta(days=days_ahead),
                promised_amount=amount, note=note,
            )  # fmt: skip

        return step

    def pay(self, amount: str | None = None) -> Callable:
        """The customer pays at the counter (everything owed when ``amount`` is None)."""

        def step(case: Case, when: datetime) -> None:
            account = Dunning.objects.select_related("account").get(pk=case.pk).account
            self.receipts += 1
            payment_record(
                account=account,
                amount=Decimal(amount) if amount else account_balance(account),
                channel="counter",
                method="cash",
                source="collection-demo",
                external_id=f"CJ-DEMO-{self.receipts:03d}",
            )

        return step

    def approve(self, note: str = "已逾通知期，复核无缴费和豁免，同意停水") -> Callable:
        def step(case: Case, when: datetime) -> None:
            disconnection_approve(actor=self.supervisor, case=case, crew=self.crews[1], note=note)

        return step

    def refuse(self, reason: str) -> Callable:
        def step(case: Case, when: datetime) -> None:
            disconnection_refuse(actor=self.supervisor, case=case, reason=reason)

        return step

    def plan(self, first: str, note: str = "") -> Callable:
        """An instalment plan of three: ``first`` in three days, the rest in two parts a
        month apart."""

        def step(case: Case, when: datetime) -> None:
            account = Dunning.objects.select_related("account").get(pk=case.pk).account
            today = local(when).date()
            rest = account_owed(account, day=today).total - Decimal(first)
            second = (rest / 2).quantize(Decimal("0.01"))
            instalment_plan_agree(
                actor=self.collector,
                case=case,
                instalments=[
                    (today + timedelta(days=3), Decimal(first)),
                    (today + timedelta(days=33), second),
                    (today + timedelta(days=63), rest - second),
                ],
                note=note,
            )

        return step

    def exempt_and_withdraw(self, reason: str) -> Callable:
        def step(case: Case, when: datetime) -> None:
            account = Dunning.objects.select_related("account").get(pk=case.pk).account
            today = local(when).date()
            collection_exemption_add(
                actor=self.supervisor, account=account, kind="hospital", reason=reason,
                starts_at=today, expires_at=today + timedelta(days=365),
            )  # fmt: skip
            dunning_withdraw(actor=self.supervisor, case=case, reason=reason)

        return step

    def cut(self, *, reading: str, seal: str) -> Callable:
        """The crew carries the disconnection order out: on site, photo, reading, seal."""

        def step(case: Case, when: datetime) -> None:
            order = WorkOrder.objects.get(case=case, purpose=DISCONNECTION_PURPOSE)
            member = self.members[order.crew_id]
            order = fw.work_order_accept(actor=member, order=order)
            order = fw.work_order_set_off(actor=member, order=order)
            order = fw.work_order_arrive(actor=member, order=order)
            fw.work_order_photo_add(actor=member, order=order, upload=_photo("seal.png"))
            fw.work_order_finish(
                actor=member, order=order, result="已关闭表前阀并加装铅封",
                site_cleaned=True, use_demonstrated=False,
                extra={"meter_reading": reading, "seal_number": seal},
            )  # fmt: skip

        return step

    # --- the walks ---------------------------------------------------------------------

    def walks(self) -> list[Walk]:
        at_ = self.moment
        return [
            # Reminded last night, still in the team queue.
            Walk("reminded", "1380.00", start=1, claim=False),
            # The call due today, and one three days overdue.
            Walk("call_due_today", "1650.00", start=5),
            Walk("call_overdue", "2100.00", start=8),
            Walk("visiting", "1240.00", start=10, steps=[(at_(6, 10), self.outcome("no_answer"))]),
            # A promise broken: its days and grace passed unpaid, the visit came next.
            Walk(
                "broken_promise",
                "1560.00",
                start=16,
                steps=[(at_(14, 10), self.promise(4, "1560.00", note="客户承诺发工资后缴清"))],
            ),
            # The notice delivered four days ago: its period runs until three days ahead.
            Walk(
                "notice_running",
                "2480.00",
                start=20,
                steps=[
                    (at_(17, 10), self.outcome("wrong_number", note="预留号码为空号")),
                    (at_(13, 15), self.outcome("refused", photo=True)),
                    (at_(4, 10), self.outcome("delivered")),
                ],
            ),
            # The period has run and the supervisor refused the order: the collector may ask
            # again once the transfer the customer mentioned is checked.
            Walk(
                "notice_run",
                "1890.00",
                start=24,
                steps=[
                    (at_(21, 10), self.outcome("no_answer")),
                    (at_(17, 16), self.outcome("not_home", photo=True)),
                    (at_(12, 11), self.outcome("posted", photo=True)),
                    (at_(4, 9), self.refuse("客户称已通过银行转账缴费，请先核实到账情况")),
                ],
            ),
            Walk(
                "awaiting_approval",
                "3120.00",
                start=22,
                steps=[
                    (at_(19, 10), self.outcome("refused")),
                    (at_(15, 14), self.outcome("refused", photo=True)),
                    (at_(8, 10), self.outcome("delivered")),
                ],
            ),
            Walk(
                "approved",
                "2760.00",
                start=23,
                steps=[
                    (at_(20, 10), self.outcome("no_answer")),
                    (at_(16, 14), self.outcome("not_home", photo=True)),
                    (at_(9, 10), self.outcome("mailed")),
                    (at_(0, 9), self.approve()),
                ],
            ),
            Walk(
                "on_plan",
                "2400.00",
                start=18,
                steps=[
                    (at_(15, 10), self.outcome("refused", note="称近期资金困难")),
                    (at_(11, 15), self.outcome("refused", photo=True, note="愿意分期缴清")),
                    (at_(11, 16), self.plan("800.00", note="客户申请分三期缴清")),
                    (at_(9, 11), self.pay("800.00")),
                ],
            ),
            Walk(
                "settled",
                "1320.00",
                start=15,
                steps=[
                    (at_(13, 10), self.promise(3, "1320.00", note="客户称三天内到营业厅缴清")),
                    (at_(11, 15), self.pay()),
                ],
            ),
            Walk(
                "withdrawn",
                "5600.00",
                start=14,
                organisation=True,
                steps=[
                    (at_(12, 10), self.outcome("refused", note="院方称需走财务审批流程")),
                    (
                        at_(2, 14),
                        self.exempt_and_withdraw("医院供水，按规定不得停水"),
                    ),
                ],
            ),
        ]

    def disconnection_walks(self) -> list[Walk]:
        """The walks that reach the crews' disconnection: they need the crew's finish to
        take the meter reading and the seal number (``extra``)."""
        at_ = self.moment
        return [
            # Cut a week ago, still owing.
            Walk(
                "disconnected",
                "2950.00",
                start=26,
                steps=[
                    (at_(24, 10), self.outcome("no_answer")),
                    (at_(20, 15), self.outcome("not_home", photo=True)),
                    (at_(16, 10), self.outcome("delivered")),
                    (at_(8, 9), self.approve()),
                    (at_(7, 14), self.cut(reading="1532.40", seal="QF-260101")),
                ],
            ),
            # Paid 30 hours ago, the 24 hours are up: first on the supervisor's list.
            Walk(
                "reconnection_overdue",
                "1780.00",
                start=28,
                steps=[
                    (at_(26, 10), self.outcome("no_answer")),
                    (at_(22, 15), self.outcome("refused", photo=True)),
                    (at_(18, 10), self.outcome("delivered")),
                    (at_(10, 9), self.approve()),
                    (at_(9, 14), self.cut(reading="868.15", seal="QF-260102")),
                    (self.now - timedelta(hours=30), self.pay()),
                ],
            ),
            # Paid three hours ago: the crew has 21 hours left.
            Walk(
                "reconnecting",
                "2230.00",
                start=27,
                steps=[
                    (at_(25, 10), self.outcome("no_answer")),
                    (at_(21, 15), self.outcome("not_home", photo=True)),
                    (at_(17, 10), self.outcome("delivered")),
                    (at_(9, 9), self.approve()),
                    (at_(8, 14), self.cut(reading="2210.00", seal="QF-260103")),
                    (self.now - timedelta(hours=3), self.pay()),
                ],
            ),
        ]

    def walk(self, walk: Walk) -> Case:
        account = self.accounts[walk.organisation].pop(0)
        with at(self.moment(walk.start + walk.age, 9)):
            ledger_post_adjustment(
                actor=self.billing, account=account, amount=walk.debt, reason=CARRIED_OVER
            )
        with at(self.moment(walk.start, 2)):
            case = dunning_open(account=account, strategy=self.intensive)
        if walk.claim:
            with at(self.moment(walk.start, 8, 30)):
                case_claim(case=case, actor=self.collector)
        steps = sorted(walk.steps, key=lambda step: step[0])
        for days_ago in range(walk.start - 1, -1, -1):
            night = self.moment(days_ago, 2)
            steps = self._steps_before(case, steps, night)
            if night < self.now:
                with at(night):
                    dunning_review(case=case, today=local(night).date(), at=night)
        self._steps_before(case, steps, self.now)
        return Case.objects.get(pk=case.pk)

    def _steps_before(self, case: Case, steps: list, limit: datetime) -> list:
        while steps and steps[0][0] < limit:
            when, step = steps.pop(0)
            with at(when):
                step(Case.objects.get(pk=case.pk), when)
        return steps

    def build(self) -> None:
        for walk in (*self.walks(), *self.disconnection_walks()):
            self.cases[walk.name] = self.walk(walk)
        # Tonight's classification as the arrears file shows it.
        with at(self.now - timedelta(minutes=1)):
            collection_classify(as_of=self.today)


def seed_collection(*, staff: dict, crews: list, now: datetime) -> dict[str, Case]:
    CollectionPolicy.objects.create(
        department=Department.objects.get(code="business"), reconnection_crew=crews[0]
    )
    desk = CollectionDesk(staff=staff, crews=crews, now=now)
    desk.build()
    return desk.cases
