"""REST endpoints: parse the request, call one selector or service, serialize the result.

Objects are always fetched through the scoped selectors (a case the user may not see is
"not found"); roles are checked at the door (``permissions``) and again by the services.
Errors become responses in ``waterdesk.api.errors``.
"""

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, PolymorphicProxySerializer, extend_schema
from rest_framework import generics, status
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from waterdesk.api import serializers as s
from waterdesk.api.permissions import case_action_check_role
from waterdesk.cases.access import case_contact_phone_reveal
from waterdesk.cases.kinds import ActionSpec, KindSpec, all_kinds, kind_spec, offered_actions
from waterdesk.cases.models import Case
from waterdesk.cases.selectors import (
    case_follow_source,
    case_get_for_user,
    case_queue,
    case_read_with_detail,
    case_scope,
)
from waterdesk.cases.services import (
    attachment_add,
    attachment_may_withdraw,
    attachment_withdraw,
    case_assign,
    case_claim,
)
from waterdesk.core.api.idempotency import (
    IDEMPOTENCY_RESPONSES,
    IdempotencyKeyHeader,
    idempotent_response,
)
from waterdesk.core.api.parsers import JSONParser
from waterdesk.core.api.permissions import HasRequiredPermissions
from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import InvalidInput, NotFound, NotPermitted
from waterdesk.core.pdf import pdf_response
from waterdesk.customers import serializers as cs
from waterdesk.customers.models import AccessChannel
from waterdesk.customers.privacy import (
    customer_lookup_count,
    customer_personal_data,
    personal_data_reveal,
    reveal_check_permitted,
)
from waterdesk.customers.selectors import customer_get, customer_search
from waterdesk.customers.services import customer_create
from waterdesk.sla.calendar import (
    UNIT_CALENDAR_HOURS,
    UNIT_WORKING_DAYS,
    UNIT_WORKING_HOURS,
    CalendarError,
    load_calendar,
)

# --- shared schema pieces -------------------------------------------------------------

_INVALID = OpenApiResponse(
    ErrorSerializer,
    description="`invalid_input` (the request does not match the schema; see `fields`) or "
    "a domain code such as `invalid_resident_id` (see `field`).",
)
_UNAUTHENTICATED = OpenApiResponse(ErrorSerializer, description="`not_authenticated`")
_FORBIDDEN = OpenApiResponse(ErrorSerializer, description="`not_permitted`")
# A case outside the user's scope: 403 if it is of the user's department, else 404.
_CASE_FORBIDDEN = OpenApiResponse(
    ErrorSerializer, description="`not_permitted`, or `case_not_in_scope` (see the error codes)"
)
_NOT_FOUND = OpenApiResponse(ErrorSerializer, description="`not_found`")
_PAGE_NOT_FOUND = OpenApiResponse(
    ErrorSerializer, description="`not_found` (a `page` past the last one)"
)
_LOOKUP_LIMITED = OpenApiResponse(ErrorSerializer, description="`lookup_rate_limited`")
_CONFLICT = OpenApiResponse(
    ErrorSerializer,
    description="`illegal_transition` (not possible in the case's status) or "
    "`concurrent_update` (somebody else moved the case first).",
)


def _case_data(case: Case, request: Request) -> dict:
    return s.CaseDetailSerializer(case, context={"request": request}).data


def _case_answer(case: Case, request: Request) -> dict:
    """The detail of a case a service has just changed, read again with its relations."""
    return _case_data(case_read_with_detail(case), request)


class _RoleGuardedView(APIView):
    parser_classes = [JSONParser]
    permission_classes = [IsAuthenticated, HasRequiredPermissions]
    required_permissions: tuple | dict = ()


# --- cases ----------------------------------------------------------------------------


@extend_schema(
    summary="Cases the user may see",
    description="Every case in the user's scope, newest first, filtered by kind, status and "
    "open/closed.",
    parameters=[s.CaseListQuerySerializer],
    responses={
        200: s.CaseListSerializer(many=True),
        400: _INVALID,
        401: _UNAUTHENTICATED,
        404: _PAGE_NOT_FOUND,
    },
)
class CaseListView(generics.ListAPIView):
    serializer_class = s.CaseListSerializer

    def get_queryset(self):
        query = s.CaseListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        cases = case_scope(self.request.user)
        filters = query.validated_data
        if filters.get("kind"):
            cases = cases.filter(kind=filters["kind"])
        if filters.get("status"):
            cases = cases.filter(status=filters["status"])
        if filters["open"] is not None:
            cases = cases.open() if filters["open"] else cases.closed()
        return cases.select_related("customer", "premise", "assignee").order_by("-opened_at", "-pk")


