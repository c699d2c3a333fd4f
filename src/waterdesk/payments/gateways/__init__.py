"""Online payment gateways behind one adapter interface, found by their code.

Each gateway module defines a ``Gateway`` subclass and registers it: it creates an order's
payment parameters (what the customer's browser or wallet is sent to), verifies and parses a
callback request into a normalized ``Notification`` (or raises ``VerificationFailed`` /
``MalformedNotification``), renders the answer the gateway expects, and parses the
gateway's daily statement CSV into ``StatementLine`` rows. Adapters hold no state of their
own beyond their settings and touch no database: the callback service
(``payments.services.gateways``) does the posting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from django.http import HttpResponse


class GatewayError(Exception):
    """A callback the gateway did not send as we expect; ``detail`` says why (logged)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class VerificationFailed(GatewayError):
    """The signature does not verify, the timestamp is stale, the key is not ours."""


class MalformedNotification(GatewayError):
    """Signed correctly but unreadable: missing fields, a bad amount, a bad encoding."""


class StatementError(GatewayError):
    """A statement file we cannot read (wrong header, a bad line)."""


@dataclass(frozen=True)
class CallbackRequest:
    """What a gateway's adapter sees of an HTTP callback."""

    body: bytes
    headers: dict[str, str]  # names as sent (case-insensitive lookups through ``header``)
    content_type: str = ""

    def header(self, name: str) -> str:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return ""


@dataclass(frozen=True)
class Notification:
    out_trade_no: str
    transaction_id: str
    amount: Decimal  # yuan
    paid_at: datetime | None
    status: str  # the gateway's own word (SUCCESS, TRADE_SUCCESS …)
    succeeded: bool


@dataclass(frozen=True)
class StatementLine:
    line_number: int
    out_trade_no: str
    transaction_id: str
    amount: Decimal  # yuan
    paid_at: datetime | None


@dataclass(frozen=True)
class Answer:
    status: int
    content_type: str
    body: str

    def response(self) -> HttpResponse:
        return HttpResponse(self.body, status=self.status, content_type=self.content_type)


def json_failure(message: str, *, status: int = 400) -> Answer:
    """``{"code": "FAIL", "message": …}``: WeChat Pay's failure answer (the sandbox's too)."""
    import json

    body = json.dumps({"code": "FAIL", "message": message}, ensure_ascii=False)
    return Answer(status, "application/json", body)


@dataclass(frozen=True)
class PayParameters:
    """Where to send the payer: a URL to open (and to encode as a QR code)."""

    url: str


class Gateway:
    code: ClassVar[str]
    label: ClassVar[str]
    method: ClassVar[str]  # payments.PaymentMethod

    def pay_parameters(self, order, *, return_url: str) -> PayParameters:
        raise NotImplementedError

    def parse_notification(self, request: CallbackRequest) -> Notification:
        raise NotImplementedError

    def answer_success(self) -> Answer:
        raise NotImplementedError

    def answer_failure(self, message: str) -> Answer:
        raise NotImplementedError

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        raise NotImplementedError


REGISTRY: dict[str, Gateway] = {}


def gateway_register(gateway: Gateway) -> Gateway:
    REGISTRY[gateway.code] = gateway
    return gateway


def gateway_get(code: str) -> Gateway | None:
    return REGISTRY.get(code)


def gateway_choices() -> list[tuple[str, str]]:
    return [(gateway.code, gateway.label) for gateway in REGISTRY.values()]


def money_from_yuan(text) -> Decimal:
    """A yuan amount as the gateways write it ("123.45"), exactly, or MalformedNotification."""
    from decimal import InvalidOperation

    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError) as exc:
        raise MalformedNotification(f"bad amount {text!r}") from exc
    if not value.is_finite() or value <= 0 or value != value.quantize(Decimal("0.01")):
        raise MalformedNotification(f"bad amount {text!r}")
    return value.quantize(Decimal("0.01"))


def money_from_fen(value) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise MalformedNotification(f"bad amount in fen {value!r}")
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def local_time(text: str) -> datetime | None:
    """ "2026-03-05 10:12:13" in the utility's time zone (how both gateways write times)."""
    from django.utils import timezone

    text = (text or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedNotification(f"bad time {text!r}") from exc
    return moment if moment.tzinfo else timezone.make_aware(moment)


def read_csv_rows(content: bytes) -> list[list[str]]:
    import csv
    import io

    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise StatementError("the file is not UTF-8") from exc
    return [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]


from waterdesk.payments.gateways import alipay, sandbox, wechat  # noqa: E402

for _module in (wechat, alipay, sandbox):
    gateway_register(_module.GATEWAY)
