"""The sandbox tax platform: what the demo and the tests issue through.

It keeps what it issued in its own table (``SandboxInvoice``), dedupes on the request id
(the same id returns the invoice issued the first time), numbers its invoices like the
数电 platform (20 digits: year, an area code, digits drawn from the request id) and
serves each invoice as a real PDF at ``/e-invoices/<token>.pdf``. It has no OFD.

Tests (and the demo) make it fail: ``sandbox_fail_next(n, permanent=False,
after_issue=False)`` — the next ``n`` calls raise a temporary (or permanent) error; with
``after_issue`` the call issues the invoice first and then times out, the case a retry must
not turn into a second invoice."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from waterdesk.core.timeutil import local
from waterdesk.invoicing.adapters import (
    IssueRequest,
    IssueResult,
    PermanentPlatformError,
    TemporaryPlatformError,
)
from waterdesk.invoicing.models import SandboxInvoice

_failures: list[tuple[bool, bool, str]] = []  # (permanent, after_issue, reason), in order


def sandbox_fail_next(
    count: int = 1, *, permanent: bool = False, after_issue: bool = False, reason: str = ""
) -> None:
    """Make the next ``count`` calls fail (this process only)."""
    text = reason or ("购买方纳税人识别号校验不通过" if permanent else "税务平台响应超时")
    _failures.extend([(permanent, after_issue, text)] * count)


def sandbox_reset() -> None:
    _failures.clear()


def _jsonable(request: IssueRequest) -> dict:
    def convert(value):
        if isinstance(value, Decimal):
            return str(value)
        if isinstance(value, dict):
            return {key: convert(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return [convert(item) for item in value]
        return value

    return convert(asdict(request))


def sandbox_pdf_path(token) -> str:
    return reverse("portal:invoice_sandbox_pdf", kwargs={"token": token})


class SandboxAdapter:
    def issue(self, request: IssueRequest) -> IssueResult:
        return self._call(request, is_red=False)

    def reverse(self, request: IssueRequest) -> IssueResult:
        if not request.original_number:
            raise PermanentPlatformError("红字发票缺少原蓝字发票号码")
        original = SandboxInvoice.objects.filter(
            number=request.original_number, is_red=False
        ).first()
        if original is None:
            raise PermanentPlatformError("原蓝字发票不存在")
        return self._call(request, is_red=True)

    def _call(self, request: IssueRequest, *, is_red: bool) -> IssueResult:
        failure = _failures.pop(0) if _failures else None
        if failure is not None and not failure[1]:
            error = PermanentPlatformError if failure[0] else TemporaryPlatformError
            raise error(failure[2])
        record = self._record(request, is_red=is_red)
        if failure is not None:  # issued, but the answer never came back
            raise TemporaryPlatformError(failure[2])
        return self._result(record)

    def _record(self, request: IssueRequest, *, is_red: bool) -> SandboxInvoice:
        known = SandboxInvoice.objects.filter(request_id=request.request_id).first()
        if known is not None:
            return known
        now = timezone.now()
        # 20 digits like a 数电 number: the year, an area code, then digits drawn from the
        # request id (the same request always gets the same number).
        digits = int(uuid.UUID(str(request.request_id)).hex[:15], 16) % 10**14
        try:
            with transaction.atomic():
                return SandboxInvoice.objects.create(
                    request_id=request.request_id,
                    number=f"{local(now):%y}3300{digits:014d}",
                    is_red=is_red,
                    original_number=request.original_number,
                    issued_at=now,
                    payload=_jsonable(request),
                )
        except IntegrityError:
            return SandboxInvoice.objects.get(request_id=request.request_id)

    def _result(self, record: SandboxInvoice) -> IssueResult:
        site = getattr(settings, "WATERDESK_SITE_URL", "")
        return IssueResult(
            number=record.number,
            issued_at=record.issued_at,
            pdf_url=f"{site}{sandbox_pdf_path(record.token)}",
            ofd_url="",
        )
