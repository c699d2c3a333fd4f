"""Idempotency keys for the API calls that change money (as payment APIs do).

Such a call must carry an ``Idempotency-Key`` header (1–100 characters, e.g. a UUID the
client makes up for the operation and sends again when it retries):

- the first request with a key claims it (``core.IdempotencyRecord``, unique per user and
  key) and stores the answer it got (status and JSON body);
- a repeat with the same key, method, path and body gets that answer again
  (``Idempotent-Replayed: true``) and nothing is done twice;
- the same key with another request is refused (422 ``idempotency_key_reused``); while the
  first request is still being worked, 409 ``idempotency_key_in_progress``;
- no key: 400 ``idempotency_key_required``.

In the default (``atomic``) mode the claim, the service and the stored answer are one
transaction: a refusal (an exception) leaves no claim, so the client may correct the
request and send it again with the same key. A concurrent duplicate waits at the claim's
unique index until the first commits, then replays its answer. A handler whose work must
commit before it answers (a bill run queues its chunks after commit) uses
``atomic=False``: the claim commits first and is released if the handler fails; a claim
left by a process that died is taken over after ``CLAIM_TIMEOUT``.
"""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from waterdesk.core.api.serializers import ErrorSerializer
from waterdesk.core.errors import DomainError, InvalidInput
from waterdesk.core.models import IdempotencyRecord

IDEMPOTENCY_HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 100
CLAIM_TIMEOUT = timedelta(hours=1)

IdempotencyKeyHeader = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    # What ``_key`` accepts: at most 100 characters, not only white space (it is stripped).
    {"type": "string", "minLength": 1, "maxLength": KEY_MAX_LENGTH, "pattern": r"\S"},
    location=OpenApiParameter.HEADER,
    required=True,
    description="1–100 characters, unique per operation (e.g. a UUID). A repeat with the same "
    "key and body gets the first answer again (header `Idempotent-Replayed: true`) and "
    "changes nothing; the key with another body: 422 `idempotency_key_reused`; while the "
    "first request is worked: 409 `idempotency_key_in_progress`; no key: 400 "
    "`idempotency_key_required`.",
)
IDEMPOTENCY_RESPONSES = {
    422: OpenApiResponse(
        ErrorSerializer, description="`idempotency_key_reused` (the key named another request)"
    )
}


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    default_message = _("该幂等键已用于另一个不同的请求，请为新操作使用新的幂等键。")
    http_status = 422


class IdempotencyKeyInProgress(DomainError):
    code = "idempotency_key_in_progress"
    default_message = _("使用该幂等键的请求仍在处理中，请稍后重试。")
    http_status = 409


def _key(request: Request) -> str:
    raw = request.headers.get(IDEMPOTENCY_HEADER)
    if raw is None or not raw.strip():
        raise InvalidInput(
            _("此操作涉及金额，请求须带 Idempotency-Key 请求头。"),
            code="idempotency_key_required",
            field=IDEMPOTENCY_HEADER,
        )
    key = raw.strip()
    if len(key) > KEY_MAX_LENGTH:
        raise InvalidInput(
            _("幂等键应为 1 到 100 个字符。"),
            code="invalid_idempotency_key",
            field=IDEMPOTENCY_HEADER,
        )
    return key


def _request_hash(request: Request) -> str:
    """Method, path and the parsed body (so that spacing and key order do not matter)."""
    data = request.data
    if hasattr(data, "lists"):  # a QueryDict
        data = {name: values for name, values in data.lists()}
    body = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    text = f"{request.method}\n{request.get_full_path()}\n{body}"
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(json.loads(record.response_body), status=record.response_status)
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(*, request: Request, key: str, digest: str) -> IdempotencyRecord | Response:
    """The new claim, or the answer to give instead (a replay)."""
    try:
        with transaction.atomic():
            return IdempotencyRecord.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.get_full_path()[:500],
                request_hash=digest,
            )
    except IntegrityError:
        pass
    # The key is taken: on PostgreSQL the insert waited for the first request's commit.
    record = IdempotencyRecord.objects.get(user=request.user, key=key)
    if record.request_hash != digest:
        raise IdempotencyKeyReused()
    if record.response_status is not None:
        return _replay(record)
    stale = timezone.now() - CLAIM_TIMEOUT
    if record.created_at < stale:
        # Left by a process that died: taken over by whoever moves it first.
        claimed = IdempotencyRecord.objects.filter(
            pk=record.pk, response_status=None, created_at=record.created_at
        ).update(created_at=timezone.now())
        if claimed:
            return record
    raise IdempotencyKeyInProgress()


def _store(record: IdempotencyRecord, response: Response) -> None:
    record.response_status = response.status_code
    record.response_body = JSONRenderer().render(response.data).decode()
    record.save(update_fields=["response_status", "response_body"])


def idempotent_response(
    request: Request, handler: Callable[[], Response], *, atomic: bool = True
) -> Response:
    """``handler()``'s answer, at most once per user and ``Idempotency-Key`` (see above)."""
    key = _key(request)
    digest = _request_hash(request)  # parses the body: a bad one is refused before the claim
    if atomic:
        with transaction.atomic():
            claim = _claim(request=request, key=key, digest=digest)
            if isinstance(claim, Response):
                return claim
            response = handler()
            _store(claim, response)
            return response
    claim = _claim(request=request, key=key, digest=digest)
    if isinstance(claim, Response):
        return claim
    answered = False
    try:
        response = handler()
        _store(claim, response)
        answered = True
        return response
    finally:
        if not answered:  # nothing to replay: the request may be sent again with the key
            IdempotencyRecord.objects.filter(pk=claim.pk, response_status=None).delete()


def idempotent(*, atomic: bool = True):
    """Decorate a view's ``post``: it runs through ``idempotent_response``. Declare
    ``IdempotencyKeyHeader`` in the view's ``extend_schema(parameters=...)``."""

    def decorate(method):
        @wraps(method)
        def wrapper(view, request, *args, **kwargs):
            return idempotent_response(
                request, lambda: method(view, request, *args, **kwargs), atomic=atomic
            )

        return wrapper

    return decorate
