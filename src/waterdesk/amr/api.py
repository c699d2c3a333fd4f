"""The head-ends' API, included by the api shell under /api/ ("api:" namespace).

A head-end authenticates with its own token (``Authorization: Token <key>``; only the key's
hash is stored, see ``services.head_ends``). A wrong or revoked key is 401, any other user
403.

- ``POST /api/amr/readings/``: a batch of at most 5,000 readings. Idempotent by meter and
  timestamp: the answer counts what was received, stored, found already stored
  (``duplicate``), and lists each refused item with its index and reason.
- ``POST /api/amr/valve-commands/<public_id>/confirm/``: the head-end's confirmation (or
  failure) of a valve command; repeating the same confirmation changes nothing.
"""

from django.urls import path
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.amr.models import HeadEnd, ValveCommand
from waterdesk.amr.services.head_ends import head_end_for_token
from waterdesk.amr.services.readings import PUSH_LIMIT, readings_push
from waterdesk.amr.services.valves import valve_command_confirm
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import NotFound


class HeadEndTokenAuthentication(TokenAuthentication):
    """``Token <key>`` looked up by its SHA-256 hash among the active head-ends; the
    request's user is the head-end's machine user and ``request.auth`` the head-end."""

    def authenticate_credentials(self, key):
        head_end = head_end_for_token(key)
        if head_end is None or not head_end.user.is_active:
            raise exceptions.AuthenticationFailed("invalid token")
        return head_end.user, head_end

    def authenticate_header(self, request):
        return 'Token realm="waterdesk"'


class HeadEndTokenScheme(OpenApiAuthenticationExtension):
    target_class = "waterdesk.amr.api.HeadEndTokenAuthentication"
    name = "headEndToken"
    priority = 1

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Token <key>`: the head-end's own key (only its hash is stored).",
        }


class IsHeadEnd(BasePermission):
    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, HeadEnd)


class _HeadEndView(APIView):
    authentication_classes = [HeadEndTokenAuthentication]
    permission_classes = [IsHeadEnd]
    parser_classes = [JSONParser]


class ReadingItemSerializer(serializers.Serializer):
    device_id = serializers.CharField(help_text="The meter's device id (IMEI / NB-IoT id).")
    read_at = serializers.CharField(
        help_text="ISO 8601 timestamp; without an offset it is Asia/Shanghai time."
    )
    value = serializers.CharField(help_text="Register value in m³ (≥ 0, at most 3 decimals).")
    reverse_flow = serializers.BooleanField(required=False)
    low_battery = serializers.BooleanField(required=False)
    leak = serializers.BooleanField(required=False)
    night_flow = serializers.CharField(
        required=False, help_text="Minimum night flow in m³/h, when the head-end computes it."
    )
    battery_percent = serializers.IntegerField(required=False, min_value=0, max_value=100)


class PushSerializer(serializers.Serializer):
    readings = ReadingItemSerializer(many=True, help_text=f"At most {PUSH_LIMIT} items.")


class RejectedSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Position of the item in `readings` (from 0).")
    device_id = serializers.CharField()
    code = serializers.ChoiceField(
        choices=[
            "unknown_meter",
            "meter_of_another_head_end",
            "invalid_value",
            "invalid_timestamp",
            "reading_in_future",
            "older_than_billed_read",
            "invalid_flag",
        ]
    )
    message = serializers.CharField()


class PushResultSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    stored = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    rejected = RejectedSerializer(many=True)


_UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="No token, or a wrong one.")


class ReadingPushView(_HeadEndView):
    @extend_schema(
        operation_id="amr_readings_push",
        summary="Push a batch of remote-meter readings",
        description=(
            f"At most {PUSH_LIMIT} readings per request. Each (meter, read_at) is stored once: "
            "a repeat counts as `duplicate`. Items are judged one by one; refused items are "
            "listed with their index and reason and do not stop the others."
        ),
        request=PushSerializer,
        responses={
            200: PushResultSerializer,
            400: OpenApiResponse(ErrorSerializer, description="`batch_too_large`, bad body"),
            401: _UNAUTHENTICATED,
        },
        tags=["amr"],
    )
    def post(self, request: Request) -> Response:
        items = request.data.get("readings") if isinstance(request.data, dict) else None
        if not isinstance(items, list):
            raise serializers.ValidationError({"readings": ["A list of readings is required."]})
        result = readings_push(head_end=request.auth, items=items)
        return Response(
            {
                "received": result.received,
                "stored": result.stored,
                "duplicate": result.duplicate,
                "rejected": result.rejected,
            }
        )


class ConfirmSerializer(serializers.Serializer):
    confirmation_id = serializers.CharField(max_length=64)
    confirmed_at = serializers.DateTimeField(required=False)
    succeeded = serializers.BooleanField(default=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300)


class CommandSerializer(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    action = serializers.CharField()
    state = serializers.CharField()
    confirmation_id = serializers.CharField()
    confirmed_at = serializers.DateTimeField(allow_null=True)


class ValveConfirmView(_HeadEndView):
    @extend_schema(
        operation_id="amr_valve_command_confirm",
        summary="Confirm (or report the failure of) a valve command",
        request=ConfirmSerializer,
        responses={
            200: CommandSerializer,
            401: _UNAUTHENTICATED,
            404: OpenApiResponse(ErrorSerializer, description="`not_found`"),
            409: OpenApiResponse(
                ErrorSerializer,
                description="`confirmation_conflict`, `not_sent`, `not_your_command`",
            ),
        },
        tags=["amr"],
    )
    def post(self, request: Request, public_id) -> Response:
        serializer = ConfirmSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        command = ValveCommand.objects.filter(public_id=public_id).first()
        if command is None:
            raise NotFound()
        command = valve_command_confirm(
            head_end=request.auth, command=command, **serializer.validated_data
        )
        return Response(CommandSerializer(command).data, status=status.HTTP_200_OK)


urlpatterns = [
    path("amr/readings/", ReadingPushView.as_view(), name="amr-readings"),
    path(
        "amr/valve-commands/<uuid:public_id>/confirm/",
        ValveConfirmView.as_view(),
        name="amr-valve-confirm",
    ),
]
