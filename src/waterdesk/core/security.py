"""Login security helpers: the client's address and the project's password rule."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Words an attacker tries first against a water utility's staff: the product's and the
# company's names. "water" alone is allowed, "water" with a year is not.
_COMPANY_WORDS = re.compile(
    r"waterdesk|shuiwu|zilaishui|gongshui|water\W*(19|20)\d\d|(19|20)\d\d\W*water",
    re.IGNORECASE,
)


def client_ip(request) -> str:
    """The client's address: REMOTE_ADDR, or the X-Forwarded-For entry written by the
    outermost of ``WATERDESK_TRUSTED_PROXY_COUNT`` trusted proxies (entries further left
    come from the client and may be forged)."""
    proxies = settings.WATERDESK_TRUSTED_PROXY_COUNT
    if proxies > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")


class CompanyWordsPasswordValidator:
    """Refuse passwords built on the product's or the company's name (``waterdesk``,
    ``Water2026``…): they are the first guesses of anyone attacking this site."""

    def validate(self, password: str, user=None) -> None:
        if _COMPANY_WORDS.search(password):
            raise ValidationError(
                _("密码不能包含系统或公司名称（如 waterdesk、water 加年份）。"),
                code="password_company_word",
            )

    def get_help_text(self) -> str:
        return _("密码不能包含系统或公司名称（如 waterdesk、water 加年份）。")
