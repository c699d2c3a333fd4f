"""The role × URL matrix: every URL pattern of the pages and the API, requested as anonymous
and as every role with real objects, against one table of who may use it.

A role that may use a URL gets the row's status (for a POST with an empty body that is the
validation answer, so nothing is written); every other role is refused — anonymous with a
redirect to the login page (pages) or 401 (API), staff with 403, or 404 where the object is
outside what the role may see (403 where it is a case of the role's own department). A URL
pattern without a row fails the test: a new page or endpoint must say who may use it. The
Django admin has its own permission checks and its own tests (tests/test_security_admin.py,
tests/test_cases_evidence.py).
"""

from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from tests import complaints_support
from tests import test_billing_run_support as support
from tests.clients import KeyedAPIClient
from tests.factories import AccountFactory, PremiseFactory, SupplyZoneFactory, UserFactory
from tests.fieldwork_support import fieldwork_world, heard
from tests.payments_counter_support import counter_world
from tests.surveys_support import survey_world
from tests.worlds import desk_world
from waterdesk.applications.transfer import ownership_transfer_verify
from waterdesk.billing.models import ReadImport
from waterdesk.billing.services.reading import read_import_csv
from waterdesk.collection.models import CollectionAction, CollectionPolicy, CollectionStrategy
from waterdesk.collection.services.ladder import dunning_open
from waterdesk.complaints.models import ReportEvidence
from waterdesk.complaints.services.handling import complaint_acknowledge
from waterdesk.complaints.services.praise import praise_register, praise_withdraw
from waterdesk.complaints.services.report import whistleblower_report_register
from waterdesk.core.roles import Role
from waterdesk.emergency.models import EmergencyPlan
from waterdesk.emergency.selectors_plans import plan_current_version
from waterdesk.emergency.services.drills import TimingInput, drill_plan, drill_record_held
from waterdesk.emergency.services.incident_open import incident_open
from waterdesk.emergency.services.measures import measure_add
from waterdesk.inquiries.models import InquiryCategory
from waterdesk.inquiries.services import inquiry_register
from waterdesk.payments.models import (
    BankMandate,
    BankResultImport,
    DebitBatch,
    PaymentException,
    Refund,
)
from waterdesk.payments.services.gateways import payment_order_create, statement_import
from waterdesk.repairs.models import FaultType
from waterdesk.repairs.services.intake import repair_report

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("pinned_now", "beijing")]

beijing = support.beijing
cycles = support.cycles
pinned_now = support.pinned_now
__all__ = ["heard"]

ANONYMOUS = "anonymous"
ROLE_OF = {
    "clerk": Role.INTAKE_CLERK,
    "surveyor": Role.SURVEYOR,
    "reviewer": Role.REVIEWER,
    "approver": Role.APPROVER,
    "supervisor": Role.SUPERVISOR,
    "reader": Role.METER_READER,
    "billing": Role.BILLING_CLERK,
    "cashier": Role.CASHIER,
    "dispatcher": Role.DISPATCHER,
    "hotline": Role.HOTLINE_AGENT,
    "crew": Role.CREW_MEMBER,  # a member of the crew of the world's work order
    "collector": Role.COLLECTOR,  # of the department that works the world's collection case
    "collsup": Role.COLLECTION_SUPERVISOR,
    "administrator": Role.ADMINISTRATOR,
    "outsider": None,  # logged in, no role
}
STAFF = frozenset(ROLE_OF)
EVERYONE = STAFF | {ANONYMOUS}

# Roles by what they do (the table below reads better with names).
DESK = frozenset({"clerk", "surveyor", "reviewer", "approver", "supervisor", "reader", "billing"})
# The collection department: collectors work the tasks, the supervisor also approves
# disconnections and sends the crews that carry them out (fieldwork.dispatch_workorder).
COLLECTION = frozenset({"collector", "collsup"})
COLLECTION_SUPERVISOR = frozenset({"collsup"})
CUSTOMER_VIEWERS = frozenset(
    {
        "dispatcher",
        "hotline",
        "clerk",
        "surveyor",
        "reviewer",
        "approver",
        "supervisor",
        "billing",
        "cashier",
        "administrator",
        "collector",  # calls and visits the account holder
        "collsup",
    }
)
REVEALERS = frozenset({"clerk", "surveyor", "reviewer", "approver", "supervisor", "billing"})
READ_ENTRY = frozenset({"reader", "billing"})
BILLING_OFFICE = frozenset({"billing"})
BILLING_VIEWERS = frozenset({"billing", "administrator"})
# A bill and the account statement: the billing office, the counter printing copies, and
# the collectors showing the customer what is owed.
BILL_READERS = BILLING_VIEWERS | {"clerk", "supervisor", "cashier"} | COLLECTION
# An account's ledger and balance: the billing office, and the collectors (the debt).
LEDGER_READERS = BILLING_VIEWERS | COLLECTION
# Case pages: the department's desk roles of the kind, and supervisors and administrators.
CASE_VIEWERS = frozenset(
    {"clerk", "surveyor", "reviewer", "approver", "supervisor", "administrator"}
)
# Payments: the counter's cashiers; who reads payments and receipts; the cash-office report.
CASHIERS = frozenset({"cashier"})
PAYMENT_VIEWERS = frozenset({"cashier", "supervisor", "billing", "administrator"})
CASH_REPORT = frozenset({"supervisor", "billing"})
# The intake receipt: the clerks of the kind, and those who see every case.
RECEIPT = frozenset({"clerk", "supervisor", "administrator"})
# A work order: its crew works it; dispatchers, supervisors and the collection supervisor
# (who sends the disconnection and reconnection crews) read it.
WORK_ORDER_READERS = frozenset({"crew", "dispatcher", "supervisor", "collsup"})
# The crews and their roster: the dispatchers, and the collection supervisor through the
# same permission (fieldwork.dispatch_workorder).
CREW_DISPATCHERS = frozenset({"dispatcher", "collsup"})
# The emergency plans, drills and measures: emergency.view_emergencyplan.
PLAN_READERS = frozenset({"supervisor", "hotline", "dispatcher", "administrator"})
# Water quality: read with quality.view_quality (supervisors here); the lab's actions are
# the analysts' (quality.enter_results), a role the matrix does not have.
QUALITY_READERS = frozenset({"supervisor"})
# E-invoices (invoicing/roles.py): read by the billing office, the counter and supervisors;
# issued by the billing office and the counter; reversed by the billing office. The tax
# items are kept by the finance office (财务会计, a role the matrix does not have).
INVOICE_READERS = frozenset({"billing", "cashier", "supervisor"})
INVOICE_ISSUERS = frozenset({"billing", "cashier"})
# The finance index lists the finance reports a role may read: the prepayment balances and
# the metering differences for the billing office; those and the invoice report for
# supervisors.
FINANCE_REPORT_READERS = frozenset({"billing", "supervisor"})
# Master/sub and shared meters (metering/roles.py): kept by the billing office, read by
# supervisors (and the finance office).
METERING_VIEWERS = frozenset({"billing", "supervisor"})
# Remote-read meters (amr/roles.py): seen by the reading roles, the collection department,
# supervisors and administrators; the reading roles make billing reads and work the
# alarms; the collection supervisor approves valve commands (a second person).
AMR_VIEWERS = READ_ENTRY | COLLECTION | {"supervisor", "administrator"}


