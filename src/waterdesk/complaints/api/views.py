"""The 12345 city hotline link, mounted under /api/city-hotline/ (``api:city-hotline-…``).

Only the platform's machine user may call it: ``Authorization: Token <key>``, the token
issued to it in the admin, holding ``complaints.transfer_city_hotline`` (no staff role has
it). A wrong token is 401 (and counted: too many from one address are 429), any other user
403."""

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.cases.kinds import kind_spec
from waterdesk.complaints.api.serializers import (
    TransferPushSerializer,
    TransferSerializer,
)
from waterdesk.complaints.models import Complaint, EscalationLevel
from waterdesk.complaints.selectors_city import (
    city_acknowledged_cases,
    city_transfer_get,
    city_transfers,
)
from waterdesk.complaints.services.city_hotline import city_transfer_receive
from waterdesk.complaints.workflow import CITY_HOTLINE_PERMISSION, KIND
from waterdesk.core.api.pagination import PageNumberPagination
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.permissions import HasRequiredPermissions
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import NotFound

_UNAUTHENTICATED = OpenApiResponse(
    ErrorSerializer, description="`not_authenticated` (no token, or a wrong or revoked one)"
)
_FORBIDDEN = OpenApiResponse(ErrorSerializer, description="`not_permitted`: not the platform")
_TOO_MANY = OpenApiResponse(ErrorSerializer, description="`too_many_failures`")


def transfer_data(complaint: Complaint, acknowledged: bool) -> dict:
    case = complaint.case
    spec = kind_spec(KIND)
    rounds = sorted(complaint.rounds.all(), key=lambda r: r.number)
    outcome = None
    if case.closed_at is not None:
        replied = [r for r in rounds if r.replied_at is not None]
        last = replied[-1] if replied else None
        outcome = {
            "status": case.status,
            "closed_at": case.closed_at,
            "reply": last.reply if last else "",
            "basis": last.basis if last else "",
            "response": last.response if last else "",
        }
    return {
        "reference": complaint.city_reference,
        "case_number": case.number,
        "status": case.status,
        "status_label": spec.status_label(case.status),
        "acknowledged": acknowledged,
        "deadline": complaint.city_deadline,
        "opened_at": case.opened_at,
        "round": complaint.round,
        "escalation_level": complaint.escalation_level,
        "escalation_label": str(EscalationLevel(complaint.escalation_level).label),
        "rounds": [
            {
                "number": r.number,
                "opened_at": r.opened_at,
                "reason": r.reason,
                "reply": r.reply,
                "basis": r.basis,
                "replied_at": r.replied_at,
                "response": r.response,
                "response_note": r.response_note,
                "response_at": r.response_at,
            }
            for r in rounds
        ],
        "closed_at": case.closed_at,
        "outcome": outcome,
    }


def _serialized(complaints: list[Complaint]) -> list[dict]:
    acknowledged = city_acknowledged_cases(complaints)
    return [
        TransferSerializer(transfer_data(c, c.case_id in acknowledged)).data for c in complaints
    ]


class _PlatformView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [HasRequiredPermissions]
    required_permissions = (CITY_HOTLINE_PERMISSION,)


class UpdatedSinceSerializer(serializers.Serializer):
    updated_since = serializers.DateTimeField(required=False)


class TransferListView(_PlatformView):
    @extend_schema(
        operation_id="city_hotline_transfers_list",
        summary="12345 transfers changed since a time (polling)",
        description="The transfers, oldest first, paginated; with `updated_since`, those "
        "opened, moved, replied, answered or closed after it.",
        parameters=[
            OpenApiParameter(
                "updated_since",
                OpenApiTypes.DATETIME,
                description="ISO 8601; only transfers changed after it.",
            ),
            OpenApiParameter("page", OpenApiTypes.INT),
        ],
        responses={
            200: TransferSerializer(many=True),
            400: OpenApiResponse(ErrorSerializer, description="`invalid_input`"),
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="`not_found`: no such page"),
            429: _TOO_MANY,
        },
    )
    def get(self, request: Request) -> Response:
        query = UpdatedSinceSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        transfers = city_transfers(updated_since=query.validated_data.get("updated_since"))
        paginator = PageNumberPagination()
        page = paginator.paginate_queryset(transfers, request, view=self)
        return paginator.get_paginated_response(_serialized(list(page)))

    @extend_schema(
        operation_id="city_hotline_transfers_push",
        summary="Push a 12345 work order (transfer)",
        description="Opens a complaint (channel `city_hotline`) with the platform's "
        "reference, deadline and the body as sent: 201 with the transfer. The same body "
        "again under the same reference: 200 with the same transfer, nothing changed. "
        "Another body under a known reference: 409 `duplicate_reference`, nothing changed. "
        "The platform's category text is mapped to ours (else 其他).",
        request=TransferPushSerializer,
        responses={
            201: TransferSerializer,
            200: TransferSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`invalid_input` (see `fields`), `invalid_phone`, "
                "`deadline_past`, `too_long`, `required`: `field` names the platform's input.",
            ),
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`duplicate_reference`: the reference was pushed with another body.",
            ),
            429: _TOO_MANY,
        },
    )
    def post(self, request: Request) -> Response:
        data = TransferPushSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        payload = dict(request.data)
        received = city_transfer_receive(actor=request.user, payload=payload, **data.validated_data)
        complaint = city_transfer_get(received.case.complaint.city_reference)
        return Response(
            _serialized([complaint])[0],
            status=status.HTTP_201_CREATED if received.created else status.HTTP_200_OK,
        )


class TransferDetailView(_PlatformView):
    @extend_schema(
        operation_id="city_hotline_transfers_pull",
        summary="Pull a 12345 transfer: our handling, replies and outcome",
        responses={
            200: TransferSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: OpenApiResponse(ErrorSerializer, description="`not_found`"),
            429: _TOO_MANY,
        },
    )
    def get(self, request: Request, reference: str) -> Response:
        complaint = city_transfer_get(reference)
        if complaint is None:
            raise NotFound(_("没有这个 12345 工单号的转办件。"))
        return Response(_serialized([complaint])[0])
