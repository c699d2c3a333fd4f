"""What the application kinds that change an existing account share — ownership transfer
(``applications.transfer``) and usage change (``applications.usage_change``): locking the case
and the account, rejection, the payment channels, the price line of a notice, a read's event
data.

Each service of those kinds locks the case (then its detail row), checks the move against
the transition table, writes, records the event, moves the SLA clocks and queues the customer
notice — all in one transaction. Billing is called explicitly: the transfer/change read
through ``meter_read_record`` (entered again the same day: ``meter_read_correct``), the old
owner's final bill through ``bill_issue_final`` (or the bill that covers the read's day
already, see ``settlement_bill``), the new tariff through ``account_tariff_set``; the
account itself changes through the customers services (``account_transfer_owner``,
``account_change_usage``), which keep its history.

Materials: the checklist of each kind is ``MaterialRequirement`` rows; rows sharing an
``alternative_group`` are alternatives (a usage change needs a business licence OR an
authority approval). Missing items produce one notice and pause the clocks, as for a new
connection.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.applications.intake import (
    notify_customer,
)
from waterdesk.applications.models import (
    NewConnectionPolicy,
)
from waterdesk.billing.models import Bill, MeterRead
from waterdesk.billing.services.bills import bill_issue_final
from waterdesk.billing.services.reading import meter_read_correct, meter_read_record
from waterdesk.cases.models import Case
from waterdesk.cases.services import (
    case_check_action,
    case_event_record,
    case_lock,
    case_transition,
)
from waterdesk.core.errors import IllegalTransition, InvalidInput
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account, AccountStatus
from waterdesk.sla import services as sla

# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.


# Texts that reach the customer (SMS, e-mail, the case record) are Chinese whatever the
# clerk's screen language: they are not translated.

ZERO = Decimal("0.00")


def today() -> date:
    return local(timezone.now()).date()


def require_kind(case: Case, kind: str) -> None:
    if case.kind != kind:
        raise IllegalTransition(details={"kind": case.kind})


def lock_case(case: Case, kind: str, action: str, actor) -> Case:
    """Lock the case, check that it is of ``kind`` and that ``actor`` may take ``action``
    now (refusing early, before any input is validated)."""
    case = case_lock(case)
    require_kind(case, kind)
    case_check_action(case=case, action=action, actor=actor)
    return case


def lock_account(account: Account | None) -> Account:
    if account is None or account.pk is None:
        raise InvalidInput(_("请输入户号查找账户。"), code="required", field="account")
    account = (
        # Only the account row is locked: it serialises the intakes of one account.
        Account.objects.select_for_update(of=("self",))
        .select_related("customer", "premise")
        .get(pk=account.pk)
    )
    if account.status == AccountStatus.CLOSED:
        raise InvalidInput(
            _("账户 %(number)s 已销户，不能办理。") % {"number": account.number},
            code="account_closed",
            field="account",
        )
    return account


def reject(*, actor, case: Case, action: str, reason: str) -> Case:
    case = case_transition(case=case, action=action, actor=actor, note=reason, assignee=None)
    sla.clocks_cancel(case=case)
    notify_customer(case, "rejected", reason=reason)
    return case


def payment_methods() -> str:
    # The utility's payment channels are kept once, on the application policy.
    return NewConnectionPolicy.current().payment_methods


def price_summary_text(rows: list[dict]) -> str:
    """The rows of ``tariff_price_summary`` in one Chinese line for SMS and e-mail, e.g.
    "第 1 阶梯 0–180 m³/年 5.00元/m³（供水价格2.07、水资源费1.57、污水处理费1.36）"."""
    parts = []
    for row in rows:
        components = "、".join(f"{price['name']}{price['price']:.2f}" for price in row["prices"])
        parts.append(f"{row['label']} {row['total_price']:.2f}元/m³（{components}）")
    return "；".join(parts)


def case_read_record(
    *,
    actor,
    account: Account,
    read_on: date,
    value,
    kind: str,
    note: str,
    default_note: str,
    earlier: MeterRead | None,
) -> tuple[MeterRead, MeterRead | None]:
    """The read a case takes (transfer read, change read): recorded, or — when the case has
    its read of that day already (``earlier``) — corrected, with ``note`` as the reason (a
    misread value is put right instead of being refused as a duplicate). Returns the read
    and, for a correction, the read as it was before."""
    if earlier is not None and earlier.read_on != read_on:
        earlier = None
    if earlier is None:
        read = meter_read_record(
            actor=actor,
            account=account,
            read_on=read_on,
            value=value,
            kind=kind,
            note=note or default_note,
        )
        return read, None
    if not note.strip():
        raise InvalidInput(
            _(
                "%(day)s已录入读数 %(value)s（%(status)s）。如需更正，请在备注中填写更正原因后"
                "重新提交。"
            )
            % {
                "day": read_on.isoformat(),
                "value": earlier.value,
                "status": earlier.get_status_display(),
            },
            code="reason_required",
            field="note",
        )
    read = meter_read_correct(actor=actor, read=earlier, value=value, reason=note)
    return read, earlier


def read_data(read, *, corrected_from=None) -> dict:
    data = {
        "read": read.pk,
        "read_on": read.read_on.isoformat(),
        "value": str(read.value),
        "consumption": None if read.consumption is None else str(read.consumption),
        "status": read.status,
    }
    if corrected_from is not None:
        data["corrected_from"] = str(corrected_from.value)
    return data


def settlement_bill(*, actor, case, account: Account, read: MeterRead) -> Bill:
    """The bill that settles ``account`` up to ``read`` (a validated transfer or change
    read), recorded on the case's timeline (``final_bill``).

    The bill closing at the read, if any; else, when a bill already reaches the read's day
    (the day's routine read was billed, or a later one), that latest bill — the read itself
    can never be billed then; else the final bill up to the read, issued now."""
    bill = Bill.objects.filter(closing_read=read).first()
    if bill is None:
        bill = (
            Bill.objects.filter(account=account, period_end__gte=read.read_on)
            .order_by("-period_end", "-pk")
            .first()
        ) or bill_issue_final(actor=actor, account=account, closing_read=read)
    data = {"bill": bill.number, "amount": str(bill.amount), "read": read.pk}
    if bill.closing_read_id != read.pk:
        data["billed_read"] = bill.closing_read_id  # the day was billed already
    case_event_record(case=case, actor=actor, action="final_bill", data=data)
    return bill