@dataclass(frozen=True)
class Row:
    """Who may use one URL pattern and what they get."""

    method: str
    target: str | None  # which object fills the pattern's id (see ``world``), if any
    allowed: frozenset
    status: int  # what an allowed role gets
    data: dict = field(default_factory=dict)
    format: str = "json"  # of an API POST body: json or multipart
    # Roles that may use the URL but meet the object outside their scope (404), e.g. a
    # meter reader asking for another reader's import.
    not_found: frozenset = frozenset()
    # Roles that may use the URL but meet a case of their own department outside their
    # scope (403 ``case_not_in_scope``: they may know it exists), e.g. a meter reader
    # asking for a new-connection case. A case of another department is 404.
    not_in_scope: frozenset = frozenset()


def action(kind: str, *roles: str, status: int = 400) -> Row:
    return Row("post", kind, frozenset(roles), status)


TABLE: dict[str, Row] = {
    # --- shell and login ---
    "root": Row("get", None, EVERYONE, 302),
    "login": Row("get", None, EVERYONE, 200),
    "logout": Row("post", None, EVERYONE, 302),
    "set_language": Row("post", None, EVERYONE, 302, {"language": "en"}),
    # --- workbench ---
    # Dispatchers register repairs (cases.register_case): they have a queue; the collection
    # department works collection cases.
    "workbench:queue": Row(
        "get", None, DESK | COLLECTION | {"administrator", "dispatcher", "hotline"}, 200
    ),
    "workbench:home": Row("get", None, STAFF, 302),
    "workbench:intake": Row("get", None, frozenset({"clerk"}), 200),
    "workbench:intake_transfer": Row("get", None, frozenset({"clerk"}), 200),
    "workbench:intake_usage_change": Row("get", None, frozenset({"clerk"}), 200),
    "workbench:intake_inquiry": Row("get", None, frozenset({"clerk"}), 200),
    # Praise: taken by whoever takes complaints (tests/test_praise.py).
    "workbench:intake_praise": Row("get", None, frozenset({"clerk", "hotline"}), 200),
    # Whistleblower reports: the counter and the hotline take them; only supervisors open
    # the reporter's identity (everyone else refused, and the attempt logged).
    "workbench:intake_report": Row("get", None, frozenset({"clerk", "hotline"}), 200),
    "workbench:report_identity": Row("post", "report", frozenset({"supervisor"}), 400),
    "workbench:report_evidence": Row(
        "get", "report_evidence", frozenset({"clerk", "supervisor", "administrator"}), 200
    ),
    # Repairs: the counter takes reports too (hotline agents and dispatchers: see
    # tests/test_repairs_pages.py); a caller's phone is revealed with a reason (empty: 400).
    "workbench:intake_repair": Row("get", None, frozenset({"clerk", "dispatcher", "hotline"}), 200),
    # The incidents and outages at the caller's place (tests/test_emergency_hotline.py).
    "workbench:intake_repair_news": Row(
        "get", None, frozenset({"clerk", "dispatcher", "hotline"}), 200
    ),
    "workbench:repair_contact_reveal": Row(
        "post", "repair_caller", frozenset({"clerk", "supervisor"}), 400
    ),
    "workbench:account_lookup": Row("get", None, frozenset({"clerk"}), 200),
    "workbench:customers": Row("get", None, CUSTOMER_VIEWERS, 200),
    "workbench:customer_search": Row("get", None, CUSTOMER_VIEWERS, 200),
    "workbench:customer": Row("get", "customer", CUSTOMER_VIEWERS, 200),
    # Whoever registers some kind (supervisors open incidents).
    "workbench:customer_pick": Row(
        "get", "customer", frozenset({"clerk", "dispatcher", "hotline", "supervisor"}), 200
    ),
    "workbench:case": Row("get", "case", CASE_VIEWERS, 200),
    "workbench:case_action": Row("post", "case_action", frozenset({"clerk"}), 400),
    "workbench:attachment_add": Row("post", "case", frozenset({"clerk", "surveyor"}), 400),
    "workbench:attachment": Row("get", "attachment", CASE_VIEWERS, 200),
    "workbench:attachment_withdraw": Row(
        "post", "attachment", frozenset({"clerk", "supervisor"}), 400
    ),
    "workbench:document": Row("get", "receipt", RECEIPT, 200),
    "workbench:supervisor": Row("get", None, frozenset({"supervisor", "administrator"}), 200),
    "workbench:workload": Row("get", None, frozenset({"supervisor", "administrator"}), 200),
    "workbench:workload_assign": Row("post", None, frozenset({"supervisor", "administrator"}), 400),
    "workbench:claim": Row("post", "case", frozenset({"clerk"}), 302),
    "workbench:assign": Row("post", "case", frozenset({"supervisor", "administrator"}), 400),
    "workbench:privacy_reveal": Row("post", None, STAFF, 400),
    "workbench:access_log": Row("get", None, frozenset({"supervisor", "administrator"}), 200),
    # The dispatcher's board: dispatchers, and those who see every case.
    "workbench:repair_board": Row(
        "get", None, frozenset({"dispatcher", "supervisor", "administrator"}), 200
    ),
    # The collection supervisor's pages: collection supervisors only
    # (tests/test_collection_supervisor.py). Sending a crew without one chosen: the form's
    # answer.
    "workbench:collection_supervisor": Row("get", None, COLLECTION_SUPERVISOR, 200),
    "workbench:collection_arrears": Row("get", None, COLLECTION_SUPERVISOR, 200),
    "workbench:collection_effectiveness": Row("get", None, COLLECTION_SUPERVISOR, 200),
    "workbench:collection_report_xlsx": Row("get", None, COLLECTION_SUPERVISOR, 200),
    "workbench:collection_reconnection_dispatch": Row(
        "post", "collection", COLLECTION_SUPERVISOR, 400
    ),
    # The complaint analysis and its Excel file: supervisors (complaints.supervise_complaint;
    # tests/test_complaints_analysis.py).
    "workbench:complaint_analysis": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:complaint_analysis_xlsx": Row("get", None, frozenset({"supervisor"}), 200),
    # The collector's pages: collectors and collection supervisors only (their own matrix is
    # tests/test_collection_pages.py). Refused before any look-up.
    "workbench:collection_tasks": Row("get", None, COLLECTION, 200),
    "workbench:collection_task": Row("get", "collection_task", COLLECTION, 200),
    "workbench:collection_plan": Row("get", "collection", COLLECTION, 200),
    # Complaints: taken at the counter and on the hotline; the lessons learned are read by
    # the complaint handlers and the supervisors (tests/test_complaints_pages.py has the
    # complaint roles).
    "workbench:intake_complaint": Row("get", None, frozenset({"clerk", "hotline"}), 200),
    "workbench:complaint_lessons": Row("get", None, frozenset({"supervisor"}), 200),
    # Planned outages: the emergency office and the duty managers (not in this matrix) and
    # supervisors (tests/test_emergency_outages.py).
    "workbench:outages": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:outage_new": Row("get", None, frozenset({"supervisor"}), 200),
    # The survey results: supervisors only (tests/test_surveys_pages.py).
    "workbench:survey_results": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:survey_results_xlsx": Row("get", None, frozenset({"supervisor"}), 200),
    # Emergency plans, drills and improvement measures (tests/test_emergency_plans.py,
    # tests/test_emergency_drills.py): read by whoever holds emergency.view_emergencyplan;
    # kept by the emergency office and supervisors (manage_plans, manage_drills). An empty
    # POST is the form's answer; a measure is marked done by its owner or a manager.
    "workbench:emergency_plans": Row("get", None, PLAN_READERS, 200),
    "workbench:emergency_plan_new": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:emergency_plan": Row("get", "emergency_plan", PLAN_READERS, 200),
    "workbench:emergency_plan_draft_new": Row(
        "post", "emergency_plan", frozenset({"supervisor"}), 400
    ),
    "workbench:emergency_plan_version": Row("get", "emergency_plan", PLAN_READERS, 200),
    "workbench:emergency_plan_version_edit": Row(
        "post", "emergency_plan_edit", frozenset({"supervisor"}), 400
    ),
    "workbench:emergency_drills": Row("get", None, PLAN_READERS, 200),
    "workbench:emergency_drill_new": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:emergency_drill": Row("get", "emergency_drill", PLAN_READERS, 200),
    "workbench:emergency_drill_step": Row(
        "post", "emergency_drill_step", frozenset({"supervisor"}), 400
    ),
    "workbench:emergency_measures": Row("get", None, PLAN_READERS, 200),
    "workbench:emergency_measure_done": Row(
        "post", "emergency_measure", frozenset({"supervisor"}), 400
    ),
    # The lab's results (tests/test_quality_results_pages.py).
    "workbench:quality_results": Row("get", None, QUALITY_READERS, 200),
    "workbench:quality_sample": Row("get", "quality_sample", QUALITY_READERS, 200),
    "workbench:quality_sample_results": action("quality_sample"),
    "workbench:quality_sample_confirm": action("quality_sample"),
    "workbench:quality_sample_confirm_second": action("quality_sample"),
    "workbench:quality_sample_return": action("quality_sample"),
    "workbench:quality_result_judge": action("quality_result"),
    "workbench:quality_import": Row("get", None, frozenset(), 200),
    "workbench:quality_import_batch": Row("get", "quality_import_batch", QUALITY_READERS, 200),
    # Water quality: sampling and the catalogue (tests/test_quality_sampling.py,
    # tests/test_quality_catalogue.py). Read with quality.view_quality (supervisors here);
    # samplers take samples, the quality manager keeps points, plans and the catalogue
    # (none of those roles in this matrix).
    "workbench:quality_overview": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_samples": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_sample_take": Row("post", "quality_sample", frozenset(), 302),
    "workbench:quality_sample_cancel": Row("post", "quality_sample", frozenset(), 302),
    "workbench:quality_sample_add": Row("post", None, frozenset(), 400),
    "workbench:quality_catalogue": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_indicator_edit": Row(
        "get", "quality_indicator", frozenset({"supervisor"}), 200
    ),
    "workbench:quality_edition_load": Row("get", None, frozenset(), 200),
    "workbench:quality_points": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_point_new": Row("get", None, frozenset(), 200),
    "workbench:quality_point_edit": Row("get", "quality_point", frozenset(), 200),
    "workbench:quality_plans": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_plan_new": Row("get", None, frozenset(), 200),
    "workbench:quality_plan_edit": Row("get", "quality_plan", frozenset(), 200),
    # --- public pages (no login) ---
    "portal:lookup": Row("get", None, EVERYONE, 200),
    # The web complaint form (tests/test_complaints_web_form.py).
    "portal:complaint_new": Row("get", None, EVERYONE, 200),
    "portal:report": Row("get", None, EVERYONE, 200),
    "portal:report_status": Row("get", None, EVERYONE, 200),
    # Paying online (public: the bill's QR code), and the sandbox gateway's page.
    "portal:pay": Row("get", "pay", EVERYONE, 200),
    "portal:sandbox_pay": Row("get", "order", EVERYONE, 200),
    "portal:pay_done": Row("get", "order_done", EVERYONE, 200),
    # A satisfaction survey's single-use link (tests/test_surveys_*.py).
    "portal:survey": Row("get", "survey", EVERYONE, 200),
    # Current incidents and planned outages, all or one district's
    # (tests/test_emergency_public.py).
    "portal:outages_public": Row("get", None, EVERYONE, 200),
    # The water-quality disclosure and the published reports' downloads
    # (tests/test_quality_disclosure.py).
    "portal:quality_public": Row("get", None, EVERYONE, 200),
    "portal:quality_public_report": Row("get", "quality_public_report", EVERYONE, 200),
    # The disclosure reports: read with quality.view_quality (tests/test_quality_reports.py).
    "workbench:quality_reports": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_report": Row("get", "quality_report", frozenset({"supervisor"}), 200),
    "workbench:quality_report_pdf": Row("get", "quality_report", frozenset({"supervisor"}), 200),
    "workbench:quality_report_csv": Row("get", "quality_report", frozenset({"supervisor"}), 200),
    "workbench:quality_report_xlsx": Row("get", "quality_report", frozenset({"supervisor"}), 200),
    # --- payments: the cash office's exceptions and the gateways' statements ---
    "payments:exceptions": Row("get", None, frozenset({"supervisor", "billing"}), 200),
    "payments:exception_resolve": Row("post", "exception", BILLING_OFFICE, 302),
    "payments:statements": Row("get", None, frozenset({"supervisor", "billing"}), 200),
    "payments:statement": Row("get", "statement", frozenset({"supervisor", "billing"}), 200),
    # --- billing pages ---
    "billing:reading_entry": Row("get", None, READ_ENTRY, 200),
    # An empty row of the route sheet names no account of the reader's: "not found".
    "billing:reading_entry_record": Row("post", None, READ_ENTRY, 404),
    "billing:reading_import": Row("get", None, READ_ENTRY, 200),
    "billing:reading_import_detail": Row(
        "get",
        "read_import",
        READ_ENTRY,
        200,
        not_found=frozenset({"reader"}),  # not theirs
    ),
    "billing:reading_review": Row("get", None, BILLING_OFFICE, 200),
    "billing:reading_review_approve": Row("post", "read", BILLING_OFFICE, 302),
    "billing:reading_review_reject": Row("post", "read", BILLING_OFFICE, 302),
    "billing:reading_cycles": Row("get", None, BILLING_VIEWERS, 200),
    "billing:reading_reads": Row("get", None, READ_ENTRY, 200),
    "billing:reading_unrouted": Row("get", None, BILLING_OFFICE, 200),
    # The read's account is on no route: a reader does not see it.
    "billing:reading_read_correct": Row(
        "post", "read", READ_ENTRY, 400, not_found=frozenset({"reader"})
    ),
    "billing:runs": Row("get", None, BILLING_VIEWERS, 200),
    "billing:run": Row("get", "run", BILLING_VIEWERS, 200),
    "billing:run_resume": Row("post", "run", BILLING_OFFICE, 302),
    "billing:account_lookup": Row("get", None, BILL_READERS, 200),  # the search form
    "billing:account": Row("get", "account", BILL_READERS, 200),
    "billing:account_adjust": Row("post", "account", BILLING_OFFICE, 400),
    "billing:bill": Row("get", "bill", BILL_READERS, 200),
    "billing:bill_pdf": Row("get", "bill", BILL_READERS, 200),
    "billing:account_statement_pdf": Row("get", "account", BILL_READERS, 200),
    "billing:account_notice_pdf": Row("get", "account", BILL_READERS, 200),
    # --- payments: bank direct debit (the billing office) ---
    "payments:bank_mandates": Row("get", None, BILLING_OFFICE, 200),
    "payments:bank_mandate_cancel": Row("post", "mandate", BILLING_OFFICE, 302),
    "payments:bank_mandate_suspend": Row("post", "mandate", BILLING_OFFICE, 302),
    "payments:bank_mandate_resume": Row("post", "mandate", BILLING_OFFICE, 302),
    "payments:bank_batches": Row("get", None, BILLING_OFFICE, 200),
    "payments:bank_batch": Row("get", "debit_batch", BILLING_OFFICE, 200),
    "payments:bank_batch_file": Row("get", "debit_batch", BILLING_OFFICE, 200),
    # Without a file: the form's answer.
    "payments:bank_batch_result": Row("post", "debit_batch", BILLING_OFFICE, 400),
    "payments:bank_import": Row("get", "bank_import", BILLING_OFFICE, 200),
    # --- field work: the crew's phone pages and the dispatcher's crews and roster ---
    "fieldwork:my_orders": Row("get", None, frozenset({"crew"}), 200),
    # Whoever may see the order's case reads it too: this order is a new connection's,
    # outside a collector's scope (a collector reads the orders of the collection cases
    # they work: tests/test_collection_stops.py).
    "fieldwork:order": Row("get", "work_order", WORK_ORDER_READERS, 200),
    # Without a reason, "could not complete" is refused by its service.
    "fieldwork:order_step": Row("post", "work_order_give_up", frozenset({"crew"}), 400),
    "fieldwork:photo": Row("get", "work_order_photo", WORK_ORDER_READERS, 200),
    "fieldwork:sheet": Row("get", "work_order", WORK_ORDER_READERS, 200),
    "fieldwork:crews": Row("get", None, CREW_DISPATCHERS, 200),
    "fieldwork:roster": Row("get", None, CREW_DISPATCHERS, 200),
    # The shift has started: its removal is refused, nothing changes.
    "fieldwork:roster_remove": Row("post", "shift", CREW_DISPATCHERS, 409),
    # --- API: kiosks and partner agents (their own tokens only; no staff role) ---
    "api:payments-device-amount-due": Row("get", "device_account", frozenset(), 200),
    "api:payments-device-pay": Row("post", None, frozenset(), 400),
    "api:payments-device-receipt": Row("get", "device_receipt", frozenset(), 200),
    # --- payments: the counter and the cash office ---
    "payments:counter": Row("get", None, CASHIERS, 200),
    "payments:counter_pay": Row("post", "account", CASHIERS, 400),
    "payments:day": Row("get", None, CASHIERS, 200),
    "payments:payment": Row("get", "payment", PAYMENT_VIEWERS, 200),
    "payments:receipt_pdf": Row("get", "payment", PAYMENT_VIEWERS, 200),
    "payments:void_request": Row("post", "payment", CASHIERS, 400),
    "payments:corrections": Row("get", None, frozenset({"supervisor"}), 200),
    "payments:correction_decide": Row("post", "correction", frozenset({"supervisor"}), 400),
    "payments:closes": Row("get", None, frozenset({"supervisor"}), 200),
    "payments:close_sign_off": Row("post", "close", frozenset({"supervisor"}), 400),
    "payments:cash_report": Row("get", None, CASH_REPORT, 200),
    "payments:cash_report_xlsx": Row("get", None, CASH_REPORT, 200),
    "payments:account_payments": Row("get", "account", BILLING_OFFICE, 200),
    "payments:reversal_request": Row("post", "payment", BILLING_OFFICE, 400),
    # --- payments pages ---
    "payments:refunds": Row("get", None, frozenset({"billing", "supervisor"}), 200),
    "payments:refund_new": Row("get", None, BILLING_OFFICE, 404),  # without ?account=
    "payments:refund_approve": Row("post", "refund", frozenset({"supervisor"}), 302),
    "payments:refund_reject": Row("post", "refund", frozenset({"supervisor"}), 302),
    # --- API: cases ---
    "api:case-list": Row("get", None, STAFF, 200),
    "api:case-queue": Row("get", None, STAFF, 200),
    "api:case-detail": Row(
        "get",
        "case",
        CASE_VIEWERS,
        200,
        not_in_scope=frozenset({"reader", "billing"}),
        not_found=frozenset({"outsider"}),  # works no case: learns of none
    ),
    "api:case-receipt": Row("get", "case", RECEIPT, 200),
    "api:case-claim": Row("post", "case", frozenset({"clerk"}), 200),
    "api:case-assign": Row("post", "case", frozenset({"supervisor", "administrator"}), 400),
    "api:case-reveal": Row(
        "post",
        "case",
        REVEALERS - {"billing"},
        200,
        {"field": "contact_phone", "reason": "电话联系客户"},
        not_in_scope=frozenset({"billing"}),  # may reveal, but new connections are not theirs
    ),
    "api:case-attachments": Row(
        "post", "case", frozenset({"clerk", "surveyor"}), 400, format="multipart"
    ),
    "api:case-attachment-withdraw": Row(
        "post", "attachment", frozenset({"clerk", "supervisor"}), 400
    ),
    "api:case-action-supply_materials": action("case", "clerk"),
    "api:case-action-withdraw": action("case", "clerk"),
    "api:case-action-assign_survey": action("case", "clerk"),
    "api:case-action-book_survey": action("case", "surveyor"),
    "api:case-action-submit_survey": action("case", "surveyor"),
    "api:case-action-review_pass": action("case", "reviewer"),
    "api:case-action-review_reject": action("case", "reviewer"),
    "api:case-action-record_collective_review": action("case", "approver"),
    "api:case-action-approve": action("case", "approver"),
    "api:case-action-approval_reject": action("case", "approver"),
    "api:case-action-assess_fee": action("case", "clerk"),
    "api:case-action-record_payment": action("case", "clerk"),
    "api:case-action-install_meter": action("case", "surveyor"),
    # Allowed, but not in the case's status: refused before the input is read.
    "api:case-action-open_account": action("case", "clerk", status=409),
    "api:case-action-turn_water_on": action("case", "surveyor", status=409),
    "api:case-action-verify": action("transfer", "clerk"),
    "api:case-action-verification_reject": action("transfer", "clerk"),
    "api:case-action-record_read": action("transfer", "reader", "billing"),
    "api:case-action-complete": action("transfer", "clerk", status=409),
    "api:case-action-verify_at_desk": action("change", "clerk"),
    "api:case-action-record_survey": action("change", "surveyor"),
    "api:case-action-approve_change": action("change", "approver"),
    "api:case-action-answer": action("inquiry", "clerk", "billing", "surveyor"),
    # Dispatchers and hotline agents only (tests/test_repairs_api.py).
    "api:case-action-dispatch": action("repair", "dispatcher"),
    "api:case-action-recall": action("repair", "dispatcher"),
    "api:case-action-dispatch_separately": action("repair", "dispatcher"),
    "api:case-action-cancel": action("repair", "dispatcher"),
    "api:case-action-follow_up": action("repair", "hotline"),
    # The collection department (tests/test_collection_*.py). The case is on its first rung
    # and the account owes nothing overdue: the request is refused (409 ``balance_paid``);
    # the supervisor's moves ask for their input first (400: no crew, no reason).
    "api:case-action-request_disconnection": action("collection", *COLLECTION, status=409),
    "api:case-action-approve_disconnection": action("collection", "collsup"),
    "api:case-action-refuse_disconnection": action("collection", "collsup"),
    "api:case-action-dispatch_reconnection": action("collection", "collsup"),
    "api:case-action-reconnect_without_payment": action("collection", "collsup"),
    # A complaint under investigation: the supervisor (who handles and escalates complaints)
    # is asked for the input; acknowledging and "satisfied" are not moves of the status
    # (409). The investigation and the plan are the department responders' (no role here:
    # tests/test_complaints_api.py).
    "api:case-action-acknowledge": action("complaint", "supervisor", status=409),
    "api:case-action-route": action("complaint", "supervisor"),
    "api:case-action-interview": action("complaint"),
    "api:case-action-report": action("complaint"),
    "api:case-action-plan": action("complaint"),
    "api:case-action-add_measure": action("complaint"),
    "api:case-action-measure_done": action("complaint"),
    "api:case-action-reply": action("complaint", "supervisor"),
    "api:case-action-satisfied": action("complaint", "supervisor", status=409),
    "api:case-action-not_satisfied": action("complaint", "supervisor"),
    "api:case-action-escalate": action("complaint", "supervisor"),
    "api:case-action-close": action("complaint", "supervisor"),
    "api:complaint": Row("post", None, frozenset({"clerk", "hotline"}), 400),
    # A low score's follow-up: supervisors (and complaint handlers, not in this matrix);
    # without a note, refused by its service.
    "api:case-action-resolve": action("feedback", "supervisor"),
    "api:new-connection": Row("post", None, frozenset({"clerk"}), 400),
    "api:inquiry": Row("post", None, frozenset({"clerk"}), 400),
    "api:praise": Row("post", None, frozenset({"clerk", "hotline"}), 400),
    # The 12345 platform's machine user only: no role (tests/test_complaints_city_hotline.py).
    "api:city-hotline-transfers": Row("post", None, frozenset(), 400),
    "api:city-hotline-transfer": Row("get", "city_transfer", frozenset(), 200),
    "api:report": Row("post", None, frozenset({"clerk", "hotline"}), 400),
    "api:report-identity": Row("post", "report", frozenset({"supervisor"}), 400),
    # The report is received: the moves with a required input ask for it first (400), the
    # others are not now (409).
    "api:case-action-report_acknowledge": action("report", "supervisor"),
    "api:case-action-report_note": action("report", "supervisor"),
    "api:case-action-report_conclude": action("report", "supervisor"),
    "api:case-action-report_feedback": action("report", "supervisor", status=409),
    "api:case-action-report_close": action("report", "supervisor", status=409),
    "api:case-action-report_withdraw": action("report", "supervisor"),
    "api:case-action-report_invalidate": action("report", "supervisor"),
    # An announced planned outage, not started: approving is not now (409), restoring
    # before the start is refused by its service, the others ask for their input first.
    "api:outage": Row("post", None, frozenset({"supervisor"}), 400),
    "api:case-action-outage_approve": action("outage", "supervisor", status=409),
    "api:case-action-outage_refuse": action("outage", "supervisor"),
    "api:case-action-outage_overrun": action("outage", "supervisor"),
    "api:case-action-outage_restore": action("outage", "supervisor"),
    "api:case-action-outage_cancel": action("outage", "supervisor"),
    "api:repair": Row("post", None, frozenset({"clerk", "dispatcher", "hotline"}), 400),
    # Incidents: the hotline, the dispatchers and supervisors open them (the emergency office
    # and the duty manager too: tests/test_emergency_incidents.py); supervisors run them. The
    # world's incident is active without a plan: every move asks for its input first (400).
    "workbench:emergency_board": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:incident_new": Row(
        "get", None, frozenset({"supervisor", "hotline", "dispatcher"}), 200
    ),
    "api:incident": Row("post", None, frozenset({"supervisor", "hotline", "dispatcher"}), 400),
    "api:case-action-incident_escalate": action("incident", "supervisor"),
    "api:case-action-incident_update": action("incident", "supervisor"),
    "api:case-action-incident_water_point_add": action("incident", "supervisor"),
    "api:case-action-incident_water_point_close": action("incident", "supervisor"),
    "api:case-action-incident_area": action("incident", "supervisor"),
    "api:case-action-incident_task_done": action("incident", "supervisor"),
    "api:case-action-incident_task_add": action("incident", "supervisor"),
    "api:case-action-incident_restore": action("incident", "supervisor"),
    "api:case-action-incident_review": action("incident", "supervisor"),
    "api:case-action-incident_close": action("incident", "supervisor"),
    "api:case-action-incident_cancel": action("incident", "supervisor"),
    "api:ownership-transfer": Row("post", None, frozenset({"clerk"}), 400),
    "api:usage-change": Row("post", None, frozenset({"clerk"}), 400),
    # --- API: customers, calendar ---
    "api:customer-list": Row("get", None, CUSTOMER_VIEWERS, 200),
    "api:customer-detail": Row("get", "customer", CUSTOMER_VIEWERS, 200),
    "api:customer-reveal": Row(
        "post", "customer", REVEALERS, 200, {"field": "id_number", "reason": "核对申请人身份"}
    ),
    "api:calendar-due": Row("get", None, STAFF, 400),  # without its query
    # --- API: billing ---
    "api:billing-read-record": Row("post", None, READ_ENTRY, 400),
    "api:billing-read-import": Row("post", None, READ_ENTRY, 400, format="multipart"),
    "api:billing-read-review": Row("get", None, BILLING_OFFICE, 200),
    "api:billing-read-approve": Row("post", "read", BILLING_OFFICE, 409),
    "api:billing-read-reject": Row("post", "read", BILLING_OFFICE, 400),
    "api:billing-read-correct": Row(
        "post", "read", READ_ENTRY, 400, not_found=frozenset({"reader"})
    ),
    "api:billing-run-list": Row("get", None, BILLING_VIEWERS, 200),
    "api:billing-run-detail": Row("get", "run", BILLING_VIEWERS, 200),
    "api:billing-run-resume": Row("post", "run", BILLING_OFFICE, 409),
    "api:billing-account-bills": Row("get", "account", BILL_READERS, 200),
    "api:billing-account-ledger": Row("get", "account", LEDGER_READERS, 200),
    "api:billing-account-balance": Row("get", "account", LEDGER_READERS, 200),
    "api:billing-account-adjustments": Row("post", "account", BILLING_OFFICE, 400),
    "api:billing-bill-detail": Row("get", "bill", BILL_READERS, 200),
    "api:billing-bill-pdf": Row("get", "bill", BILL_READERS, 200),
    "api:billing-account-notice-pdf": Row("get", "account", BILL_READERS, 200),
    # --- API: payments (a gateway authenticates by its signature: an empty body is refused
    # with the gateway's failure answer, whoever sends it) ---
    "api:payments-gateway-notify": Row("post", "gateway", EVERYONE, 400),
    # --- API: schema and docs (login required unless configured public) ---
    "api:schema": Row("get", None, STAFF, 200),
    "api:docs": Row("get", None, STAFF, 200),
    # Water-quality anomalies (tests/test_quality_anomaly_pages.py): read with
    # quality.view_quality (supervisors here); handled with quality.manage_anomaly (the
    # quality manager and the emergency office, roles not in this matrix).
    "workbench:quality_anomalies": Row("get", None, frozenset({"supervisor"}), 200),
    "workbench:quality_anomaly": Row("get", "quality_anomaly", frozenset({"supervisor"}), 200),
    "workbench:quality_anomaly_adjust": Row("post", "quality_anomaly", frozenset(), 400),
    "workbench:quality_anomaly_estimate": Row("post", "quality_anomaly", frozenset(), 400),
    "workbench:quality_anomaly_close": Row("post", "quality_anomaly", frozenset(), 400),
    # --- e-invoices (tests/test_invoicing_pages.py) ---
    "workbench:invoices": Row("get", None, INVOICE_READERS, 200),
    "workbench:invoice": Row("get", "invoice", INVOICE_READERS, 200),
    "workbench:invoicing_uninvoiced": Row("get", None, INVOICE_READERS, 200),
    "workbench:invoicing_tax_items": Row("get", None, INVOICE_READERS, 200),
    # The tax items are kept by the finance office only (invoicing.manage_tax_items).
    "workbench:invoicing_tax_item": Row("get", "tax_item", frozenset(), 200),
    "workbench:invoicing_account_issue": Row("get", "account", INVOICE_ISSUERS, 200),
    "workbench:invoicing_account_title": Row("get", "account", INVOICE_ISSUERS, 200),
    # The world's invoice is issued: a retry is refused by its service (400); a reversal
    # without a reason is the form's answer.
    "workbench:invoice_retry": Row("post", "invoice", INVOICE_ISSUERS, 400),
    "workbench:invoice_reverse": Row("post", "invoice", BILLING_OFFICE, 400),
    "workbench:finance_index": Row("get", None, FINANCE_REPORT_READERS, 200),
    "workbench:invoicing_report": Row("get", None, frozenset({"supervisor"}), 200),
    # The sandbox tax platform's PDF link sent to the customer (an opaque token, no login).
    "portal:invoice_sandbox_pdf": Row("get", "sandbox_invoice", EVERYONE, 200),
    # --- prepayment: the balances report and closing an account (billing/apps.py) ---
    "billing:prepayment_report": Row("get", None, FINANCE_REPORT_READERS, 200),
    "billing:prepayment_report_xlsx": Row("get", None, FINANCE_REPORT_READERS, 200),
    "billing:account_close": Row("get", "account", BILLING_OFFICE, 200),
    # --- master/sub and shared meters (tests/test_metering_pages.py) ---
    "workbench:metering_arrangements": Row("get", None, METERING_VIEWERS, 200),
    "workbench:metering_arrangement": Row("get", "arrangement", METERING_VIEWERS, 200),
    "workbench:metering_arrangement_new": Row("get", "arrangement_kind", BILLING_OFFICE, 200),
    "workbench:metering_arrangement_edit": Row("get", "arrangement", BILLING_OFFICE, 200),
    # The arrangement is stopped already: refused with a message, back to its page (an
    # active one is stopped by a bare POST: the note is optional).
    "workbench:metering_arrangement_deactivate": Row(
        "post", "arrangement_stopped", BILLING_OFFICE, 302
    ),
    "workbench:metering_allocations": Row("get", None, METERING_VIEWERS, 200),
    "workbench:metering_review": Row("get", None, METERING_VIEWERS, 200),
    # An allocation awaiting review, no review chosen: the form's answer.
    "workbench:metering_review_action": Row("post", "allocation", BILLING_OFFICE, 400),
    "workbench:metering_report": Row("get", None, METERING_VIEWERS, 200),
    # --- remote-read meters (tests/test_amr_pages.py) ---
    "workbench:amr_meters": Row("get", None, AMR_VIEWERS, 200),
    "workbench:amr_meter": Row("get", "remote_meter", AMR_VIEWERS, 200),
    "workbench:amr_alarms": Row("get", None, AMR_VIEWERS, 200),
    "workbench:amr_valves": Row("get", None, AMR_VIEWERS, 200),
    "workbench:amr_imports": Row("get", None, AMR_VIEWERS, 200),
    "workbench:amr_billing": Row("get", None, AMR_VIEWERS, 200),
    # Empty forms: refused with a message, back to the list (302).
    "workbench:amr_alarm_assign": Row("post", "alarm", READ_ENTRY, 302),
    "workbench:amr_alarm_resolve": Row("post", "alarm", READ_ENTRY, 302),
    # The world's command was asked for by the collection supervisor: approving it is
    # refused (a second person), refusing it without a reason too; back to the list.
    "workbench:amr_valve_approve": Row("post", "valve_command", COLLECTION_SUPERVISOR, 302),
    "workbench:amr_valve_refuse": Row("post", "valve_command", COLLECTION_SUPERVISOR, 302),
    # The cycle is closed: making its billing reads is refused, back to the page.
    "workbench:amr_billing_make": Row("post", "closed_cycle", READ_ENTRY, 302),
    # --- API: the remote-read head-ends (their own tokens only; no staff role) ---
    "api:amr-readings": Row("post", None, frozenset(), 400),
    "api:amr-valve-confirm": Row("post", "valve_command_confirm", frozenset(), 400),
}


