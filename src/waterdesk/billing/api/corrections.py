"""Correcting a read before it is billed, mounted at /api/billing/reads/<id>/correct/.

Idempotent like the money-changing calls: the ``Idempotency-Key`` header is required, and
a retry with the same key and body gets the first answer again instead of a second
correction (``waterdesk.core.api.idempotency``).
"""

from django.urls import path
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from waterdesk.billing.api.reading import (
    _FORBIDDEN,
    _INVALID,
    _NOT_FOUND,
    _UNAUTHENTICATED,
    MeterReadSerializer,
    _GuardedView,
)
from waterdesk.billing.models import MeterReadCorrection
from waterdesk.billing.selectors.corrections import meter_read_corrections
from waterdesk.billing.selectors.reading import meter_read_get, reader_may_read_account
from waterdesk.billing.services.reading import meter_read_correct
from waterdesk.core.api import fields as api_fields
from waterdesk.core.api.idempotency import IDEMPOTENCY_RESPONSES, IdempotencyKeyHeader, idempotent
from waterdesk.core.api.serializers import ErrorSerializer, UserRefSerializer
from waterdesk.core.errors import NotFound


class CorrectionSerializer(serializers.ModelSerializer):
    corrected_by = UserRefSerializer(allow_null=True)
    # Plain text: the read's own ``status`` names the enum in the schema.
    old_status = api_fields.CharField(help_text="The read's status before: as `status`.")
    new_status = api_fields.CharField(help_text="The read's status after: as `status`.")

    class Meta:
        model = MeterReadCorrection
        fields = [
            "old_value",
            "new_value",
            "old_consumption",
            "new_consumption",
            "old_status",
            "new_status",
            "old_issues",
            "reason",
            "corrected_by",
            "corrected_at",
        ]


class CorrectedReadSerializer(MeterReadSerializer):
    corrections = serializers.SerializerMethodField()

    class Meta(MeterReadSerializer.Meta):
        fields = [*MeterReadSerializer.Meta.fields, "corrections"]

    @extend_schema_field(CorrectionSerializer(many=True))
    def get_corrections(self, read) -> list[dict]:
        return CorrectionSerializer(meter_read_corrections(read), many=True).data


class ReadCorrectSerializer(serializers.Serializer):
    value = api_fields.CharField(
        max_length=20, help_text="The right register value: a number ≥ 0, ≤ 2 decimals."
    )
    reason = api_fields.CharField(
        max_length=300, required=False, allow_blank=True, default="", help_text="Required."
    )


class ReadCorrectView(_GuardedView):
    required_permissions = ("billing.add_meterread",)

    @extend_schema(
        operation_id="billing_reads_correct",
        summary="Correct a read before it is billed",
        description="Replaces the read's value and runs the read rules again: the read is "
        "`validated` or goes to review (`needs_review`). The old value, consumption, status "
        "and issues are kept in `corrections` with who, when and the `reason` (required: "
        "`reason_required`). Refused: `read_unchanged`, `read_over_maximum`, "
        "`read_not_correctable` (rejected, or a new meter's initial reading), `read_billed` "
        "(a bill covers it: adjust the bill instead), `read_not_latest` (the meter has a "
        "later read). A reader may correct the reads of their routes only (404 otherwise).",
        parameters=[IdempotencyKeyHeader],
        request=ReadCorrectSerializer,
        responses={
            200: CorrectedReadSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`read_not_correctable`, `read_billed`, `read_not_latest`, "
                "`idempotency_key_in_progress`.",
            ),
            **IDEMPOTENCY_RESPONSES,
        },
    )
    @idempotent()
    def post(self, request: Request, read_id: int) -> Response:
        read = meter_read_get(pk=read_id)
        if not reader_may_read_account(request.user, read.account):
            raise NotFound()
        data = ReadCorrectSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        read = meter_read_correct(actor=request.user, read=read, **data.validated_data)
        return Response(CorrectedReadSerializer(meter_read_get(pk=read.pk)).data)


urlpatterns = [
    path("reads/<int:read_id>/correct/", ReadCorrectView.as_view(), name="billing-read-correct"),
]
