"""Meter-reading API, mounted at /api/billing/ (URL names ``api:billing-read-…``).

Thin: a serializer parses the request, one service or selector does the work; errors
become responses in ``waterdesk.api.errors``. Readers may only read the accounts of their
routes; billing clerks (who review reads) any.
"""

from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.billing.models import MeterRead, ReadImport, ReadKind, ReadSource
from waterdesk.billing.read_rules import ISSUE_LABELS
from waterdesk.billing.selectors.reading import (
    meter_read_get,
    reader_may_read_account,
    reading_cycle_get,
    reads_for_review,
    route_get_for_user,
)
from waterdesk.billing.services.reading import (
    meter_read_approve,
    meter_read_record,
    meter_read_reject,
    read_import_csv,
)
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.permissions import HasRequiredPermissions
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.customers.models import Account, Meter

_INVALID = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_input` (see `fields`) or a domain code such as "
    "`invalid_read_value`, `read_in_future`, `read_duplicate` (see `field`).",
)
_UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="`not_authenticated`")
_FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="`not_permitted` (role, or an account off the reader's routes)"
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="`not_found`")
_CONFLICT = OpenApiResponse(
    ErrorSerializer, description="`read_not_pending` or `earlier_read_pending`."
)


# --- serializers ----------------------------------------------------------------------


class IssueSerializer(serializers.Serializer):
    code = api_fields.CharField()
    label = api_fields.CharField()


class PreviousReadSerializer(serializers.ModelSerializer):
    # Plain text: the read's own ``kind`` names the enum in the schema.
    kind = api_fields.CharField(help_text="Read kind, as the read's `kind`.")

    class Meta:
        model = MeterRead
        fields = ["id", "read_on", "value", "kind"]


class MeterReadSerializer(serializers.ModelSerializer):
    account = api_fields.CharField(source="account.number")
    meter = api_fields.CharField(source="meter.serial")
    cycle = api_fields.CharField(source="cycle.code", allow_null=True, default=None)
    previous = PreviousReadSerializer(allow_null=True)
    issues = serializers.SerializerMethodField()

    class Meta:
        model = MeterRead
        fields = [
            "id",
            "account",
            "meter",
            "cycle",
            "read_on",
            "value",
            "kind",
            "source",
            "status",
            "previous",
            "consumption",
            "issues",
            "note",
            "entered_at",
            "reviewed_at",
            "review_note",
        ]

    @extend_schema(responses=IssueSerializer(many=True))
    def get_issues(self, read: MeterRead) -> list[dict]:
        return [{"code": code, "label": str(ISSUE_LABELS.get(code, code))} for code in read.issues]


class ReadRecordSerializer(serializers.Serializer):
    account = api_fields.CharField(max_length=20, help_text="Account number.")
    meter = api_fields.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="Meter serial; may be left out when the account has one installed meter.",
    )
    read_on = serializers.DateField()
    value = api_fields.CharField(
        max_length=20, help_text="Register value: a number ≥ 0 with at most two decimals."
    )
    # Plain text: the service answers a wrong value with ``invalid_read_kind`` /
    # ``invalid_read_source``.
    kind = api_fields.CharField(
        max_length=20, default=ReadKind.ACTUAL, help_text="`actual` (default) or `estimated`."
    )
    source = api_fields.CharField(
        max_length=20,
        default=ReadSource.MANUAL,
        help_text="`manual` (default), `handheld` or `amr`.",
    )
    note = api_fields.CharField(max_length=300, required=False, allow_blank=True, default="")


class ReadImportUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="CSV: account_number,meter_serial,read_on,value,kind")
    source = api_fields.CharField(max_length=20, help_text="`handheld` or `amr`.")


class ImportErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    code = api_fields.CharField()
    message = api_fields.CharField()


class ReadImportSerializer(serializers.ModelSerializer):
    errors = ImportErrorSerializer(many=True)

    class Meta:
        model = ReadImport
        fields = [
            "public_id",
            "source",
            "file_name",
            "sha256",
            "uploaded_at",
            "lines_total",
            "lines_imported",
            "lines_duplicate",
            "lines_failed",
            "errors",
        ]


class ReviewQuerySerializer(serializers.Serializer):
    cycle = api_fields.CharField(required=False, help_text="Cycle code, e.g. 2026-03.")
    route = api_fields.CharField(required=False, help_text="Route code.")
    issue = serializers.ChoiceField(choices=list(ISSUE_LABELS), required=False)


class ApproveSerializer(serializers.Serializer):
    consumption = api_fields.CharField(
        max_length=20,
        required=False,
        allow_blank=True,
        allow_null=True,
        default=None,
        help_text="Corrected consumption (m³); a note is then required.",
    )
    note = api_fields.CharField(max_length=300, required=False, allow_blank=True, default="")


class RejectSerializer(serializers.Serializer):
    note = api_fields.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required."
    )


# --- views ----------------------------------------------------------------------------


class _GuardedView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions: tuple | dict = ()


class ReadRecordView(_GuardedView):
    required_permissions = ("billing.add_meterread",)

    @extend_schema(
        operation_id="billing_reads_record",
        summary="Record a meter read",
        description="Stores the read. Bad input is refused with a domain code; a read that "
        "fails a business check (negative consumption, roll-over without history, jump) is "
        "stored with status `needs_review` and its `issues`, and is never billed before "
        "review.",
        request=ReadRecordSerializer,
        responses={
            201: MeterReadSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        data = ReadRecordSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        account = Account.objects.filter(number=values["account"].strip()).first()
        if account is None:
            raise InvalidInput(_("账户不存在。"), code="unknown_account", field="account")
        if not reader_may_read_account(request.user, account):
            raise NotPermitted(_("该账户不在您的抄表路线上。"), code="account_not_on_route")
        meter = None
        if values["meter"].strip():
            meter = Meter.objects.filter(serial=values["meter"].strip().upper()).first()
            if meter is None:
                raise InvalidInput(_("水表不存在。"), code="unknown_meter", field="meter")
        read = meter_read_record(
            actor=request.user,
            account=account,
            meter=meter,
            read_on=values["read_on"],
            value=values["value"],
            kind=values["kind"],
            source=values["source"],
            note=values["note"],
        )
        return Response(MeterReadSerializer(read).data, status=status.HTTP_201_CREATED)


class ReadImportView(_GuardedView):
    parser_classes = [MultiPartParser, FormParser]
    required_permissions = ("billing.import_meterread",)

    @extend_schema(
        operation_id="billing_reads_import",
        summary="Import a handheld / AMR read file",
        description="CSV with a header (`account_number,meter_serial,read_on,value,kind,note` "
        "or the Chinese names), UTF-8 (BOM optional) or GBK. Good lines are imported once "
        "(a line already recorded counts as a duplicate), bad lines are listed in `errors` "
        "with line number, code and message. A file that cannot be read at all is a 400 "
        "(`import_encoding`, `import_header`, `import_empty`, `import_too_large`).",
        request={"multipart/form-data": ReadImportUploadSerializer},
        responses={
            201: ReadImportSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        upload = ReadImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        file = upload.validated_data["file"]
        batch = read_import_csv(
            actor=request.user,
            source=upload.validated_data["source"],
            file_name=file.name,
            content=file.read(),
        )
        return Response(ReadImportSerializer(batch).data, status=status.HTTP_201_CREATED)


class ReviewQueueView(generics.ListAPIView):
    serializer_class = MeterReadSerializer
    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions = ("billing.review_meterread",)

    @extend_schema(
        operation_id="billing_reads_review_queue",
        summary="Reads waiting for review",
        description="Oldest first; filter by cycle code, route code and issue code.",
        parameters=[ReviewQuerySerializer],
        responses={
            200: MeterReadSerializer(many=True),
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = ReviewQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        filters = query.validated_data
        return reads_for_review(
            cycle=reading_cycle_get(code=filters["cycle"]) if filters.get("cycle") else None,
            route=(
                route_get_for_user(user=self.request.user, code=filters["route"])
                if filters.get("route")
                else None
            ),
            issue=filters.get("issue"),
        )


class ReadApproveView(_GuardedView):
    required_permissions = ("billing.review_meterread",)

    @extend_schema(
        operation_id="billing_reads_approve",
        summary="Approve a read from the review queue",
        description="The read becomes `validated`; its consumption is measured again against "
        "the meter's last validated read, or set to `consumption` (then `note` is required). "
        "A read whose consumption cannot be computed needs `consumption` "
        "(`consumption_required`).",
        request=ApproveSerializer,
        responses={
            200: MeterReadSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    def post(self, request: Request, read_id: int) -> Response:
        read = meter_read_get(pk=read_id)
        data = ApproveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        read = meter_read_approve(actor=request.user, read=read, **data.validated_data)
        return Response(MeterReadSerializer(meter_read_get(pk=read.pk)).data)


class ReadRejectView(_GuardedView):
    required_permissions = ("billing.review_meterread",)

    @extend_schema(
        operation_id="billing_reads_reject",
        summary="Reject a read from the review queue",
        description="The read becomes `rejected` and is never billed; a note is required "
        "(`note_required`).",
        request=RejectSerializer,
        responses={
            200: MeterReadSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
        },
    )
    def post(self, request: Request, read_id: int) -> Response:
        read = meter_read_get(pk=read_id)
        data = RejectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        read = meter_read_reject(actor=request.user, read=read, note=data.validated_data["note"])
        return Response(MeterReadSerializer(meter_read_get(pk=read.pk)).data)


urlpatterns = [
    path("reads/", ReadRecordView.as_view(), name="billing-read-record"),
    path("reads/import/", ReadImportView.as_view(), name="billing-read-import"),
    path("reads/review/", ReviewQueueView.as_view(), name="billing-read-review"),
    path("reads/<int:read_id>/approve/", ReadApproveView.as_view(), name="billing-read-approve"),
    path("reads/<int:read_id>/reject/", ReadRejectView.as_view(), name="billing-read-reject"),
]