def _walk(patterns, prefix: str = "", namespace: str | None = None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.namespace == "admin":
                continue
            inner = pattern.namespace or namespace
            if namespace and pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}"
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            name = pattern.name or "root"
            yield (f"{namespace}:{name}" if namespace else name), prefix + str(pattern.pattern)


def url_names() -> set[str]:
    return {name for name, _path in _walk(get_resolver().url_patterns)}


def test_every_url_pattern_has_a_row():
    assert url_names() - set(TABLE) == set(), "add a row to TABLE for each new URL"
    assert set(TABLE) - url_names() == set(), "remove the rows of URLs that are gone"


@pytest.fixture
def users(db):
    return {
        name: UserFactory(username=f"m-{name}", role=role)
        if role
        else UserFactory(username=f"m-{name}")
        for name, role in ROLE_OF.items()
    }


@pytest.fixture
def world(users, billing_clerk, cycles, heard, django_capture_on_commit_callbacks):
    built = desk_world(
        clerk=users["clerk"],
        billing_clerk=billing_clerk,
        cycles=cycles,
        capture=django_capture_on_commit_callbacks,
    )
    case, attachment, transfer = built.case, built.attachment, built.transfer
    ownership_transfer_verify(actor=users["clerk"], case=transfer, opinion="原件核验无误")
    with django_capture_on_commit_callbacks(execute=True):
        inquiry = inquiry_register(
            actor=users["clerk"],
            channel="phone",
            contact_name="周到",
            contact_phone="13900139000",
            category=InquiryCategory.objects.get(code="billing"),
            question="本月水费为什么比上月高？",
        )
    report = whistleblower_report_register(
        actor=users["clerk"],
        channel="counter",
        subject="营业厅某员工",
        matter="收取好处费",
        reporter_name="举报人",
        evidence=[SimpleUploadedFile("e.pdf", b"%PDF-1.4 evidence")],
    ).case
    evidence = ReportEvidence.objects.get(report__case=report)
    # The collection department is the collectors' own: the case is in their scope.
    CollectionPolicy.objects.update(department=users["collector"].staff_profile.department)
    intensive = CollectionStrategy.objects.get(code="intensive")
    dunning = dunning_open(account=built.account, strategy=intensive)
    reminder = CollectionAction.objects.get(dunning__case=dunning)  # sent at once: done
    repair = repair_report(
        actor=users["clerk"],
        channel="counter",
        contact_name="孙六",
        contact_phone="13900139006",
        address="城北区和平路6号",
        fault_type=FaultType.objects.get(code="leak"),
        description="水表接口漏水",
    )
    complaint = complaints_support.register(users["hotline"])
    complaint_acknowledge(actor=users["supervisor"], case=complaint)
    praise = praise_register(
        actor=users["clerk"],
        channel="phone",
        contact_name="赵敏",
        contact_phone="13900139008",
        matter="抢修班组雨夜抢修，服务热情。",
    )
    praise_withdraw(actor=users["supervisor"], case=praise, reason="误登记")
    incident = _incident(users["supervisor"])
    return {
        "praise": {"public_id": praise.public_id},
        "incident": {"public_id": incident.public_id},
        "city_transfer": {"reference": "SZ12345-MATRIX-1"},
        "case": {"public_id": case.public_id},
        "complaint": {"public_id": complaint.public_id},
        "case_action": {"public_id": case.public_id, "action": "assign_survey"},
        "repair": {"public_id": repair.public_id},
        "collection": {"public_id": dunning.public_id},
        "repair_caller": {"public_id": repair.public_id, "position": 1},
        "receipt": {"public_id": case.public_id, "name": "receipt"},
        "collection_task": {"pk": reminder.pk},
        "inquiry": {"public_id": inquiry.public_id},
        "report": {"public_id": report.public_id},
        "report_evidence": {"public_id": report.public_id, "evidence_id": evidence.public_id},
        "attachment": {"public_id": case.public_id, "attachment_id": attachment.public_id},
        "transfer": {"public_id": transfer.public_id},
        "change": {"public_id": built.change.public_id},
        "customer": {"public_id": built.customer.public_id},
        "account": {"public_id": built.account.public_id},
        "bill": {"public_id": built.bill.public_id},
        "run": {"public_id": built.run.public_id},
        "read": {"read_id": built.first_read.pk},
        "read_import": {"public_id": _read_import(billing_clerk).public_id},
        "refund": {"public_id": _refund(built.account, billing_clerk).public_id},
        **_bank_world(built.account, billing_clerk),
        **counter_world(account=built.account, billing_clerk=billing_clerk),
        **_payments_world(built.account, billing_clerk),
        **fieldwork_world(crew_member=users["crew"], dispatcher=users["dispatcher"], case=case),
        **survey_world(),
        **_emergency_world(users),
        **_quality_sampling_world(),
        **_outage_world(built.account),
        **_quality_results_world(),
        **_quality_report_world(users),
        **_quality_anomaly_world(),
        **_invoicing_world(cycles, billing_clerk, django_capture_on_commit_callbacks),
        **_metering_world(cycles, billing_clerk),
        **_amr_world(users, billing_clerk),
    }


