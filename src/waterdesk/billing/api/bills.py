"""Bill-run, bill and ledger API, mounted at /api/billing/ (URL names ``api:billing-…``).

Thin: a serializer parses the request, one service or selector does the work; errors
become responses in ``waterdesk.api.errors``. Reading needs the model's view permission
(bill runs, bills, ledger entries); starting or resuming a run ``billing.run_billing``;
an adjustment ``billing.post_adjustment``.
"""

from dataclasses import asdict

from django.http import HttpResponse
from django.urls import path
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.billing.documents import bill_pdf, fee_notice_pdf
from waterdesk.billing.models import Bill, BillLine, BillRun, LedgerEntry
from waterdesk.billing.selectors.bills import (
    account_get,
    bill_get,
    bill_list_for_account,
    bill_run_get,
    bill_run_list,
    bill_run_progress,
    bill_run_skipped,
    bill_statement,
    reading_cycle_get,
)
from waterdesk.billing.selectors.ledger import (
    AGING_BUCKETS,
    account_aging,
    account_balance,
    account_statement,
)
from waterdesk.billing.services.bill_run import (
    MAX_CHUNK_SIZE,
    bill_run_create,
    bill_run_resume,
    bill_run_start,
)
from waterdesk.billing.services.ledger import ledger_post_adjustment
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.idempotency import (
    IDEMPOTENCY_RESPONSES,
    IdempotencyKeyHeader,
    idempotent,
)
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.permissions import HasRequiredPermissions
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.money import MONEY_SUM_MAX_DIGITS, MoneyField
from waterdesk.core.pdf import pdf_response

SKIPPED_LIMIT = 100

