"""A small service desk with one object of each kind, reached through the services: what
the role × URL matrix and the API fuzzing request (tests/test_security_url_matrix.py,
tests/test_api_fuzz.py). Call it at ``test_billing_run_support.NOW``."""

from dataclasses import dataclass
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile

from tests import test_billing_run_support as support
from tests.factories import (
    CustomerFactory,
    SupplyZoneFactory,
    meter_read,
    registered_new_connection,
)
from tests.test_applications_transfer import make_account
from waterdesk.applications.transfer import ownership_transfer_register
from waterdesk.applications.usage_change import usage_change_register
from waterdesk.billing.models import Bill, BillRun, MeterRead
from waterdesk.cases.models import Attachment, Case
from waterdesk.cases.services import attachment_add
from waterdesk.customers.models import Account, Customer

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@dataclass(frozen=True)
class DeskWorld:
    customer: Customer
    case: Case  # a registered new connection with one attachment
    attachment: Attachment
    transfer: Case  # a registered ownership transfer
    transfer_account: Account
    change: Case  # a registered usage change
    change_account: Account
    account: Account  # billed for January
    first_read: MeterRead
    run: BillRun
    bill: Bill


def desk_world(*, clerk, billing_clerk, cycles, capture) -> DeskWorld:
    customer = CustomerFactory(name="王芳")
    case = registered_new_connection(
        clerk,
        customer=customer,
        premise_address="城南区人民路8号",
        zone=SupplyZoneFactory(code="south", name="城南片区"),
    )
    attachment = attachment_add(
        actor=clerk,
        case=case,
        uploaded_file=SimpleUploadedFile("plan.pdf", PDF, content_type="application/pdf"),
    )
    transfer_account = make_account(customer=CustomerFactory(name="赵强"))
    transfer = ownership_transfer_register(
        actor=clerk,
        account=transfer_account,
        channel="counter",
        contact_name="钱多",
        contact_phone="13900139000",
        new_customer=CustomerFactory(name="钱多"),
        materials_received=["id_card", "property_certificate"],
    )
    change_account = make_account(customer=CustomerFactory(name="孙丽"))
    change = usage_change_register(
        actor=clerk,
        account=change_account,
        channel="counter",
        contact_name="孙丽",
        contact_phone="13700137000",
        requested_usage="non_residential",
        materials_received=["business_licence"],
    )
    account = support.account_with_meter()
    first_read = meter_read(billing_clerk, account, date(2026, 1, 31), "20")
    run = support.run_cycle(billing_clerk, cycles[1], capture)
    return DeskWorld(
        customer=customer,
        case=case,
        attachment=attachment,
        transfer=transfer,
        transfer_account=transfer_account,
        change=change,
        change_account=change_account,
        account=account,
        first_read=first_read,
        run=run,
        bill=Bill.objects.get(account=account),
    )