def _invoicing_world(cycles, billing_clerk, capture) -> dict:
    """An account billed for March and paid at the counter: its invoice issued on the
    sandbox platform (the PDF's token); a seeded tax item."""
    from tests.invoicing_support import pay_at_counter, sandbox_reset
    from tests.payments_counter_support import counter_cashier
    from waterdesk.billing.models import Bill
    from waterdesk.invoicing.models import Invoice, SandboxInvoice, TaxItem
    from waterdesk.payments.models import Office

    sandbox_reset()
    account = support.account_with_meter()
    support.meter_read(billing_clerk, account, cycles[3].period_end, "10")
    support.run_cycle(billing_clerk, cycles[3], capture)
    bill = Bill.objects.get(account=account)
    cashier = counter_cashier(Office.objects.create(code="INV", name="开票营业厅"), "m-inv-c")
    pay_at_counter(capture, cashier=cashier, account=account, amount=bill.amount, bills=[bill])
    invoice = Invoice.objects.get(bill_links__bill=bill)
    return {
        "invoice": {"public_id": invoice.public_id},
        "sandbox_invoice": {
            "token": SandboxInvoice.objects.get(request_id=invoice.request_id).token
        },
        "tax_item": {"pk": TaxItem.objects.first().pk},
    }


def _metering_world(cycles, billing_clerk) -> dict:
    """A master meter over two sub-meters that read more than it in February: the
    allocation is flagged for review; and a stopped arrangement."""
    from tests.metering_support import PartInput, arrangement_create, meter_of, plain_account
    from waterdesk.metering.services.allocations import allocations_calculate
    from waterdesk.metering.services.arrangements import arrangement_deactivate

    point, house_a, house_b = (support.account_with_meter() for _ in range(3))
    arrangement = arrangement_create(
        actor=billing_clerk,
        kind="master_sub",
        name="矩阵小区总表",
        meter=meter_of(point),
        rule="master_account",
        account=plain_account(usage_category="non_residential"),
        parts=[PartInput(meter=meter_of(house_a)), PartInput(meter=meter_of(house_b))],
    )
    end = cycles[2].period_end
    for account, value in ((point, "100"), (house_a, "60"), (house_b, "45")):
        support.meter_read(billing_clerk, account, end, value)
    (allocation,) = allocations_calculate(actor=billing_clerk, cycle=cycles[2])
    stopped = arrangement_create(
        actor=billing_clerk,
        kind="master_sub",
        name="矩阵停用总表",
        meter=meter_of(support.account_with_meter()),
        rule="master_account",
        account=plain_account(usage_category="non_residential"),
        parts=[PartInput(meter=meter_of(support.account_with_meter()))],
    )
    arrangement_deactivate(actor=billing_clerk, arrangement=stopped, note="矩阵：已停用")
    return {
        "arrangement": {"public_id": arrangement.public_id},
        "arrangement_kind": {"kind": "master_sub"},
        "arrangement_stopped": {"public_id": stopped.public_id},
        "allocation": {"pk": allocation.pk},
    }


