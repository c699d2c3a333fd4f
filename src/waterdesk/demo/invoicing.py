"""E-invoices in the demo city, through the invoicing services and the sandbox platform,
each step at its own moment (``demo.clock.at``):

- ``finance1`` (财务会计, Role.FINANCE) keeps the tax items and the invoices;
- an organisation's account with its title (单位, its unified social credit code, an
  e-mail for the invoices) and an issued invoice of its paid bills;
- an invoice issued three days ago and reversed yesterday (抬头开错) with its red-letter
  invoice issued;
- an invoice the platform refused (a permanent failure, with the reason, waiting for
  someone to fix the title and retry) and one that timed out an hour ago (awaiting the
  periodic retry);
- an invoice requested a few minutes ago for the next periodic run;
- every other paid bill stays on the reconciliation list (已缴未开票).

The payments of the other demo seeds ask for their invoices themselves, after the seed's
commit (``payments.hooks.payment_posted``)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from stdnum.cn import uscc

from waterdesk.customers.models import CustomerKind
from waterdesk.demo.clock import at
from waterdesk.invoicing.adapters.sandbox import sandbox_fail_next, sandbox_reset
from waterdesk.invoicing.selectors import bills_paid_without_invoice
from waterdesk.invoicing.services.invoices import invoice_issue, invoice_request, invoice_reverse
from waterdesk.invoicing.services.titles import invoice_title_save

FINANCE_USERNAME = "finance1"
DEMO_USCC_BODY = "91330102MA2H7K3Q5"


def _issued(invoice):
    return invoice_issue(invoice_id=invoice.pk)


def seed_invoicing(*, staff: dict, now: datetime) -> dict:
    """Seed the invoices described in the module docstring; returns what was made (numbers
    by state) for the summary. Needs at least five accounts with paid bills and no invoice;
    with fewer it makes what it can."""
    finance = staff[FINANCE_USERNAME]
    sandbox_reset()
    by_account = defaultdict(list)
    for row in bills_paid_without_invoice():
        by_account[row.account].append(row.bill)
    accounts = sorted(
        by_account,
        key=lambda account: (account.customer.kind != CustomerKind.ORGANISATION, account.number),
    )
    made: dict[str, str] = {"finance": FINANCE_USERNAME}
    if not accounts:
        return made
    organisation = accounts.pop(0)
    tax_id = organisation.customer.id_number
    if organisation.customer.kind != CustomerKind.ORGANISATION or not uscc.is_valid(tax_id):
        tax_id = DEMO_USCC_BODY + uscc.calc_check_digit(DEMO_USCC_BODY)
    with at(now - timedelta(days=4)):
        invoice_title_save(
            actor=finance,
            account=organisation,
            kind="organisation",
            name=organisation.customer.name,
            tax_id=tax_id,
            address=organisation.premise.address,
            phone="0571-87000000",
            email="finance@example.com",
        )
    with at(now - timedelta(days=3, hours=2)):
        invoice = invoice_request(
            actor=finance, account=organisation, bills=by_account[organisation]
        )
        made["issued"] = _issued(invoice).number
    steps = [
        ("reversed", timedelta(days=3)),
        ("failed_permanent", timedelta(days=1)),
        ("failed_temporary", timedelta(hours=1)),
        ("requested", timedelta(minutes=5)),
    ]
    for (name, ago), account in zip(steps, accounts, strict=False):
        bills = by_account[account][-1:]  # the latest paid bill; the older stay on the list
        with at(now - ago):
            if name == "failed_permanent":
                sandbox_fail_next(1, permanent=True, reason="购买方名称与纳税人识别号不一致")
            elif name == "failed_temporary":
                sandbox_fail_next(1, reason="税务平台响应超时")
            invoice = invoice_request(
                actor=finance, account=account, bills=bills, issue_now=name != "requested"
            )
            if name != "requested":
                invoice = _issued(invoice)
        if name == "reversed":
            with at(now - timedelta(days=1)):
                red = invoice_reverse(
                    actor=finance, invoice=invoice, reason="抬头开错，客户要求开具单位抬头"
                )
                _issued(red)
        made[name] = invoice.number
    sandbox_reset()
    return made
