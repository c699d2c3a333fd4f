"""The one place where errors become API responses.

Every error body has a stable machine-readable ``code`` and a human ``message`` (Chinese by
default, English with ``Accept-Language: en``)::

    {"code": "illegal_transition", "message": "当前状态下不能执行此操作。",
     "field": "...", "details": {...}}           # domain errors ("field", "details" optional)
    {"code": "invalid_input", "message": "输入不正确。",
     "fields": {"contact_phone": ["该字段是必填项。"]}}   # request that fails the serializer

Clients branch on ``code``, never on ``message``. ``error_codes()`` lists the codes (the
platform's in ``ERROR_CODES``, each case kind's in its registration) and is rendered into
the OpenAPI description.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from waterdesk.cases.kinds import all_kinds
from waterdesk.core.errors import DomainError, NotFound, NotPermitted

# The challenge sent with a 401: a token issued by an administrator is one of the accepted
# schemes (sessions are the other), so a client that is told to authenticate knows how.
AUTHENTICATE_CHALLENGE = 'Token realm="waterdesk"'

# Stable codes (the contract) with their HTTP status and meaning.
ERROR_CODES: list[tuple[str, int, str]] = [
    ("invalid_input", 400, "The request does not match the schema; `fields` says where."),
    ("parse_error", 400, "The request body is not valid JSON / multipart."),
    ("body_too_deep", 400, "The JSON body nests arrays/objects more than 32 deep."),
    ("body_too_large", 413, "The JSON body is larger than 1 MiB."),
    ("amount_too_large", 400, "An amount is above WATERDESK_MONEY_MAX_AMOUNT (`details`)."),
    ("idempotency_key_required", 400, "A money-changing call needs an Idempotency-Key header."),
    ("required", 400, "A required value is missing (`field`)."),
    ("invalid_resident_id", 400, "Resident ID number (cn.ric) is not valid."),
    ("invalid_uscc", 400, "Unified social credit code (cn.uscc) is not valid."),
    ("invalid_mobile", 400, "Mobile number is not a valid mainland China mobile."),
    ("invalid_phone", 400, "Phone number is not a valid mainland China number."),
    ("invalid_email", 400, "E-mail address is not valid."),
    ("invalid_kind", 400, "Customer kind is not person/organisation."),
    ("invalid_name", 400, "Customer name is missing or too long."),
    ("customer_exists", 400, "A customer with this ID number exists (`details.customer`)."),
    ("invalid_amount", 400, "An amount is not a non-negative number."),
    ("invalid_follow_up", 400, "`follows` names no case of another kind the user may see."),
    ("unknown_case_kind", 400, "No case kind of that name is registered."),
    ("attachment_too_large", 400, "Upload larger than the configured limit."),
    ("attachment_type_not_allowed", 400, "Upload is not a PDF, JPEG or PNG file."),
    ("invalid_calendar_query", 400, "Calendar: the due-time question cannot be computed."),
    # Meter reading
    ("invalid_read_value", 400, "Read value is not a non-negative number with ≤ 2 decimals."),
    ("read_over_maximum", 400, "Read value is above the meter's maximum reading."),
    ("read_in_future", 400, "Read date lies in the future."),
    ("read_before_install", 400, "Read date lies before the meter was installed."),
    ("read_out_of_order", 400, "Read date lies before the meter's latest read."),
    ("read_duplicate", 400, "The meter already has a read of this kind that day."),
    ("meter_not_on_account", 400, "The meter is not installed on the account."),
    ("no_meter", 400, "The account has no installed meter."),
    ("meter_ambiguous", 400, "The account has several meters: name one."),
    ("unknown_account", 400, "No account with this number."),
    ("unknown_meter", 400, "No meter with this serial."),
    ("invalid_read_kind", 400, "Read kind is not one that may be entered."),
    ("invalid_read_source", 400, "Read source is not valid."),
    ("invalid_read_date", 400, "Read date is not a valid date."),
    ("invalid_note", 400, "Note is too long."),
    ("account_closed", 400, "The account is closed."),
    ("note_required", 400, "A note is required (rejection, corrected consumption)."),
    ("consumption_required", 400, "Approving this read needs a corrected consumption."),
    ("invalid_consumption", 400, "Consumption is not a non-negative number."),
    ("import_empty", 400, "The read file has no lines."),
    ("import_encoding", 400, "The read file is neither UTF-8 nor GBK."),
    ("import_header", 400, "The read file's header lacks required columns."),
    ("import_too_large", 400, "The read file is larger than allowed."),
    # Bill runs, bills and the ledger
    ("invalid_chunk_size", 400, "Bill run chunk size is out of range."),
    ("amount_zero", 400, "A ledger amount must not be zero."),
    (
        "reason_required",
        400,
        "An adjustment, reversal, withdrawal, reassignment or read correction needs a reason.",
    ),
    ("reason_too_long", 400, "A reassignment reason is longer than 200 characters."),
    ("assignee_not_eligible", 400, "The chosen owner's role cannot act on the case now."),
    ("no_cases_selected", 400, "A bulk reassignment names no case."),
    ("reference_required", 400, "A payment needs a reference."),
    ("bill_wrong_account", 400, "The bill belongs to another account."),
    ("idempotency_key_reused", 422, "The Idempotency-Key was used for a different request."),
    ("invalid_idempotency_key", 400, "The idempotency key is empty or too long."),
    ("too_long", 400, "A text is longer than allowed."),
    ("read_not_validated", 400, "A final bill needs a validated closing read."),
    ("read_wrong_account", 400, "The closing read belongs to another account."),
    ("read_already_billed", 400, "The closing read is already billed."),
    ("read_needs_review", 400, "A read up to the closing read is waiting for review."),
    ("account_not_on_route", 403, "A meter reader may only read the accounts of their routes."),
    ("invalid_route", 400, "No such reading route."),
    ("read_not_pending", 409, "The read is not waiting for review."),
    ("read_unchanged", 400, "A correction gives the read's value it has already."),
    ("read_not_correctable", 409, "A rejected read or a new meter's initial reading."),
    ("read_billed", 409, "The read is covered by a bill; correct the bill with an adjustment."),
    ("read_not_latest", 409, "Only the meter's latest read can be corrected."),
    ("earlier_read_pending", 409, "An earlier read of the meter is still waiting for review."),
    # Personal data
    ("invalid_personal_field", 400, "Reveal: the field is not one that can be revealed here."),
    ("reveal_reason_required", 400, "Reveal: a reason of 4 to 200 characters is required."),
    ("personal_field_empty", 400, "Reveal: the field holds no value."),
    ("reveal_not_permitted", 403, "Reveal: the user's role may not see full personal data."),
    ("lookup_rate_limited", 429, "Too many customer look-ups this minute; wait a minute."),
    ("not_authenticated", 401, "No or wrong credentials (session or token)."),
    ("not_permitted", 403, "The user's role may not do this."),
    (
        "case_not_in_scope",
        403,
        "The case is of the user's department but of a kind the user's role does not work "
        "on (a case of another department is `not_found`).",
    ),
    ("not_found", 404, "No such object, or the user may not see it."),
    ("unknown_action", 404, "The case's kind has no such action."),
    ("method_not_allowed", 405, "HTTP method not allowed here."),
    ("not_acceptable", 406, "The Accept header asks for a format the API cannot produce."),
    ("illegal_transition", 409, "The case's status does not allow this action now."),
    ("idempotency_key_in_progress", 409, "A request with this Idempotency-Key is running."),
    ("already_claimed", 409, "Somebody else owns the case; a supervisor may reassign it."),
    ("concurrent_update", 409, "Somebody else moved the case first; reload and retry."),
    ("run_in_progress", 409, "The cycle already has a bill run in progress."),
    ("cycle_closed", 409, "The reading cycle is closed."),
    ("run_not_pending", 409, "The bill run was already started."),
    ("run_completed", 409, "The bill run is complete; nothing to resume."),
    ("charge_not_reversible", 409, "A bill's charge is corrected with a credit note."),
    ("reversal_not_reversible", 409, "A reversal cannot itself be reversed."),
    ("already_reversed", 409, "The entry was reversed already."),
    ("attachment_already_withdrawn", 409, "The attachment was withdrawn already."),
    ("transaction_id_reused", 409, "A device's transaction id was used for another payment."),
    ("amount_above_device_limit", 400, "A device payment above WATERDESK_DEVICE_PAYMENT_LIMIT."),
    ("unsupported_media_type", 415, "The request body's content type is not accepted."),
    ("server_error", 500, "An unexpected error; it is logged. Retry later."),
    ("too_many_failures", 429, "Too many wrong tokens from this address; wait, or ask an admin."),
]


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """``handler404``: a path under /api/ that matches no URL (an unknown endpoint, an id
    that is not a UUID) answers in the API's error shape; pages get Django's page."""
    if _is_api(request):
        return JsonResponse(NotFound().as_dict(), status=404)
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: JSON under /api/, Django's page elsewhere (the error is logged)."""
    if _is_api(request):
        return JsonResponse(_body("server_error", _("服务器内部错误，请稍后重试。")), status=500)
    return defaults.server_error(request)


