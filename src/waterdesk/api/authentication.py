"""Token authentication for machine clients, with failures throttled per client address.

Administrators issue and revoke the tokens in the admin ("Auth Token"). A client sends
``Authorization: Token <key>``. After ``WATERDESK_TOKEN_FAILURES`` wrong tokens from one
address within ``WATERDESK_LOCKOUT_MINUTES``, every token request from that address is
refused with 429 ``too_many_failures`` until the time is over, so that tokens cannot be
guessed. The counter lives in the cache (Redis when scaled, shared by all web processes).
"""

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from waterdesk.core.security import client_ip

CHALLENGE = 'Token realm="waterdesk"'


class TooManyAuthenticationFailures(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_failures"
    default_detail = _("认证失败次数过多，请稍后再试，或联系系统管理员。")


def _failures_key(address: str) -> str:
    return f"waterdesk:token-failures:{address}"


class ThrottledTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: another authentication class may apply
        key = _failures_key(client_ip(request))
        if cache.get(key, 0) >= settings.WATERDESK_TOKEN_FAILURES:
            raise TooManyAuthenticationFailures()
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            timeout = settings.WATERDESK_LOCKOUT_MINUTES * 60
            # add() starts the window, incr() counts within it (atomic on Redis).
            if not cache.add(key, 1, timeout):
                try:
                    cache.incr(key)
                except ValueError:  # expired between add() and incr()
                    cache.add(key, 1, timeout)
            raise

    def authenticate_header(self, request):
        return CHALLENGE