def _amr_world(users, billing_clerk) -> dict:
    """A remote meter with a valve on a head-end, an open alarm, a valve command asked for
    by the collection supervisor, and a closed cycle (December 2025)."""
    from tests.amr_support import new_head_end, remote_meter
    from waterdesk.amr.models import Alarm, AlarmKind
    from waterdesk.amr.services.valves import valve_command_request
    from waterdesk.billing.models import ReadingCycle

    head_end, _key = new_head_end("matrix")
    meter = remote_meter(head_end, "MATRIX-0001", valve=True)
    alarm = Alarm.objects.create(
        remote_meter=meter,
        kind=AlarmKind.values[0],
        opened_at=timezone.now(),
        evidence_at=timezone.now(),
        detail="矩阵告警",
    )
    command = valve_command_request(
        actor=users["collsup"], remote_meter=meter, action="close", reason="欠费关阀"
    )
    closed = support.month_cycle(billing_clerk, 2025, 12)
    ReadingCycle.objects.filter(pk=closed.pk).update(is_closed=True)
    return {
        "remote_meter": {"pk": meter.pk},
        "alarm": {"pk": alarm.pk},
        "valve_command": {"pk": command.pk},
        "valve_command_confirm": {"public_id": command.public_id},
        "closed_cycle": {"pk": closed.pk},
    }