_INVALID = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_input` (see `fields`) or a domain code such as `invalid_amount`, "
    "`amount_too_large`, `amount_zero`, `reason_required`, `bill_wrong_account`, "
    "`invalid_chunk_size`, `idempotency_key_required`.",
)
_UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="`not_authenticated`")
_FORBIDDEN = OpenApiResponse(ErrorSerializer, description="`not_permitted`")
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="`not_found`")
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="`run_in_progress` (another run of the cycle is pending or running), "
    "`cycle_closed`, `run_completed`, `run_not_pending`, `idempotency_key_in_progress`.",
)


# --- serializers ----------------------------------------------------------------------


def _sum_field(**kwargs) -> serializers.DecimalField:
    # A balance or total is a sum of amounts: more digits than one amount's column.
    return serializers.DecimalField(max_digits=MONEY_SUM_MAX_DIGITS, decimal_places=2, **kwargs)


class RunSerializer(serializers.ModelSerializer):
    cycle = api_fields.CharField(source="cycle.code")
    created_by = api_fields.CharField(source="created_by.username", allow_null=True, default=None)

    class Meta:
        model = BillRun
        fields = [
            "public_id",
            "cycle",
            "status",
            "chunk_size",
            "total_accounts",
            "billed_accounts",
            "skipped_accounts",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]


class ChunkErrorSerializer(serializers.Serializer):
    chunk = serializers.IntegerField()
    error = api_fields.CharField()


class SkippedAccountSerializer(serializers.Serializer):
    account = api_fields.CharField(source="account.number")
    account_id = serializers.UUIDField(source="account.public_id")
    reason = api_fields.CharField(
        help_text="`read_needs_review`, `no_validated_read`, `covered_by_other_bill` or "
        "`not_priced`."
    )
    reason_label = api_fields.CharField()


class ProgressSerializer(serializers.Serializer):
    percent = serializers.IntegerField()
    processed = serializers.IntegerField()
    billed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    chunks_total = serializers.IntegerField()
    chunks_completed = serializers.IntegerField()
    chunks_running = serializers.IntegerField()
    chunks_failed = serializers.IntegerField()
    accounts_per_second = serializers.FloatField(allow_null=True)
    errors = ChunkErrorSerializer(many=True)


class RunDetailSerializer(serializers.Serializer):
    run = RunSerializer()
    progress = ProgressSerializer()
    skipped = SkippedAccountSerializer(many=True)
    skipped_total = serializers.IntegerField()


class RunStartSerializer(serializers.Serializer):
    cycle = api_fields.CharField(max_length=20, help_text="Reading cycle code, e.g. 2026-03.")
    chunk_size = serializers.IntegerField(min_value=1, max_value=MAX_CHUNK_SIZE, default=2000)


class BillLineSerializer(serializers.ModelSerializer):
    class Meta:
        model = BillLine
        fields = [
            "component_kind",
            "component_name",
            "tier_index",
            "period_start",
            "period_end",
            "volume",
            "unit_price",
            "amount",
        ]


class BillSerializer(serializers.ModelSerializer):
    account = api_fields.CharField(source="account.number")
    # Plain text: several models have a ``kind``; the values are listed here.
    kind = api_fields.CharField(help_text="`cycle` (a cycle's bill) or `final` (结清账单).")
    cycle = api_fields.CharField(source="cycle.code", allow_null=True, default=None)

    class Meta:
        model = Bill
        fields = [
            "public_id",
            "number",
            "account",
            "kind",
            "cycle",
            "period_start",
            "period_end",
            "volume",
            "amount",
            "issued_at",
            "due_date",
        ]


class BillDetailSerializer(BillSerializer):
    lines = BillLineSerializer(many=True)
    opening_value = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)
    closing_value = serializers.DecimalField(max_digits=12, decimal_places=2)
    is_estimated = serializers.BooleanField()
    balance_brought_forward = _sum_field()
    total_due = _sum_field()

    class Meta(BillSerializer.Meta):
        fields = [
            *BillSerializer.Meta.fields,
            "lines",
            "opening_value",
            "closing_value",
            "is_estimated",
            "balance_brought_forward",
            "total_due",
        ]


class LedgerEntrySerializer(serializers.ModelSerializer):
    bill = api_fields.CharField(source="bill.number", allow_null=True, default=None)
    kind = api_fields.CharField(
        help_text="`charge`, `payment`, `adjustment`, `late_fee` or `reversal`."
    )
    reverses = serializers.IntegerField(source="reverses_id", allow_null=True)

    class Meta:
        model = LedgerEntry
        fields = [
            "id",
            "kind",
            "amount",
            "bill",
            "reverses",
            "posted_at",
            "due_date",
            "description",
            "reference",
        ]


class StatementRowSerializer(LedgerEntrySerializer):
    balance = _sum_field()

    class Meta(LedgerEntrySerializer.Meta):
        fields = [*LedgerEntrySerializer.Meta.fields, "balance"]


class BalanceSerializer(serializers.Serializer):
    account = api_fields.CharField()
    balance = _sum_field()
    as_of = serializers.DateField()
    aging = serializers.DictField(
        child=_sum_field(),
        help_text="Unpaid amounts by days overdue (payments and credits settle the oldest "
        "debts first): " + ", ".join(f"`{key}`" for key, _limit in AGING_BUCKETS) + "; "
        "`credit`: credit left over.",
    )


class AdjustmentSerializer(serializers.Serializer):
    amount = MoneyField(
        allow_negative=True,
        help_text="Yuan; > 0 debits the account, < 0 credits it (a credit note with `bill`); "
        "its size at most `WATERDESK_MONEY_MAX_AMOUNT` (`amount_too_large`).",
    )
    reason = api_fields.CharField(max_length=200)
    bill = serializers.UUIDField(required=False, allow_null=True, default=None)


# --- views ----------------------------------------------------------------------------


class _GuardedView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions: tuple | dict = ()


def _run_detail(run: BillRun) -> dict:
    progress = bill_run_progress(run)
    skipped, total = bill_run_skipped(run, limit=SKIPPED_LIMIT)
    run.refresh_from_db()
    return RunDetailSerializer(
        {
            "run": run,
            "progress": {
                **asdict(progress),
                "errors": [{"chunk": index, "error": error} for index, error in progress.errors],
            },
            "skipped": skipped,
            "skipped_total": total,
        }
    ).data


class RunListView(_GuardedView):
    required_permissions = {"GET": ("billing.view_billrun",), "POST": ("billing.run_billing",)}

    @extend_schema(
        operation_id="billing_runs_list",
        summary="Bill runs",
        description="The latest bill runs (50), newest first.",
        responses={200: RunSerializer(many=True), 401: _UNAUTHENTICATED, 403: _FORBIDDEN},
    )
    def get(self, request: Request) -> Response:
        return Response(RunSerializer(bill_run_list()[:50], many=True).data)

    @extend_schema(
        operation_id="billing_runs_start",
        summary="Start a bill run for a cycle",
        description="Plans the run (the accounts not billed yet for the cycle, in chunks) and "
        "starts it: the chunks are queued to the workers (in the embedded mode they run before "
        "the response). Poll the run for its progress.",
        request=RunStartSerializer,
        parameters=[IdempotencyKeyHeader],
        responses={
            201: RunDetailSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
            **IDEMPOTENCY_RESPONSES,
        },
    )
    # Not atomic: the chunks are queued when the run's transaction commits.
    @idempotent(atomic=False)
    def post(self, request: Request) -> Response:
        data = RunStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        cycle = reading_cycle_get(code=data.validated_data["cycle"])
        run = bill_run_create(
            actor=request.user, cycle=cycle, chunk_size=data.validated_data["chunk_size"]
        )
        run = bill_run_start(run=run)
        return Response(_run_detail(run), status=status.HTTP_201_CREATED)


class RunDetailView(_GuardedView):
    required_permissions = ("billing.view_billrun",)

    @extend_schema(
        operation_id="billing_runs_retrieve",
        summary="A bill run's progress",
        description="Counts summed from the chunks, failed chunks with their error, and the "
        f"skipped accounts with the reason (the first {SKIPPED_LIMIT}).",
        responses={
            200: RunDetailSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        return Response(_run_detail(bill_run_get(public_id=public_id)))


class RunResumeView(_GuardedView):
    required_permissions = ("billing.run_billing",)

    @extend_schema(
        operation_id="billing_runs_resume",
        summary="Resume a failed or interrupted run",
        description="Queues again the chunks that failed, are pending, or were left running "
        "by a worker that died. Completed chunks are never billed again.",
        request=None,
        parameters=[IdempotencyKeyHeader],
        responses={
            200: RunDetailSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
            **IDEMPOTENCY_RESPONSES,
        },
    )
    @idempotent(atomic=False)
    def post(self, request: Request, public_id) -> Response:
        run = bill_run_resume(run=bill_run_get(public_id=public_id))
        return Response(_run_detail(run))


class AccountBillsView(generics.ListAPIView):
    serializer_class = BillSerializer
    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("billing.view_bill",)

    @extend_schema(
        operation_id="billing_account_bills",
        summary="An account's bills",
        responses={
            200: BillSerializer(many=True),
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: OpenApiResponse(
                ErrorSerializer,
                description="`not_found` (no such account, or a page past the last)",
            ),
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return bill_list_for_account(
            account_get(public_id=self.kwargs["public_id"])
        ).select_related("account")


class AccountLedgerView(_GuardedView):
    required_permissions = ("billing.view_ledgerentry",)

    @extend_schema(
        operation_id="billing_account_ledger",
        summary="An account's ledger",
        description="Every entry in posting order with the running balance after it.",
        responses={
            200: StatementRowSerializer(many=True),
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        entries = []
        for row in account_statement(account_get(public_id=public_id)):
            row.entry.balance = row.balance
            entries.append(row.entry)
        return Response(StatementRowSerializer(entries, many=True).data)


class AccountBalanceView(_GuardedView):
    required_permissions = ("billing.view_ledgerentry",)

    @extend_schema(
        operation_id="billing_account_balance",
        summary="An account's balance and aging",
        responses={
            200: BalanceSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        account = account_get(public_id=public_id)
        today = timezone.localdate()
        aging = account_aging(account, as_of=today)
        aging.pop("balance")
        payload = {
            "account": account.number,
            "balance": account_balance(account),
            "as_of": today,
            "aging": aging,
        }
        return Response(BalanceSerializer(payload).data)


class AccountAdjustmentView(_GuardedView):
    required_permissions = ("billing.post_adjustment",)

    @extend_schema(
        operation_id="billing_account_adjust",
        summary="Post an adjustment or a credit note",
        description="An adjustment to the account's ledger (> 0 debit, < 0 credit); with "
        "`bill`, a negative amount is a credit note against that bill. Issued bills never "
        "change.",
        request=AdjustmentSerializer,
        parameters=[IdempotencyKeyHeader],
        responses={
            201: LedgerEntrySerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="`idempotency_key_in_progress`"),
            **IDEMPOTENCY_RESPONSES,
        },
    )
    @idempotent()
    def post(self, request: Request, public_id) -> Response:
        account = account_get(public_id=public_id)
        data = AdjustmentSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        bill = bill_get(public_id=values["bill"]) if values["bill"] else None
        entry = ledger_post_adjustment(
            actor=request.user,
            account=account,
            amount=values["amount"],
            reason=values["reason"],
            bill=bill,
        )
        return Response(LedgerEntrySerializer(entry).data, status=status.HTTP_201_CREATED)


class BillDetailView(_GuardedView):
    required_permissions = ("billing.view_bill",)

    @extend_schema(
        operation_id="billing_bills_retrieve",
        summary="A bill",
        description="The bill with its lines, the opening and closing register values, "
        "whether an estimated read is in it, and the balance brought forward.",
        responses={
            200: BillDetailSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        statement = bill_statement(bill_get(public_id=public_id))
        bill = statement.bill
        bill.opening_value = statement.opening_value
        bill.closing_value = statement.closing_value
        bill.is_estimated = statement.is_estimated
        bill.balance_brought_forward = statement.balance_brought_forward
        bill.total_due = statement.total_due
        return Response(BillDetailSerializer(bill).data)


class _PdfNegotiation(BaseContentNegotiation):
    """The statement is always a PDF and its errors always JSON, whatever is accepted."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class _PdfView(_GuardedView):
    """A customer document: always a PDF, to whoever may view bills."""

    required_permissions = ("billing.view_bill",)
    content_negotiation_class = _PdfNegotiation
    responses = {
        (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
        401: _UNAUTHENTICATED,
        403: _FORBIDDEN,
        404: _NOT_FOUND,
    }


class BillPdfView(_PdfView):
    @extend_schema(
        operation_id="billing_bills_pdf",
        summary="A bill statement (PDF)",
        responses=_PdfView.responses,
    )
    def get(self, request: Request, public_id) -> HttpResponse:
        bill = bill_get(public_id=public_id)
        return pdf_response(bill_pdf(bill), f"{bill.number}.pdf")


class AccountNoticePdfView(_PdfView):
    @extend_schema(
        operation_id="billing_account_notice_pdf",
        summary="An account's fee notice (PDF)",
        description="The fee notice (缴费通知单) of the account today: its unpaid bills and "
        "charges (payments settle the oldest first), the total due, by when and how to pay, "
        "and the payment QR code when one is configured.",
        responses=_PdfView.responses,
    )
    def get(self, request: Request, public_id) -> HttpResponse:
        account = account_get(public_id=public_id)
        return pdf_response(fee_notice_pdf(account), f"notice-{account.number}.pdf")


urlpatterns = [
    path("runs/", RunListView.as_view(), name="billing-run-list"),
    path("runs/<uuid:public_id>/", RunDetailView.as_view(), name="billing-run-detail"),
    path("runs/<uuid:public_id>/resume/", RunResumeView.as_view(), name="billing-run-resume"),
    path(
        "accounts/<uuid:public_id>/bills/",
        AccountBillsView.as_view(),
        name="billing-account-bills",
    ),
    path(
        "accounts/<uuid:public_id>/ledger/",
        AccountLedgerView.as_view(),
        name="billing-account-ledger",
    ),
    path(
        "accounts/<uuid:public_id>/balance/",
        AccountBalanceView.as_view(),
        name="billing-account-balance",
    ),
    path(
        "accounts/<uuid:public_id>/adjustments/",
        AccountAdjustmentView.as_view(),
        name="billing-account-adjustments",
    ),
    path(
        "accounts/<uuid:public_id>/notice/pdf/",
        AccountNoticePdfView.as_view(),
        name="billing-account-notice-pdf",
    ),
    path("bills/<uuid:public_id>/", BillDetailView.as_view(), name="billing-bill-detail"),
    path("bills/<uuid:public_id>/pdf/", BillPdfView.as_view(), name="billing-bill-pdf"),
]
