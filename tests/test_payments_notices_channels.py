"""The customer's notice channels and the WeChat template-message backend, tested against
a local HTTP server the test starts (no network)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.factories import CustomerFactory
from waterdesk.core.errors import InvalidInput
from waterdesk.customers.admin import CustomerAdminForm
from waterdesk.customers.services import customer_update
from waterdesk.notify.backends import DeliveryError, WechatTemplateBackend, backend_for
from waterdesk.notify.models import Notification
from waterdesk.notify.services import notification_queue

pytestmark = pytest.mark.django_db


@pytest.fixture
def wechat_api():
    seen: list[dict] = []
    answers: list[tuple[int, dict]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, "json": body})
            status, answer = answers.pop(0) if answers else (200, {"errcode": 0, "msgid": 42})
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/cgi-bin/message/template/send", seen, answers
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def wechat_notification(openid="oWx-1"):
    return Notification(
        template_key="payment.notice",
        channel="wechat",
        recipient_address=openid,
        subject="水费缴费提醒",
        body="户号2000000001待缴50.00元",
        next_attempt_at="2026-04-22T09:00:00+08:00",
    )


def test_wechat_template_message_is_posted_with_the_token(wechat_api, settings):
    url, seen, _answers = wechat_api
    settings.WATERDESK_COMPANY_NAME = "城市供水有限公司"
    backend = WechatTemplateBackend(url, "token-1", "tmpl-9", timeout=2)
    assert backend.send(wechat_notification()) == "42"
    (request,) = seen
    assert urlsplit(request["path"]).path == "/cgi-bin/message/template/send"
    assert parse_qs(urlsplit(request["path"]).query) == {"access_token": ["token-1"]}
    assert request["json"] == {
        "touser": "oWx-1",
        "template_id": "tmpl-9",
        "data": {
            "first": {"value": "水费缴费提醒"},
            "keyword1": {"value": "户号2000000001待缴50.00元"},
            "remark": {"value": "城市供水有限公司"},
        },
    }


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ((200, {"errcode": 43004, "errmsg": "require subscribe"}), "errcode 43004"),
        ((200, {"errcode": 0}), "without msgid"),
        ((502, {"error": "bad gateway"}), "HTTP 502"),
    ],
)
def test_wechat_refusals_are_delivery_errors(wechat_api, answer, error):
    url, _seen, answers = wechat_api
    answers.append(answer)
    with pytest.raises(DeliveryError, match=error):
        WechatTemplateBackend(url, "t", "tmpl", timeout=2).send(wechat_notification())


def test_wechat_backend_needs_its_settings(settings):
    assert type(backend_for("wechat")).__name__ == "OutboxBackend"  # dev and tests
    settings.WATERDESK_WECHAT_BACKEND = "http"
    settings.WATERDESK_WECHAT_ACCESS_TOKEN = ""
    with pytest.raises(ImproperlyConfigured):
        backend_for("wechat")
    settings.WATERDESK_WECHAT_ACCESS_TOKEN = "t"
    settings.WATERDESK_WECHAT_TEMPLATE_ID = "tmpl"
    assert isinstance(backend_for("wechat"), WechatTemplateBackend)


def queued(customer, **kwargs):
    return sorted(
        (n.channel, n.recipient_address)
        for n in notification_queue(
            template="payment.received",
            context={"amount": "1.00"},
            customer=customer,
            **kwargs,
        )
    )


def test_channels_follow_the_customers_choice_only_when_asked():
    customer = CustomerFactory(
        mobile="13800138000",
        email="a@example.cn",
        wechat_openid="oWx-2",
        notice_channels=["wechat"],
    )
    assert queued(customer, by_preference=True) == [("wechat", "oWx-2")]
    other = CustomerFactory(mobile="13800138001", email="b@example.cn")
    assert other.notice_channels == ["sms", "email"]  # the default
    assert queued(other, by_preference=True) == [
        ("email", "b@example.cn"),
        ("sms", "13800138001"),
    ]
    # Callers that do not ask get every channel with a template, as before.
    assert queued(customer) == [
        ("email", "a@example.cn"),
        ("sms", "13800138000"),
        ("wechat", "oWx-2"),
    ]


def test_preferences_are_edited_through_the_service_and_the_admin(clerk):
    customer = CustomerFactory()
    customer = customer_update(
        actor=clerk, customer=customer, notice_channels=["wechat", "sms"], wechat_openid=" oWx-3 "
    )
    assert (customer.notice_channels, customer.wechat_openid) == (["sms", "wechat"], "oWx-3")
    with pytest.raises(InvalidInput) as error:
        customer_update(actor=clerk, customer=customer, notice_channels=["fax"])
    assert error.value.code == "invalid_notice_channel"
    with pytest.raises(InvalidInput):
        customer_update(actor=clerk, customer=customer, wechat_openid="bad id!")

    data = {
        "kind": customer.kind,
        "name": customer.name,
        "id_number": customer.id_number,
        "mobile": customer.mobile,
        "email": customer.email,
        "contact_address": "",
        "notice_channels": ["email"],
        "wechat_openid": "",
    }
    form = CustomerAdminForm(data, instance=customer)
    assert form.is_valid(), form.errors
    saved = form.save()
    assert (saved.notice_channels, saved.wechat_openid) == (["email"], "")
    form = CustomerAdminForm({**data, "wechat_openid": "含中文"}, instance=customer)
    assert not form.is_valid()
    assert "wechat_openid" in form.errors