def _quality_results_world() -> dict:
    """A taken sample with a result, and an import batch."""
    from tests.quality_support import sample_taken
    from waterdesk.quality.models import PointType, SamplingPoint
    from waterdesk.quality.services.imports import results_import
    from waterdesk.quality.services.results import result_record

    analyst = UserFactory(username="m-qlab-analyst", role=Role.LAB_ANALYST)
    point = SamplingPoint.objects.create(
        code="matrix-qlab-out",
        name="矩阵水厂出厂水",
        point_type=PointType.PLANT_OUTLET,
        location="出厂水取样口",
    )
    sample = sample_taken(point, ["turbidity"])
    result, _change = result_record(actor=analyst, sample=sample, code="turbidity", raw="0.5")
    batch = results_import(
        actor=analyst, filename="m.csv", data=b"sample_no,code,result\nQS-NONE,turbidity,1\n"
    )
    return {
        "quality_sample": {"number": sample.number},
        "quality_result": {"pk": result.pk},
        "quality_import_batch": {"pk": batch.pk},
    }


def _quality_report_world(users) -> dict:
    """A published water-quality report (its figures do not matter here)."""
    from waterdesk.quality.models import QualityReport, ReportPeriod, ReportStatus

    today = timezone.localdate()
    report = QualityReport.objects.create(
        period=ReportPeriod.MONTH,
        period_start=today.replace(day=1),
        period_end=today,
        status=ReportStatus.PUBLISHED,
        snapshot={"overall": {}, "plants": [], "zones": []},
        generated_by=users["supervisor"],
    )
    return {
        "quality_report": {"pk": report.pk},
        "quality_public_report": {"pk": report.pk, "fmt": "pdf"},
    }


