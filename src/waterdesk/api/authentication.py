"""Token authentication for machine clients, with failures throttled per client address.

Administrators issue and revoke the tokens in the admin ("Auth Token"). A client sends
``Authorization: Token <key>``. After ``WATERDESK_TOKEN_FAILURES`` wrong tokens from one
address within ``WATERDESK_LOCKOUT_MINUTES``, every token request from that address is
refused with 429 ``too_many_failures`` until the time is over, so that tokens cannot be
guessed. The counter lives in the cache (Redis when scaled, shared by all web processes).
"""

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.authentication import TokenAuthentication, get_authorization_header

from waterdesk.core.security import client_ip

CHALLENGE = 'Token realm="waterdesk"'


class TooManyAuthenticationFailures(exceptions.APIException):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "too_many_failures"
    default_detail = _("认证失败次数过多，请稍后再试，或联系系统管理员。")


def _failure_keys(address: str) -> tuple[str, str]:
    base = f"waterdesk:token-failures:{address}"
    return f"{base}:count", f"{base}:since"


def _failures(address: str) -> int:
    """Wrong tokens from ``address`` in the current window. The window's start is kept as a
    value and compared with the clock (not left to the cache's expiry), so that the rule
    reads the same on every cache backend and under a pinned clock."""
    count_key, since_key = _failure_keys(address)
    since = cache.get(since_key)
    window = settings.WATERDESK_LOCKOUT_MINUTES * 60
    if since is not None and timezone.now().timestamp() - since >= window:
        cache.delete_many([count_key, since_key])
        return 0
    return cache.get(count_key, 0)


def _count_failure(address: str) -> None:
    count_key, since_key = _failure_keys(address)
    # The cache forgets the counter some time after the window; the clock decides before.
    keep = settings.WATERDESK_LOCKOUT_MINUTES * 60 * 2
    cache.add(since_key, timezone.now().timestamp(), keep)
    # add() starts the count, incr() counts on (atomic on Redis).
    if not cache.add(count_key, 1, keep):
        try:
            cache.incr(count_key)
        except ValueError:  # expired between add() and incr()
            cache.add(count_key, 1, keep)


class ThrottledTokenAuthentication(TokenAuthentication):
    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None  # no token offered: another authentication class may apply
        address = client_ip(request)
        if _failures(address) >= settings.WATERDESK_TOKEN_FAILURES:
            raise TooManyAuthenticationFailures()
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            _count_failure(address)
            raise

    def authenticate_header(self, request):
        return CHALLENGE
