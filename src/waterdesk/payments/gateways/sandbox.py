"""The sandbox gateway (在线支付沙箱): our own stand-in for a real gateway, for the demo and the
benchmark. Its "模拟支付" page (``portal:sandbox_pay``) shows the order and a "确认支付"
button that makes a signed notification and hands it to the same callback processing as a
real gateway's POST to ``/api/payments/gateways/sandbox/notify/``.

Notification: a JSON body ``{"out_trade_no", "transaction_id", "amount" (yuan, text),
"paid_at" (ISO 8601), "status": "SUCCESS", "timestamp"}`` with the header
``X-Sandbox-Signature``: hex HMAC-SHA256 of the body under ``WATERDESK_SANDBOX_PAY_SECRET``
(unset: every notification is refused; DEBUG runs and the tests have a development value).
A timestamp more than five minutes off is refused. Answers: 200 ``{"code": "SUCCESS"}`` /
400 ``{"code": "FAIL", "message": …}``.

Statement: a CSV with the header ``transaction_id,out_trade_no,amount,paid_at``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from waterdesk.payments.gateways import (
    Answer,
    CallbackRequest,
    Gateway,
    MalformedNotification,
    Notification,
    PayParameters,
    StatementError,
    StatementLine,
    VerificationFailed,
    json_failure,
    money_from_yuan,
    read_csv_rows,
)

SIGNATURE_HEADER = "X-Sandbox-Signature"
MAX_CLOCK_SKEW_SECONDS = 300
STATEMENT_HEADER = ["transaction_id", "out_trade_no", "amount", "paid_at"]


def _secret() -> bytes:
    secret = settings.WATERDESK_SANDBOX_PAY_SECRET
    if not secret:
        raise VerificationFailed("the sandbox gateway has no secret configured")
    return secret.encode("utf-8")


def sandbox_sign(body: bytes) -> str:
    return hmac.new(_secret(), body, hashlib.sha256).hexdigest()


def sandbox_notification(
    *, out_trade_no: str, transaction_id: str, amount: Decimal, paid_at: datetime
) -> tuple[bytes, dict[str, str]]:
    """A signed notification as the sandbox sends it: (body, headers)."""
    body = json.dumps(
        {
            "out_trade_no": out_trade_no,
            "transaction_id": transaction_id,
            "amount": f"{amount:.2f}",
            "paid_at": paid_at.isoformat(),
            "status": "SUCCESS",
            "timestamp": int(time.time()),
        },
        separators=(",", ":"),
    ).encode("utf-8")
    return body, {SIGNATURE_HEADER: sandbox_sign(body), "Content-Type": "application/json"}


class Sandbox(Gateway):
    code = "sandbox"
    label = _("在线支付（沙箱）")
    method = "sandbox"

    def pay_parameters(self, order, *, return_url: str) -> PayParameters:
        return PayParameters(url=reverse("portal:sandbox_pay", kwargs={"order": order.public_id}))

    def parse_notification(self, request: CallbackRequest) -> Notification:
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            raise VerificationFailed("signature header missing")
        if not hmac.compare_digest(sandbox_sign(request.body), signature.strip().lower()):
            raise VerificationFailed("signature does not verify")
        try:
            data = json.loads(request.body)
            if abs(time.time() - int(data["timestamp"])) > MAX_CLOCK_SKEW_SECONDS:
                raise VerificationFailed("stale timestamp")
            return Notification(
                out_trade_no=str(data["out_trade_no"]),
                transaction_id=str(data["transaction_id"]),
                amount=money_from_yuan(data["amount"]),
                paid_at=datetime.fromisoformat(data["paid_at"]) if data.get("paid_at") else None,
                status=str(data["status"]),
                succeeded=data["status"] == "SUCCESS",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise MalformedNotification(f"unreadable notification: {exc}") from exc

    def answer_success(self) -> Answer:
        return Answer(200, "application/json", '{"code":"SUCCESS"}')

    def answer_failure(self, message: str) -> Answer:
        return json_failure(message)

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        rows = read_csv_rows(content)
        if not rows or [cell.strip() for cell in rows[0]] != STATEMENT_HEADER:
            raise StatementError(f"the header must be {','.join(STATEMENT_HEADER)}")
        lines = []
        for number, row in enumerate(rows[1:], start=2):
            try:
                transaction_id, out_trade_no, amount, paid_at = (cell.strip() for cell in row)
                lines.append(
                    StatementLine(
                        line_number=number,
                        out_trade_no=out_trade_no,
                        transaction_id=transaction_id,
                        amount=money_from_yuan(amount),
                        paid_at=datetime.fromisoformat(paid_at) if paid_at else None,
                    )
                )
            except (ValueError, MalformedNotification) as exc:
                raise StatementError(f"line {number}: {exc}") from exc
        return lines


GATEWAY = Sandbox()