def _quality_anomaly_world() -> dict:
    """An open water-quality anomaly (no incident) at a network point."""
    from waterdesk.quality.models import Anomaly, PointType, SamplingPoint
    from waterdesk.quality.services.schedule import sample_create

    point = SamplingPoint.objects.create(
        code="matrix-net", name="矩阵管网点", point_type=PointType.NETWORK, location="人民路"
    )
    today = timezone.localdate()
    sample = sample_create(point=point, codes=["turbidity"], due_date=today, due_by=today)
    anomaly = Anomaly.objects.create(number="QA-MATRIX-0001", point=point, sample=sample)
    return {"quality_anomaly": {"number": anomaly.number}}


def _emergency_world(users) -> dict:
    """A default plan's version and a drill that was held, with a measure of the
    supervisor's."""
    plan = EmergencyPlan.objects.get(code="pipe_burst")
    version = plan_current_version(plan)
    drill = drill_plan(
        actor=users["supervisor"],
        plan_version=version,
        level=4,
        scheduled_for=timezone.now() + timedelta(days=1),
        scenario="主干管爆裂演练",
        participants=[users["dispatcher"]],
    )
    drill_record_held(
        actor=users["supervisor"],
        drill=drill,
        held_at=timezone.now() - timedelta(hours=1),
        timings=[TimingInput(label="核实险情", observed_minutes=10)],
    )
    measure = measure_add(
        drill=drill,
        description="补充夜间值班表",
        owner=users["supervisor"],
        deadline=timezone.localdate() + timedelta(days=30),
    )
    return {
        "emergency_plan": {"pk": plan.pk},
        "emergency_plan_edit": {"pk": version.pk, "edit": "step"},
        "emergency_drill": {"pk": drill.pk},
        "emergency_drill_step": {"pk": drill.pk, "step": "evaluate"},
        "emergency_measure": {"pk": measure.pk},
    }


