"""Channel backends: each delivers one rendered notification to the outside world.

A backend's ``send(notification)`` returns the provider's message id or raises
``DeliveryError``. Backends never touch the database; the send service records the outcome.
"""

import http.client
import json
import logging
import smtplib
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMessage
from django.core.mail.message import make_msgid
from django.core.mail.utils import DNS_NAME

from waterdesk.notify.models import NotificationChannel

if TYPE_CHECKING:
    from waterdesk.notify.models import Notification

logger = logging.getLogger(__name__)

SMS_GATEWAY_TIMEOUT_SECONDS = 10
WECHAT_TIMEOUT_SECONDS = 10


class DeliveryError(Exception):
    """The message could not be delivered this time; the service retries with back-off."""


class ChannelBackend(Protocol):
    def send(self, notification: "Notification") -> str: ...


class OutboxBackend:
    """Development backend: writes the message to the log and reports it delivered."""

    def __init__(self, channel: str) -> None:
        self.channel = channel

    def send(self, notification: "Notification") -> str:
        message_id = f"outbox-{uuid.uuid4()}"
        logger.info(
            "notify outbox %s to %s [%s]: %s %s",
            self.channel,
            notification.recipient_address,
            message_id,
            notification.subject,
            notification.body,
        )
        return message_id


class EmailBackend:
    """E-mail through Django's configured EMAIL_BACKEND (SMTP with EMAIL_TIMEOUT in production)."""

    def send(self, notification: "Notification") -> str:
        message_id = make_msgid(domain=DNS_NAME)
        message = EmailMessage(
            subject=notification.subject,
            body=notification.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[notification.recipient_address],
            headers={"Message-ID": message_id},
        )
        try:
            delivered = message.send(fail_silently=False)
        except (smtplib.SMTPException, OSError) as exc:  # OSError covers refused and timeouts
            raise DeliveryError(f"SMTP: {exc!r}") from exc
        if delivered != 1:
            raise DeliveryError("SMTP: message not accepted")
        return message_id


class HttpSmsBackend:
    """SMS through the gateway's JSON API: POST {"to", "content", "idempotency_key"} with a
    bearer token; a 2xx answer carrying {"message_id"} means accepted. The idempotency key
    (the notification's public id) lets the gateway drop a repeat after a lost answer."""

    def __init__(self, url: str, token: str, timeout: float = SMS_GATEWAY_TIMEOUT_SECONDS) -> None:
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("WATERDESK_SMS_GATEWAY_URL must be an http(s) URL")
        self.url = url
        self.token = token
        self.timeout = timeout

    def send(self, notification: "Notification") -> str:
        payload = {
            "to": notification.recipient_address,
            "content": notification.body,
            "idempotency_key": str(notification.public_id),
        }
        request = urllib.request.Request(  # the scheme is checked in __init__
            self.url,
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"SMS gateway: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            # refused, DNS, timeout, connection dropped mid-answer
            raise DeliveryError(f"SMS gateway: {exc!r}") from exc
        try:
            message_id = json.loads(raw)["message_id"]
        except (ValueError, KeyError, TypeError) as exc:
            raise DeliveryError("SMS gateway: answer without message_id") from exc
        if not message_id:
            raise DeliveryError("SMS gateway: empty message_id")
        return str(message_id)


class WechatTemplateBackend:
    """WeChat official-account template messages (模板消息): POST {"touser": openid,
    "template_id", "url", "data": {"first", "keyword1", "remark"}} to the message API with
    the access token as the ``access_token`` query parameter; an answer {"errcode": 0,
    "msgid": …} means accepted, any other errcode is a failed attempt (retried)."""

    def __init__(
        self,
        url: str,
        token: str,
        template_id: str,
        timeout: float = WECHAT_TIMEOUT_SECONDS,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise ImproperlyConfigured("WATERDESK_WECHAT_API_URL must be an http(s) URL")
        if not token or not template_id:
            raise ImproperlyConfigured(
                "WATERDESK_WECHAT_ACCESS_TOKEN and WATERDESK_WECHAT_TEMPLATE_ID must be set"
            )
        self.url = url
        self.token = token
        self.template_id = template_id
        self.timeout = timeout

    def send(self, notification: "Notification") -> str:
        payload = {
            "touser": notification.recipient_address,
            "template_id": self.template_id,
            "data": {
                "first": {"value": notification.subject},
                "keyword1": {"value": notification.body},
                "remark": {"value": settings.WATERDESK_COMPANY_NAME},
            },
        }
        separator = "&" if "?" in self.url else "?"
        request = urllib.request.Request(  # the scheme is checked in __init__
            f"{self.url}{separator}{urllib.parse.urlencode({'access_token': self.token})}",
            data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
            headers={"Content-Type": "application/json; charset=utf-8"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise DeliveryError(f"WeChat: HTTP {exc.code}") from exc
        except (urllib.error.URLError, OSError, http.client.HTTPException) as exc:
            raise DeliveryError(f"WeChat: {exc!r}") from exc
        try:
            answer = json.loads(raw)
            errcode = int(answer.get("errcode", -1))
        except (ValueError, AttributeError, TypeError) as exc:
            raise DeliveryError("WeChat: answer is not JSON") from exc
        if errcode != 0:
            raise DeliveryError(f"WeChat: errcode {errcode} {answer.get('errmsg', '')}".strip())
        message_id = answer.get("msgid")
        if not message_id:
            raise DeliveryError("WeChat: answer without msgid")
        return str(message_id)


def backend_for(channel: str) -> ChannelBackend:
    if channel == NotificationChannel.EMAIL:
        return EmailBackend()
    if channel == NotificationChannel.SMS:
        kind = settings.WATERDESK_SMS_BACKEND
        if kind == "outbox":
            return OutboxBackend(channel)
        if kind == "http":
            return HttpSmsBackend(
                settings.WATERDESK_SMS_GATEWAY_URL, settings.WATERDESK_SMS_GATEWAY_TOKEN
            )
        raise ImproperlyConfigured(f"WATERDESK_SMS_BACKEND must be outbox or http, got {kind!r}")
    if channel == NotificationChannel.WECHAT:
        kind = settings.WATERDESK_WECHAT_BACKEND
        if kind == "outbox":  # development and tests: the message goes to the log
            return OutboxBackend(channel)
        if kind == "http":
            return WechatTemplateBackend(
                settings.WATERDESK_WECHAT_API_URL,
                settings.WATERDESK_WECHAT_ACCESS_TOKEN,
                settings.WATERDESK_WECHAT_TEMPLATE_ID,
            )
        raise ImproperlyConfigured(f"WATERDESK_WECHAT_BACKEND must be outbox or http, got {kind!r}")
    raise ImproperlyConfigured(f"no backend for notification channel {channel!r}")