def error_codes() -> list[tuple[str, int, str]]:
    """Every stable code: the platform's, then each registered case kind's."""
    codes = {code: (code, http, meaning) for code, http, meaning in ERROR_CODES}
    for spec in all_kinds():
        for code, http, meaning in spec.error_codes:
            codes.setdefault(code, (code, http, meaning))
    return list(codes.values())


def error_codes_markdown() -> str:
    rows = "\n".join(f"| `{code}` | {http} | {meaning} |" for code, http, meaning in error_codes())
    return (
        "### Errors\n\n"
        "Every error response is JSON with a stable `code` and a translated `message`; domain "
        "errors may add `field` (the input at fault) and `details`; a request that fails "
        "validation (`invalid_input`) adds `fields` (input name → messages). Clients branch "
        "on `code`, never on `message`. Services may add codes; these are the current ones:\n\n"
        "| code | HTTP | meaning |\n|---|---|---|\n" + rows
    )


def _body(code: str, message, **extra) -> dict:
    return {"code": code, "message": str(message), **extra}


def exception_handler(exc, context):
    """DRF's ``EXCEPTION_HANDLER``: domain errors and DRF's own errors → one JSON shape."""
    if isinstance(exc, DomainError):
        set_rollback()
        return Response(exc.as_dict(), status=exc.http_status)
    if isinstance(exc, exceptions.ValidationError):
        set_rollback()
        fields = exc.detail if isinstance(exc.detail, dict) else {"non_field_errors": exc.detail}
        return Response(
            _body("invalid_input", _("输入不正确。"), fields=fields),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
        set_rollback()
        message = _("请先登录。") if isinstance(exc, exceptions.NotAuthenticated) else exc.detail
        return Response(
            _body("not_authenticated", message),
            status=status.HTTP_401_UNAUTHORIZED,
            headers={
                "WWW-Authenticate": getattr(exc, "auth_header", None) or AUTHENTICATE_CHALLENGE
            },
        )
    if isinstance(exc, exceptions.PermissionDenied | DjangoPermissionDenied):
        set_rollback()
        return Response(NotPermitted().as_dict(), status=status.HTTP_403_FORBIDDEN)
    if isinstance(exc, exceptions.NotFound | Http404):
        set_rollback()
        return Response(NotFound().as_dict(), status=status.HTTP_404_NOT_FOUND)

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.APIException):
        detail = exc.detail
        if not isinstance(detail, list | dict):
            code = detail.code if isinstance(detail, exceptions.ErrorDetail) else exc.default_code
            response.data = _body(code, detail)
    return response
