"""Alipay (支付宝) open platform, RSA2.

The asynchronous notification (异步通知) is a form POST (application/x-www-form-urlencoded)
with ``notify_id``, ``app_id``, ``out_trade_no``, ``trade_no``, ``trade_status``,
``total_amount`` (yuan), ``gmt_payment``, … and ``sign``/``sign_type``. The signature is RSA2
(SHA256withRSA, base64) over every other parameter, sorted by name and joined as
``k1=v1&k2=v2`` with the values decoded and empty ones left out; it is checked with the Alipay
public key (``WATERDESK_ALIPAY_PUBLIC_KEY_PATH``). ``app_id`` must be ours
(``WATERDESK_ALIPAY_APP_ID``). Paid: ``trade_status`` TRADE_SUCCESS or TRADE_FINISHED.

The answer is the plain text ``success`` (else Alipay retries, up to 8 times over 25 hours)
or ``failure``.

The daily statement is the business detail file (业务明细): comment lines starting with ``#``,
a header row (``支付宝交易号,商户订单号,业务类型,…,完成时间,…,订单金额（元）,…``), lines,
and a summary; the downloaded file is GBK, UTF-8 is read as well.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import parse_qsl, urlencode

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256
from django.conf import settings
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
    local_time,
    money_from_yuan,
)
from waterdesk.payments.gateways.keys import public_key_from

PAID_STATES = frozenset({"TRADE_SUCCESS", "TRADE_FINISHED"})
STATEMENT_COLUMNS = {
    "transaction_id": "支付宝交易号",
    "out_trade_no": "商户订单号",
    "kind": "业务类型",
    "paid_at": "完成时间",
    "amount": "订单金额（元）",
}


def signing_string(params: dict[str, str]) -> str:
    """The text Alipay signs: the parameters but sign and sign_type, sorted, non-empty."""
    return "&".join(
        f"{key}={value}"
        for key, value in sorted(params.items())
        if key not in {"sign", "sign_type"} and value != ""
    )


class Alipay(Gateway):
    code = "alipay"
    label = _("支付宝")
    method = "alipay"

    def pay_parameters(self, order, *, return_url: str) -> PayParameters:
        # alipay.trade.precreate answers a qr_code; the demo shows the cashier page's link.
        query = urlencode({"out_trade_no": order.out_trade_no, "total_amount": order.amount})
        return PayParameters(url=f"https://qr.alipay.com/?{query}")

    def _params(self, request: CallbackRequest) -> dict[str, str]:
        try:
            text = request.body.decode("utf-8")
        except UnicodeDecodeError:
            text = request.body.decode("gbk", errors="strict")
        try:
            pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True)
        except ValueError as exc:
            raise VerificationFailed("not a form body") from exc
        params = dict(pairs)
        if len(params) != len(pairs):
            raise VerificationFailed("repeated parameters")
        return params

    def parse_notification(self, request: CallbackRequest) -> Notification:
        params = self._params(request)
        if params.get("sign_type", "RSA2") != "RSA2":
            raise VerificationFailed(f"sign_type {params.get('sign_type')!r}")
        try:
            signature = base64.b64decode(params.get("sign", ""), validate=False)
        except (binascii.Error, ValueError) as exc:
            raise VerificationFailed("bad sign encoding") from exc
        if not signature:
            raise VerificationFailed("sign missing")
        key = public_key_from(settings.WATERDESK_ALIPAY_PUBLIC_KEY_PATH)
        try:
            key.verify(signature, signing_string(params).encode("utf-8"), PKCS1v15(), SHA256())
        except InvalidSignature as exc:
            raise VerificationFailed("signature does not verify") from exc
        if params.get("app_id") != settings.WATERDESK_ALIPAY_APP_ID:
            raise VerificationFailed(f"app_id {params.get('app_id')!r} is not ours")
        try:
            state = params["trade_status"]
            return Notification(
                out_trade_no=params["out_trade_no"],
                transaction_id=params["trade_no"],
                amount=money_from_yuan(params["total_amount"]),
                paid_at=local_time(params.get("gmt_payment", "")),
                status=state,
                succeeded=state in PAID_STATES,
            )
        except KeyError as exc:
            raise MalformedNotification(f"missing {exc}") from exc

    def answer_success(self) -> Answer:
        return Answer(200, "text/plain", "success")

    def answer_failure(self, message: str) -> Answer:
        return Answer(200, "text/plain", "failure")

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        import csv
        import io

        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("gbk", errors="replace")
        header = None
        lines = []
        for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
            if not row or row[0].startswith("#") or not any(cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                try:
                    header = {name: cells.index(title) for name, title in STATEMENT_COLUMNS.items()}
                except ValueError as exc:
                    raise StatementError(f"not an Alipay business detail file: {exc}") from exc
                continue
            try:
                if cells[header["kind"]] != "交易":
                    continue  # refunds and others
                lines.append(
                    StatementLine(
                        line_number=number,
                        out_trade_no=cells[header["out_trade_no"]],
                        transaction_id=cells[header["transaction_id"]],
                        amount=money_from_yuan(cells[header["amount"]]),
                        paid_at=local_time(cells[header["paid_at"]]),
                    )
                )
            except (IndexError, MalformedNotification) as exc:
                raise StatementError(f"line {number}: {exc}") from exc
        if header is None:
            raise StatementError("empty statement")
        return lines


GATEWAY = Alipay()