def _quality_sampling_world() -> dict:
    """A tap point with a scheduled sample, an indicator and a plan of the seeded
    catalogue."""
    from waterdesk.quality.models import Indicator, SamplingPlan, SamplingPoint
    from waterdesk.quality.services.schedule import sample_create

    point = SamplingPoint.objects.create(
        code="matrix-tap",
        name="矩阵末梢",
        point_type="tap",
        location="矩阵小区",
        zone=SupplyZoneFactory(code="matrix-quality", name="水质片区"),
    )
    today = timezone.localdate()
    sample = sample_create(point=point, codes=["turbidity"], due_date=today, due_by=today)
    return {
        "quality_sample": {"number": sample.number},
        "quality_indicator": {"pk": Indicator.objects.get(code="turbidity").pk},
        "quality_point": {"pk": point.pk},
        "quality_plan": {"pk": SamplingPlan.objects.get(code="outlet-daily").pk},
    }


def _incident(supervisor):
    zone = SupplyZoneFactory(code="matrix-east", name="城东片区")
    AccountFactory(premise=PremiseFactory(zone=zone))
    return incident_open(
        actor=supervisor,
        incident_type="pipe_burst",
        level=4,
        source="supervisor",
        title="城东主管爆管",
        description="主管爆裂",
        public_summary="城东供水主管爆裂，正在抢修。",
        started_at=timezone.now(),
        zones=[zone],
    )


def _outage_world(account) -> dict:
    from datetime import timedelta

    from waterdesk.emergency.services.outages import outage_schedule

    starts_at = timezone.now() + timedelta(hours=48)
    outage = outage_schedule(
        actor=UserFactory(username="m-emergency-office", role=Role.EMERGENCY_OFFICE),
        works="更换阀门",
        public_summary="更换阀门停水",
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=6),
        zones=[account.premise.zone],
    )
    return {"outage": {"public_id": outage.public_id}}


def _payments_world(account, billing_clerk) -> dict:
    order = payment_order_create(account=account, gateway="sandbox")
    flagged = PaymentException.objects.create(
        kind="amount_mismatch", source="sandbox", reference="SBX-1", created_at=timezone.now()
    )
    statement = statement_import(
        actor=billing_clerk,
        gateway="sandbox",
        file_name="s.csv",
        content=b"transaction_id,out_trade_no,amount,paid_at\n",
        statement_date=timezone.localdate(),
    ).statement
    return {
        "pay": {"account": account.public_id},
        "order": {"order": order.public_id},
        "order_done": {"order": order.public_id},
        "exception": {"public_id": flagged.public_id},
        "statement": {"public_id": statement.public_id},
        "gateway": {"code": "sandbox"},
    }


def _bank_world(account, user) -> dict:
    mandate = BankMandate.objects.create(
        account=account,
        bank_code="icbc",
        bank_account_number="6222020200112233445",
        holder_name="张三",
        signed_on=timezone.localdate(),
        created_by=user,
        created_at=timezone.now(),
    )
    batch = DebitBatch.objects.create(
        bank_code="icbc",
        reference="ICBC-20260101-01",
        due_up_to=timezone.localdate(),
        created_by=user,
        created_at=timezone.now(),
        file_name="ICBC-20260101-01.csv",
        content=b"",
    )
    result = BankResultImport.objects.create(
        batch=batch,
        file_name="r.csv",
        sha256="0" * 64,
        imported_by=user,
        imported_at=timezone.now(),
    )
    return {
        "mandate": {"public_id": mandate.public_id},
        "debit_batch": {"public_id": batch.public_id},
        "bank_import": {"public_id": result.public_id},
        "device_account": {"number": account.number},
        "device_receipt": {"transaction_id": "K1-0001"},
    }


def _refund(account, user) -> Refund:
    # Asked for by the billing office; the account has no credit, so approving refuses.
    return Refund.objects.create(
        account=account,
        amount="5.00",
        reason="退回多缴水费",
        method="cash",
        requested_by=user,
        requested_at=timezone.now(),
    )


def _read_import(user) -> ReadImport:
    return read_import_csv(
        actor=user,
        source="handheld",
        file_name="reads.csv",
        content=b"account_number,read_on,value\nNOSUCH,2026-01-31,5\n",
    )


def _path(name: str, row: Row, world: dict) -> str:
    if name == "root":
        return "/"
    if name.startswith("api:case-action-"):
        return reverse(name, kwargs=world[row.target])
    return reverse(name, kwargs=world[row.target] if row.target else None)


def _request(name: str, row: Row, path: str, user) -> int:
    if name.startswith("api:"):
        client = KeyedAPIClient()
        if user is not None:
            client.force_authenticate(user)
        if row.method == "get":
            response = client.get(path)
        else:
            response = client.post(path, row.data, format=row.format)
    else:
        client = Client()
        if user is not None:
            client.force_login(user)
        response = client.get(path) if row.method == "get" else client.post(path, row.data)
    sent_to_login = response.status_code == 302 and response["Location"].startswith("/login/")
    if sent_to_login and ANONYMOUS not in row.allowed:
        return 401  # a page sends anonymous users to the login page
    return response.status_code


def _expected(name: str, row: Row, role: str) -> int | set[int]:
    if role in row.not_found:
        return 404
    if role in row.not_in_scope:
        return 403
    if role in row.allowed:
        return row.status
    if role == ANONYMOUS:
        return 401
    # Where the allowed answer is itself 404, a refusal must be the door's 403.
    return {403} if row.status == 404 else {403, 404}


def test_every_role_on_every_url(world, users):
    observed, wrong = {}, []
    for name, row in sorted(TABLE.items()):
        path = _path(name, row, world)
        for role in sorted(EVERYONE):
            status = _request(name, row, path, users.get(role))
            expected = _expected(name, row, role)
            observed[(name, role)] = status
            if status != expected and not (isinstance(expected, set) and status in expected):
                wrong.append(f"{name} {row.method.upper()} as {role}: {status}, want {expected}")
    assert wrong == [], "\n".join(wrong)
