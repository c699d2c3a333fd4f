"""Signing notifications as WeChat Pay, Alipay and the sandbox do, with keys the tests make."""

import base64
import json
import time
from urllib.parse import urlencode

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256

from waterdesk.payments.gateways.alipay import signing_string

MCHID = "1900000109"
APPID = "wxd678efh567hg6787"
APIV3_KEY = "0123456789abcdefghijABCDEFGHIJ01"  # 32 bytes
SERIAL = "PUB_KEY_ID_0119000001092026"
ALIPAY_APP_ID = "2021000123456789"


def new_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def write_public(key, path) -> str:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return str(path)


@pytest.fixture(scope="session")
def platform_key():
    return new_key()


@pytest.fixture(scope="session")
def alipay_key():
    return new_key()


@pytest.fixture
def gateway_settings(settings, tmp_path, platform_key, alipay_key):
    settings.WATERDESK_WECHATPAY_MCHID = MCHID
    settings.WATERDESK_WECHATPAY_APPID = APPID
    settings.WATERDESK_WECHATPAY_APIV3_KEY = APIV3_KEY
    settings.WATERDESK_WECHATPAY_SERIAL = SERIAL
    settings.WATERDESK_WECHATPAY_PUBLIC_KEY_PATH = write_public(platform_key, tmp_path / "wx.pem")
    settings.WATERDESK_ALIPAY_APP_ID = ALIPAY_APP_ID
    settings.WATERDESK_ALIPAY_PUBLIC_KEY_PATH = write_public(alipay_key, tmp_path / "ali.pem")
    return settings


def wechat_transaction(order, *, transaction_id="4200000123202604100000000001", fen=None):
    return {
        "mchid": MCHID,
        "appid": APPID,
        "out_trade_no": order.out_trade_no,
        "transaction_id": transaction_id,
        "trade_type": "NATIVE",
        "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "attach": "",
        "success_time": "2026-04-10T10:00:05+08:00",
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "amount": {
            "total": int(order.amount * 100) if fen is None else fen,
            "payer_total": int(order.amount * 100) if fen is None else fen,
            "currency": "CNY",
            "payer_currency": "CNY",
        },
    }


def wechat_notification(transaction: dict, key, *, timestamp=None, apiv3_key=APIV3_KEY):
    """(body, headers) of a WeChat Pay v3 payment notification, as the platform sends it."""
    nonce, associated = "fdasflkja484w", "transaction"
    ciphertext = AESGCM(apiv3_key.encode()).encrypt(
        nonce.encode(), json.dumps(transaction, ensure_ascii=False).encode(), associated.encode()
    )
    body = json.dumps(
        {
            "id": "EV-2018022511223320873",
            "create_time": "2026-04-10T10:00:06+08:00",
            "resource_type": "encrypt-resource",
            "event_type": "TRANSACTION.SUCCESS",
            "summary": "支付成功",
            "resource": {
                "original_type": "transaction",
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": base64.b64encode(ciphertext).decode(),
                "associated_data": associated,
                "nonce": nonce,
            },
        },
        ensure_ascii=False,
    )
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    header_nonce = "593BEC0C930BF1AFEB40B4A08C8FB242"
    message = f"{stamp}\n{header_nonce}\n{body}\n".encode()
    signature = base64.b64encode(key.sign(message, PKCS1v15(), SHA256())).decode()
    headers = {
        "HTTP_WECHATPAY_TIMESTAMP": stamp,
        "HTTP_WECHATPAY_NONCE": header_nonce,
        "HTTP_WECHATPAY_SIGNATURE": signature,
        "HTTP_WECHATPAY_SERIAL": SERIAL,
        "HTTP_WECHATPAY_SIGNATURE_TYPE": "WECHATPAY2-SHA256-RSA2048",
    }
    return body.encode(), headers


def alipay_params(order, *, trade_no="2026041022001412341234567890", amount=None, **changes):
    params = {
        "gmt_create": "2026-04-10 09:59:50",
        "charset": "utf-8",
        "seller_email": "water@example.cn",
        "subject": "水费",
        "buyer_id": "2088102122524333",
        "invoice_amount": f"{order.amount:.2f}",
        "notify_id": "2026041000222095951087890502335679",
        "fund_bill_list": json.dumps(
            [{"amount": f"{order.amount:.2f}", "fundChannel": "ALIPAYACCOUNT"}]
        ),
        "notify_type": "trade_status_sync",
        "trade_status": "TRADE_SUCCESS",
        "receipt_amount": f"{order.amount:.2f}",
        "app_id": ALIPAY_APP_ID,
        "buyer_pay_amount": f"{order.amount:.2f}",
        "seller_id": "2088102119685838",
        "gmt_payment": "2026-04-10 10:00:05",
        "notify_time": "2026-04-10 10:00:06",
        "version": "1.0",
        "out_trade_no": order.out_trade_no,
        "total_amount": f"{order.amount if amount is None else amount:.2f}",
        "trade_no": trade_no,
        "auth_app_id": ALIPAY_APP_ID,
        "buyer_logon_id": "159****5620",
        "point_amount": "0.00",
    }
    params.update(changes)
    return params


def alipay_sign(params: dict, key) -> dict:
    signed = dict(params)
    message = signing_string(params).encode()
    signed["sign"] = base64.b64encode(key.sign(message, PKCS1v15(), SHA256())).decode()
    signed["sign_type"] = "RSA2"
    return signed


def alipay_body(params: dict) -> bytes:
    return urlencode(params).encode()


SANDBOX_NOTIFY_URL = "/api/payments/gateways/sandbox/notify/"


def post_sandbox(client, order, transaction_id, *, amount=None, paid_at=None):
    """The sandbox gateway's signed notification that ``order`` was paid, sent to our
    callback through ``client``."""
    from waterdesk.payments.gateways.sandbox import sandbox_notification

    body, headers = sandbox_notification(
        out_trade_no=order.out_trade_no,
        transaction_id=transaction_id,
        amount=order.amount if amount is None else amount,
        paid_at=order.created_at if paid_at is None else paid_at,
    )
    return client.post(
        SANDBOX_NOTIFY_URL,
        body,
        content_type="application/json",
        HTTP_X_SANDBOX_SIGNATURE=headers["X-Sandbox-Signature"],
    )