@extend_schema(
    summary="My queue",
    description="Open cases the user can act on now, most urgent first (green channel, then "
    "nearest deadline).",
    responses={
        200: s.QueueCaseSerializer(many=True),
        401: _UNAUTHENTICATED,
        404: _PAGE_NOT_FOUND,
    },
)
class CaseQueueView(generics.ListAPIView):
    serializer_class = s.QueueCaseSerializer

    def get_queryset(self):
        return case_queue(self.request.user)


class CaseDetailView(APIView):
    @extend_schema(
        summary="One case",
        description="The case with its kind's detail, SLA clocks, the actions this user may "
        "take now, the timeline and the attachments.",
        responses={
            200: s.CaseDetailSerializer,
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        return Response(_case_data(case, request))


class _IgnoreAcceptHeader(BaseContentNegotiation):
    """The receipt is always a PDF and its errors always JSON, whatever the client accepts."""

    def select_parser(self, request, parsers):
        return parsers[0]

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class CaseReceiptView(APIView):
    content_negotiation_class = _IgnoreAcceptHeader

    @extend_schema(
        operation_id="cases_receipt_pdf",
        summary="Intake receipt (PDF)",
        description="The printable receipt of an application (new connection, ownership "
        "transfer, usage change): case number, materials received and missing, expected "
        "completion date.",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def get(self, request: Request, public_id) -> HttpResponse:
        case = case_get_for_user(user=request.user, public_id=public_id)
        receipt = kind_spec(case.kind).documents.get("receipt")
        if receipt is None:
            raise NotFound()
        receipt.check_access(user=request.user, case=case)
        return pdf_response(receipt.render(case), f"{case.number}.pdf")


class CaseAttachmentView(_RoleGuardedView):
    parser_classes = [MultiPartParser, FormParser]
    required_permissions = ("cases.add_attachment",)

    @extend_schema(
        summary="Attach a file to a case",
        request={"multipart/form-data": s.AttachmentUploadSerializer},
        responses={
            201: s.AttachmentSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`attachment_too_large`, `attachment_type_not_allowed` or "
                "`invalid_input`.",
            ),
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
        },
    )
    def post(self, request: Request, public_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        upload = s.AttachmentUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        attachment = attachment_add(
            case=case,
            actor=request.user,
            uploaded_file=upload.validated_data["file"],
            material_code=upload.validated_data["material_code"],
        )
        return Response(s.AttachmentSerializer(attachment).data, status=status.HTTP_201_CREATED)


class CaseAttachmentWithdrawView(_RoleGuardedView):
    required_permissions = ("cases.withdraw_attachment",)

    @extend_schema(
        summary="Withdraw an attachment",
        description="Marks a wrongly uploaded file as withdrawn, with a reason. Attachments "
        "are evidence: the file and its row are kept (listed as withdrawn) and the case's "
        "timeline records who withdrew it and why. Allowed to the uploader, the case's "
        "assignee and supervisors.",
        request=s.AttachmentWithdrawSerializer,
        responses={
            200: s.AttachmentSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`reason_required` (blank reason) or `invalid_input`.",
            ),
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="`attachment_already_withdrawn`."),
        },
    )
    def post(self, request: Request, public_id, attachment_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        attachment = case.attachments.filter(public_id=attachment_id).first()
        if attachment is None:
            raise NotFound()
        if not attachment_may_withdraw(actor=request.user, attachment=attachment):
            raise NotPermitted()  # before the input is read, like the case actions
        body = s.AttachmentWithdrawSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        attachment = attachment_withdraw(
            actor=request.user, attachment=attachment, reason=body.validated_data["reason"]
        )
        return Response(s.AttachmentSerializer(attachment).data)


# --- owners -----------------------------------------------------------------------------


class CaseClaimView(_RoleGuardedView):
    @extend_schema(
        summary="Claim a case",
        description="Take an unowned case from the team queue: the caller becomes its owner. "
        "Only someone whose role has a move on the case now may claim it; claiming a case "
        "one already owns changes nothing (safe to retry).",
        request=None,
        responses={
            200: s.CaseDetailSerializer,
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(
                ErrorSerializer,
                description="`already_claimed` (somebody else owns it; a supervisor may "
                "reassign it) or `illegal_transition` (the case is closed).",
            ),
        },
    )
    def post(self, request: Request, public_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        return Response(_case_answer(case_claim(case=case, actor=request.user), request))


class CaseAssignView(_RoleGuardedView):
    required_permissions = ("cases.reassign_case",)

    @extend_schema(
        summary="Reassign a case",
        description="A supervisor gives the case to another person, with a reason recorded on "
        "the timeline. Giving it to its current owner changes nothing (safe to retry).",
        request=s.CaseAssignSerializer,
        responses={
            200: s.CaseDetailSerializer,
            400: OpenApiResponse(
                ErrorSerializer,
                description="`reason_required`, `reason_too_long`, `assignee_not_eligible` "
                "(the person's role has no move on the case now) or `invalid_input`.",
            ),
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
            409: OpenApiResponse(ErrorSerializer, description="`illegal_transition` (closed)."),
        },
    )
    def post(self, request: Request, public_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        body = s.CaseAssignSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        case = case_assign(
            case=case,
            assignee=body.validated_data["assignee"],
            actor=request.user,
            reason=body.validated_data["reason"],
        )
        return Response(_case_answer(case, request))


# --- intake of each kind ---------------------------------------------------------------


class _CaseIntakeSchema(AutoSchema):
    """The documented operation of a kind's intake endpoint, from its registration."""

    def _intake(self):
        return kind_spec(self.view.kind).intake

    def get_summary(self) -> str:
        return self._intake().summary

    def get_description(self) -> str:
        return self._intake().description

    def get_request_serializer(self):
        return self._intake().serializer

    def get_response_serializers(self):
        intake = self._intake()
        responses = {
            201: s.CaseDetailSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
        }
        if intake.joins:
            responses[200] = OpenApiResponse(
                s.CaseDetailSerializer,
                description=f"With `{intake.joins}`: the existing case the request joined.",
            )
        conflicts = [
            code for code, http, _meaning in kind_spec(self.view.kind).error_codes if http == 409
        ]
        if conflicts:
            responses[409] = OpenApiResponse(
                ErrorSerializer, description=", ".join(f"`{code}`" for code in conflicts)
            )
        return dict(sorted(responses.items()))


class CaseIntakeView(_RoleGuardedView):
    """``as_view(kind=...)``: ``POST /api/<the kind's api_path>`` registers a case of the
    kind with its intake service. ``follows`` names the open case it comes from."""

    kind: str = ""
    schema = _CaseIntakeSchema()

    @property
    def required_permissions(self) -> tuple:
        return (kind_spec(self.kind).intake.permission,)

    def post(self, request: Request) -> Response:
        intake = kind_spec(self.kind).intake
        data = intake.serializer(data=request.data)
        data.is_valid(raise_exception=True)
        arguments = dict(data.validated_data)
        if "follows" in arguments:
            arguments["follows"] = _follow_source(request, arguments["follows"])
        case = intake.service(actor=request.user, **arguments)
        joined = bool(intake.joins and arguments.get(intake.joins))
        answer = status.HTTP_200_OK if joined else status.HTTP_201_CREATED
        return Response(_case_answer(case, request), status=answer)


def _follow_source(request: Request, public_id) -> Case:
    source = case_follow_source(user=request.user, public_id=str(public_id))
    if source is None:
        raise InvalidInput(
            _("转办的原工单不存在或您无权查看。"), code="invalid_follow_up", field="follows"
        )
    return source


def intake_kinds() -> list[KindSpec]:
    """The kinds registered through the API (one endpoint each)."""
    return [spec for spec in all_kinds() if spec.intake is not None and spec.intake.api_path]


# --- case actions -----------------------------------------------------------------------


def _actions_named(name: str) -> list[tuple[KindSpec, ActionSpec]]:
    """The kinds that offer the action ``name``, with its specification there."""
    return [
        (spec, action) for spec, action_name, action in offered_actions() if action_name == name
    ]


def action_names() -> list[str]:
    """One API URL per action name that some kind offers."""
    return list(dict.fromkeys(name for _spec, name, _action in offered_actions()))


def _request_serializer(name: str):
    """The action's input: one serializer when every kind that has the action shares it,
    else one of the kinds' inputs (resolved by the case's kind at run time)."""
    inputs = list(dict.fromkeys(action.serializer for _spec, action in _actions_named(name)))
    if len(inputs) == 1:
        return inputs[0]
    return PolymorphicProxySerializer(
        component_name=f"{name.title().replace('_', '')}Input",
        serializers=inputs,
        resource_type_field_name=None,
    )


class _CaseActionSchema(AutoSchema):
    """One documented operation per action URL, each with its own request body."""

    def _is_money(self) -> bool:
        return any(action.money for _spec, action in _actions_named(self.view.action_name))

    def _transition_labels(self) -> str:
        moves = [
            f"{spec.kind}: {'/'.join(t.sources)} → {t.target} ({t.permission})"
            for spec, _action in _actions_named(self.view.action_name)
            for t in spec.workflow.transitions
            if t.action == self.view.action_name
        ]
        return "; ".join(moves)

    def get_operation_id(self) -> str:
        return f"cases_actions_{self.view.action_name}"

    def get_summary(self) -> str:
        return f"Action {self.view.action_name}"

    def get_description(self) -> str:
        return (
            f"Takes the workflow action `{self.view.action_name}` on a case and returns the "
            f"updated case. Moves: {self._transition_labels()}."
        )

    def get_request_serializer(self):
        return _request_serializer(self.view.action_name)

    def get_override_parameters(self):
        money = self._is_money()
        return [*super().get_override_parameters(), *([IdempotencyKeyHeader] if money else [])]

    def get_response_serializers(self):
        return {
            200: s.CaseDetailSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _CASE_FORBIDDEN,
            404: _NOT_FOUND,
            409: _CONFLICT,
            **(IDEMPOTENCY_RESPONSES if self._is_money() else {}),
        }


class CaseActionView(APIView):
    """``as_view(action_name=...)``: one URL per action, all served by this view; the input
    and the service are the case's kind's (``waterdesk.cases.kinds``). The actions that
    change money need an ``Idempotency-Key`` header (``waterdesk.core.api.idempotency``)."""

    action_name: str = ""
    parser_classes = [JSONParser]
    schema = _CaseActionSchema()

    def post(self, request: Request, public_id) -> Response:
        case = case_get_for_user(user=request.user, public_id=public_id)
        action = kind_spec(case.kind).actions.get(self.action_name)
        if action is None or action.internal:
            raise NotFound(_("此类工单没有该操作。"), code="unknown_action")
        case_action_check_role(user=request.user, case=case, action=self.action_name)
        if action.money:
            return idempotent_response(request, lambda: self._take(request, case, action))
        return self._take(request, case, action)

    def _take(self, request: Request, case: Case, action: ActionSpec) -> Response:
        payload = action.serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        case = action.service(actor=request.user, case=case, **payload.validated_data)
        return Response(_case_answer(case, request))


# --- customers ------------------------------------------------------------------------


class CustomerListView(_RoleGuardedView):
    required_permissions = {
        "GET": ("customers.view_customer",),
        "POST": ("customers.add_customer",),
    }

    @extend_schema(
        summary="Search customers",
        description="By name (or a fragment of it), mobile (or its last 4+ digits), ID "
        "number, account number, case number or a fragment of an address; exact key matches "
        "first, then names starting with the query. ID numbers and mobiles are masked.",
        parameters=[cs.CustomerSearchQuerySerializer],
        responses={
            200: cs.CustomerListSerializer(many=True),
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            429: _LOOKUP_LIMITED,
        },
    )
    def get(self, request: Request) -> Response:
        query = cs.CustomerSearchQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        customer_lookup_count(user=request.user)
        customers = customer_search(
            query=query.validated_data["q"], limit=query.validated_data["limit"]
        )
        return Response(cs.CustomerListSerializer(customers, many=True).data)

    @extend_schema(
        summary="Register a customer",
        request=cs.CustomerCreateSerializer,
        responses={
            201: cs.CustomerSerializer,
            400: _INVALID,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
        },
    )
    def post(self, request: Request) -> Response:
        data = cs.CustomerCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        customer = customer_create(actor=request.user, **data.validated_data)
        return Response(_customer_data(customer, request.user), status=status.HTTP_201_CREATED)


class CustomerDetailView(_RoleGuardedView):
    required_permissions = ("customers.view_customer",)

    @extend_schema(
        summary="One customer",
        responses={
            200: cs.CustomerSerializer,
            401: _UNAUTHENTICATED,
            403: _FORBIDDEN,
            404: _NOT_FOUND,
            429: _LOOKUP_LIMITED,
        },
    )
    def get(self, request: Request, public_id) -> Response:
        customer_lookup_count(user=request.user)
        return Response(_customer_data(customer_get(public_id=public_id), request.user))


def _customer_data(customer, user) -> dict:
    personal = customer_personal_data(user=user, customer=customer, channel=AccessChannel.API)
    return cs.CustomerSerializer(customer, context={"personal": personal}).data


_REVEAL_RESPONSES = {
    200: cs.RevealResponseSerializer,
    400: _INVALID,
    401: _UNAUTHENTICATED,
    403: OpenApiResponse(ErrorSerializer, description="`reveal_not_permitted`"),
    404: _NOT_FOUND,
    429: _LOOKUP_LIMITED,
}


class CustomerRevealView(_RoleGuardedView):
    required_permissions = ("customers.view_customer",)

    @extend_schema(
        summary="Show one full identifier of a customer",
        description="For a role that sees the customer's ID number, mobile, e-mail or contact "
        "address masked and needs it once: the reason is written to the personal-data access "
        "log with the user, the customer, the field and the time.",
        request=cs.CustomerRevealRequestSerializer,
        responses=_REVEAL_RESPONSES,
    )
    def post(self, request: Request, public_id) -> Response:
        reveal_check_permitted(request.user)
        data = cs.CustomerRevealRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        field = data.validated_data["field"]
        value = personal_data_reveal(
            actor=request.user,
            customer=customer_get(public_id=public_id),
            field=field,
            reason=data.validated_data["reason"],
            channel=AccessChannel.API,
        )
        return Response({"field": field, "value": value})


class CaseRevealView(_RoleGuardedView):
    @extend_schema(
        summary="Show a case's full contact phone",
        description="For a user who sees the case's contact phone masked and needs it once "
        "(`field` must be `contact_phone`); the reason is written to the access log.",
        request=s.CaseRevealRequestSerializer,
        responses=_REVEAL_RESPONSES,
    )
    def post(self, request: Request, public_id) -> Response:
        reveal_check_permitted(request.user)
        data = s.CaseRevealRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        case = case_get_for_user(user=request.user, public_id=public_id)
        value = case_contact_phone_reveal(
            actor=request.user,
            case=case,
            reason=data.validated_data["reason"],
            channel=AccessChannel.API,
        )
        return Response({"field": "contact_phone", "value": value})


# --- calendar -------------------------------------------------------------------------


class CalendarDueView(APIView):
    @extend_schema(
        summary="Due time on the working-day calendar",
        description="The start day is day 0; N working days end at the close of business on "
        "the N-th working day after it. Give exactly one of `working_days`, `working_hours` "
        "or `hours` (calendar hours).",
        parameters=[s.DueQuerySerializer],
        responses={200: s.DueSerializer, 400: _INVALID, 401: _UNAUTHENTICATED},
    )
    def get(self, request: Request) -> Response:
        query = s.DueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        start = data.get("start") or timezone.now()
        if "working_days" in data:
            unit, amount = UNIT_WORKING_DAYS, data["working_days"]
        elif "working_hours" in data:
            unit, amount = UNIT_WORKING_HOURS, data["working_hours"]
        else:
            unit, amount = UNIT_CALENDAR_HOURS, data["hours"]
        calendar = load_calendar()
        try:
            due = calendar.due_at(start, unit, amount)
        except CalendarError as exc:
            raise InvalidInput(
                _("无法计算截止时间，请检查工作日历设置。"),
                code="invalid_calendar_query",
                details={"reason": str(exc)},
            ) from exc
        result = {
            "start": start,
            "unit": unit,
            "amount": amount,
            "due_at": due,
            "provisional_years": calendar.provisional_years_between(start, due),
        }
        return Response(s.DueSerializer(result).data)
