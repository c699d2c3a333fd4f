"""Demo data for bank direct debit and the kiosks: mandates at two banks (one cancelled), an
ICBC batch whose result file was imported (paid, failed with the bank's reason, unknown
account), a CCB batch waiting for the bank, a kiosk at the head office with a few payments
and a partner agent. Everything goes through the services.

The devices' tokens are not printed: an administrator issues one in the admin
(支付 › 自助终端/代收点 › 重新签发令牌), shown once.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from waterdesk.billing.selectors.bills import account_fee_notice
from waterdesk.core.timeutil import local
from waterdesk.customers.models import Account
from waterdesk.demo.clock import at
from waterdesk.demo.payments_counter import OFFICE_ADDRESS, OFFICE_CODE, OFFICE_NAME
from waterdesk.payments.models import DeviceKind, Office
from waterdesk.payments.services.bank import (
    debit_batch_create,
    debit_result_import,
    mandate_cancel,
    mandate_create,
)
from waterdesk.payments.services.devices import device_create, device_pay

# (bank, bank account number) of the mandates, in the order of the owing accounts.
MANDATES = (
    ("icbc", "6222020200112233445"),
    ("icbc", "6222020200155667788"),
    ("icbc", "6222020200199001122"),
    ("ccb", "6217000010001234567"),
)
CANCELLED = ("ccb", "6217000010009876543")


def _owing(today, *, count: int) -> list[Account]:
    """The first ``count`` accounts owing items due by ``today``."""
    found = []
    for account in Account.objects.select_related("customer").order_by("number"):
        notice = account_fee_notice(account, as_of=today)
        if any(item.due <= today for item in notice.items):
            found.append(account)
            if len(found) == count:
                break
    return found


def seed_bank(*, billing_clerk, admin, now: datetime) -> None:
    signed = now - timedelta(days=40)
    debit_day = now - timedelta(days=3)
    result_day = now - timedelta(days=1)
    owing = _owing(local(debit_day).date(), count=len(MANDATES))
    if len(owing) < len(MANDATES):
        return  # a city without arrears: nothing to debit
    others = list(Account.objects.exclude(pk__in=[a.pk for a in owing]).order_by("number")[:4])
    with at(signed):
        for account, (bank, number) in zip(owing, MANDATES, strict=True):
            mandate_create(
                actor=billing_clerk,
                account=account,
                bank_code=bank,
                bank_account_number=number,
                holder_name=account.customer.name,
            )
        old = mandate_create(
            actor=billing_clerk,
            account=others[0],
            bank_code=CANCELLED[0],
            bank_account_number=CANCELLED[1],
            holder_name=others[0].customer.name,
        )
    with at(signed + timedelta(days=12)):
        mandate_cancel(actor=billing_clerk, mandate=old)
    with at(debit_day):
        icbc = debit_batch_create(
            actor=billing_clerk, bank_code="icbc", due_up_to=local(debit_day).date()
        )
    lines = list(icbc.lines.select_related("mandate").order_by("line_no"))
    outcomes = [("0000", "成功"), ("3001", "余额不足"), ("1001", "账户不存在")]
    rows = [
        f"{line.line_no},{line.mandate.bank_account_number},{line.amount:.2f},{code},{text}"
        for line, (code, text) in zip(lines, outcomes, strict=False)
    ]
    content = ("序号,银行账号,金额,结果码,结果说明\r\n" + "".join(r + "\r\n" for r in rows)).encode(
        "gbk"
    )
    with at(result_day):
        debit_result_import(
            actor=billing_clerk,
            batch=icbc,
            file_name=f"{icbc.reference}-result.csv",
            content=content,
        )
        debit_batch_create(actor=billing_clerk, bank_code="ccb", due_up_to=local(now).date())
    _seed_devices(admin=admin, accounts=others[1:], now=now)


def _seed_devices(*, admin, accounts: list[Account], now: datetime) -> None:
    office, _created = Office.objects.get_or_create(
        code=OFFICE_CODE, defaults={"name": OFFICE_NAME, "address": OFFICE_ADDRESS}
    )
    with at(now - timedelta(days=7)):
        kiosk, _key = device_create(
            actor=admin,
            code="kiosk-hq-1",
            name="总部大厅自助缴费机",
            kind=DeviceKind.KIOSK,
            office=office,
        )
        device_create(
            actor=admin, code="partner-shop-1", name="解放路便利店代收点", kind=DeviceKind.PARTNER
        )
    methods = ("cash", "card", "scan")
    for index, account in enumerate(accounts):
        moment = now - timedelta(days=2, hours=index * 3)
        with at(moment):
            device_pay(
                device=kiosk,
                account=account,
                amount=Decimal("50.00") + index * 20,
                transaction_id=f"KHQ1-{local(moment):%Y%m%d}-{index + 1:04d}",
                method=methods[index % len(methods)],
            )
