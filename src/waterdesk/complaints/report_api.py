"""``GET|POST /api/reports/<public_id>/identity/``: the reporter's identity for a
supervisor, with a reason (``?reason=`` or the body's ``reason``); logged. Anyone else
logged in is refused (403 ``identity_not_permitted``) and the attempt logged too."""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.complaints.models import IdentityViewChannel
from waterdesk.complaints.report_selectors import report_case_get
from waterdesk.complaints.report_serializers import IdentityRequestSerializer, IdentitySerializer
from waterdesk.complaints.services.report import reporter_identity_view
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.serializers import ErrorSerializer

_RESPONSES = {
    200: IdentitySerializer,
    400: OpenApiResponse(ErrorSerializer, description="No reason given (`reason_required`)."),
    401: OpenApiResponse(ErrorSerializer, description="Not logged in."),
    403: OpenApiResponse(
        ErrorSerializer,
        description="Not a supervisor (`identity_not_permitted`): refused and logged.",
    ),
    404: OpenApiResponse(ErrorSerializer, description="No such report."),
}


def _answer(case, identity) -> dict:
    return {
        "case": case.number,
        "anonymous": identity.is_anonymous,
        "name": identity.name,
        "phone": identity.phone,
        "email": identity.email,
    }


class ReportIdentityView(APIView):
    parser_classes = [JSONParser]
    # Every logged-in user reaches the service, so that every attempt is logged.
    permission_classes = [IsAuthenticated]

    def _open(self, request: Request, public_id, data) -> Response:
        case = report_case_get(public_id)
        given = IdentityRequestSerializer(data=data)
        given.is_valid(raise_exception=True)
        identity = reporter_identity_view(
            actor=request.user,
            case=case,
            reason=given.validated_data["reason"],
            channel=IdentityViewChannel.API,
        )
        return Response(_answer(case, identity))

    @extend_schema(
        summary="Open a whistleblower's identity (supervisors; logged)",
        parameters=[OpenApiParameter("reason", str, required=True)],
        responses=_RESPONSES,
    )
    def get(self, request: Request, public_id) -> Response:
        return self._open(request, public_id, {"reason": request.query_params.get("reason", "")})

    @extend_schema(
        summary="Open a whistleblower's identity (supervisors; logged)",
        request=IdentityRequestSerializer,
        responses=_RESPONSES,
    )
    def post(self, request: Request, public_id) -> Response:
        return self._open(request, public_id, request.data)
