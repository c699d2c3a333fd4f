"""Bot protection of public forms without third-party services (no CAPTCHA provider):

- a **honeypot**: a text field people never see (hidden by CSS, out of the tab order,
  labelled "leave empty"); a bot that fills every field fills it;
- a **signed timestamp**: the page carries when it was served, signed with the site's key
  (``django.core.signing``); a submission sooner than ``MIN_SECONDS`` after it (no person
  types a form that fast) or later than ``MAX_SECONDS`` (a replayed page), or with a
  token that was tampered with, is refused;
- a **rate limit per client address** (``core.ratelimit.client_over_limit``), counted in
  the cache like the public look-up.

Use: mix ``AntiBotFormMixin`` into the form (before ``forms.Form``), include
``core/antibot_fields.html`` inside the ``<form>`` (``{% include "core/antibot_fields.html"
with form=form %}``), and check ``core.ratelimit.client_over_limit(request, "<name>", limit=,
window_minutes=)`` before saving. The refusals are form errors with clear Chinese messages
and the codes ``antibot_honeypot``, ``antibot_too_fast``, ``antibot_expired``,
``antibot_invalid``.
"""

from django import forms
from django.core import signing
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

SALT = "waterdesk.core.antibot"
MIN_SECONDS = 3
MAX_SECONDS = 2 * 3600
HONEYPOT_FIELD = "website"
TOKEN_FIELD = "form_started"

MESSAGES = {
    # The honeypot's refusal does not say why: a person never meets it.
    "antibot_honeypot": _("提交未被受理，请刷新页面后重新填写。"),
    "antibot_too_fast": _("提交过快，请核对填写的内容后再提交。"),
    "antibot_expired": _("页面打开已超过 2 小时，请刷新页面后重新填写。"),
    "antibot_invalid": _("页面已失效，请刷新页面后重新填写。"),
}


def antibot_token(now=None) -> str:
    """The signed moment a form is served."""
    moment = (now or timezone.now()).timestamp()
    return signing.dumps(round(moment, 3), salt=SALT)


def antibot_check(*, honeypot: str, token: str, now=None) -> None:
    """Refuse (``ValidationError`` with one of the codes above) a submission that filled
    the honeypot, or whose signed timestamp is missing, forged, too recent or too old."""
    if str(honeypot or "").strip():
        raise ValidationError(MESSAGES["antibot_honeypot"], code="antibot_honeypot")
    try:
        served = float(signing.loads(str(token or ""), salt=SALT))
    except (signing.BadSignature, TypeError, ValueError):
        raise ValidationError(MESSAGES["antibot_invalid"], code="antibot_invalid") from None
    elapsed = (now or timezone.now()).timestamp() - served
    if elapsed < MIN_SECONDS:
        raise ValidationError(MESSAGES["antibot_too_fast"], code="antibot_too_fast")
    if elapsed > MAX_SECONDS:
        raise ValidationError(MESSAGES["antibot_expired"], code="antibot_expired")


class AntiBotFormMixin:
    """A public form's honeypot and signed timestamp; ``clean()`` checks them first. The
    template renders both with ``core/antibot_fields.html`` (always a fresh timestamp, so a
    form shown again after an error starts a new one)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[HONEYPOT_FIELD] = forms.CharField(
            required=False,
            max_length=200,
            label=_("请勿填写此项"),
            widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
        )
        self.fields[TOKEN_FIELD] = forms.CharField(required=False, widget=forms.HiddenInput)

    @property
    def antibot_token(self) -> str:
        return antibot_token()

    def antibot_passed(self) -> bool:
        """Whether the form was refused for the anti-bot checks (not for its content)."""
        return not any(error.code in MESSAGES for error in self.errors.as_data().get("__all__", []))

    def clean(self):
        cleaned = super().clean()
        antibot_check(
            honeypot=self.data.get(HONEYPOT_FIELD, ""), token=self.data.get(TOKEN_FIELD, "")
        )
        return cleaned
