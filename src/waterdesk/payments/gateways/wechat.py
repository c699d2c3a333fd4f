"""WeChat Pay API v3 (微信支付 APIv3), Native payment.

A payment notification (支付成功通知) is a JSON POST whose ``resource`` is encrypted with
AES-256-GCM under the merchant's APIv3 key. Its headers carry ``Wechatpay-Timestamp``,
``Wechatpay-Nonce``, ``Wechatpay-Signature`` and ``Wechatpay-Serial``: the signature is
``WECHATPAY2-SHA256-RSA2048`` (SHA256 with RSA, PKCS#1 v1.5, base64) over
``timestamp\\nnonce\\nbody\\n``, made with the platform's private key; we check it with the
platform certificate or the WeChat Pay public key configured
(``WATERDESK_WECHATPAY_PUBLIC_KEY_PATH``) whose serial/ID is ``WATERDESK_WECHATPAY_SERIAL``.
A timestamp more than five minutes off is refused (a replay). The decrypted transaction has
``out_trade_no``, ``transaction_id``, ``trade_state`` (SUCCESS when paid), ``success_time``
and ``amount.total`` in fen; ``mchid`` and ``appid`` must be ours.

The answer: HTTP 204 on success; on failure a 4xx/5xx with ``{"code": "FAIL", "message": …}``
(WeChat Pay then retries the notification on its schedule).

The daily statement is the trade bill (交易账单, type ALL): a CSV whose fields each start with
a back-quote, ending with a summary block (``总交易单数,…``).
"""

from __future__ import annotations

import json
import time
from datetime import datetime

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from wechatpayv3.utils import aes_decrypt, rsa_verify

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
    local_time,
    money_from_fen,
    money_from_yuan,
    read_csv_rows,
)
from waterdesk.payments.gateways.keys import public_key_from

MAX_CLOCK_SKEW_SECONDS = 300
STATEMENT_COLUMNS = {
    "paid_at": "交易时间",
    "transaction_id": "微信订单号",
    "out_trade_no": "商户订单号",
    "state": "交易状态",
    "amount": "订单金额",
}


def _time(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError as exc:
        raise MalformedNotification(f"bad time {text!r}") from exc


class WeChatPay(Gateway):
    code = "wechat"
    label = _("微信支付")
    method = "wechat"

    def pay_parameters(self, order, *, return_url: str) -> PayParameters:
        # The Native order API (POST /v3/pay/transactions/native) answers a ``code_url`` to
        # show as a QR code; without a merchant account the demo shows the order's own link.
        return PayParameters(url=f"weixin://wxpay/bizpayurl?pr={order.out_trade_no}")

    def _verify(self, request: CallbackRequest) -> None:
        timestamp = request.header("Wechatpay-Timestamp")
        nonce = request.header("Wechatpay-Nonce")
        signature = request.header("Wechatpay-Signature")
        serial = request.header("Wechatpay-Serial")
        if not (timestamp and nonce and signature and serial):
            raise VerificationFailed("Wechatpay-* signature headers missing")
        if serial != settings.WATERDESK_WECHATPAY_SERIAL:
            raise VerificationFailed(f"unknown platform serial {serial[:64]!r}")
        try:
            skew = abs(time.time() - int(timestamp))
        except ValueError as exc:
            raise VerificationFailed("bad Wechatpay-Timestamp") from exc
        if skew > MAX_CLOCK_SKEW_SECONDS:
            raise VerificationFailed(f"stale timestamp ({int(skew)} s off)")
        try:
            body = request.body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise VerificationFailed("body is not UTF-8") from exc
        key = public_key_from(settings.WATERDESK_WECHATPAY_PUBLIC_KEY_PATH)
        if not rsa_verify(timestamp, nonce, body, signature, key):
            raise VerificationFailed("signature does not verify")

    def parse_notification(self, request: CallbackRequest) -> Notification:
        self._verify(request)
        try:
            envelope = json.loads(request.body)
            resource = envelope["resource"]
            if resource.get("algorithm") != "AEAD_AES_256_GCM":
                raise MalformedNotification(f"algorithm {resource.get('algorithm')!r}")
            key = settings.WATERDESK_WECHATPAY_APIV3_KEY
            if len(key.encode()) != 32:
                raise VerificationFailed("the APIv3 key must be 32 bytes")
            plain = aes_decrypt(
                nonce=resource["nonce"],
                ciphertext=resource["ciphertext"],
                associated_data=resource.get("associated_data", ""),
                apiv3_key=key,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedNotification(f"unreadable envelope: {exc}") from exc
        if plain is None:
            raise VerificationFailed("resource does not decrypt with our APIv3 key")
        try:
            transaction = json.loads(plain)
            mchid, appid = transaction.get("mchid"), transaction.get("appid")
            if mchid != settings.WATERDESK_WECHATPAY_MCHID:
                raise VerificationFailed(f"mchid {mchid!r} is not ours")
            if appid != settings.WATERDESK_WECHATPAY_APPID:
                raise VerificationFailed(f"appid {appid!r} is not ours")
            state = str(transaction["trade_state"])
            return Notification(
                out_trade_no=str(transaction["out_trade_no"]),
                transaction_id=str(transaction["transaction_id"]),
                amount=money_from_fen(transaction["amount"]["total"]),
                paid_at=_time(transaction.get("success_time")),
                status=state,
                succeeded=state == "SUCCESS",
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise MalformedNotification(f"unreadable transaction: {exc}") from exc

    def answer_success(self) -> Answer:
        return Answer(204, "text/plain", "")

    def answer_failure(self, message: str) -> Answer:
        return json_failure(message)

    def parse_statement(self, content: bytes) -> list[StatementLine]:
        rows = read_csv_rows(content)
        if not rows:
            raise StatementError("empty statement")
        header = [cell.strip().lstrip("`") for cell in rows[0]]
        try:
            index = {name: header.index(title) for name, title in STATEMENT_COLUMNS.items()}
        except ValueError as exc:
            raise StatementError(f"not a WeChat Pay trade bill: {exc}") from exc
        lines = []
        for number, row in enumerate(rows[1:], start=2):
            cells = [cell.strip().lstrip("`") for cell in row]
            if cells[0] == "总交易单数":
                break  # the summary block
            try:
                if cells[index["state"]] != "SUCCESS":
                    continue
                paid = cells[index["paid_at"]]
                lines.append(
                    StatementLine(
                        line_number=number,
                        out_trade_no=cells[index["out_trade_no"]],
                        transaction_id=cells[index["transaction_id"]],
                        amount=money_from_yuan(cells[index["amount"]]),
                        paid_at=local_time(paid),
                    )
                )
            except (IndexError, MalformedNotification) as exc:
                raise StatementError(f"line {number}: {exc}") from exc
        return lines


GATEWAY = WeChatPay()
