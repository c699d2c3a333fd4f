"""Bot checks of public forms without third-party services: a honeypot field that people
never see (``website``: a bot fills it) and a signed stamp of when the form was issued
(``issued``: a form sent back within seconds came from a script, one older than the limit
from a replay). ``antibot_check(form)`` answers "" when the form passes, else the reason.
"""

from django import forms
from django.core import signing
from django.utils import timezone

SALT = "waterdesk.core.antibot"
MIN_SECONDS = 3
MAX_SECONDS = 2 * 3600


def antibot_stamp() -> str:
    return signing.dumps(int(timezone.now().timestamp()), salt=SALT)


class AntiBotFormMixin(forms.Form):
    """Add to a public form; render ``website`` inside an element with ``hidden`` and
    ``issued`` as it is (a hidden input). A new unbound form gets a fresh stamp."""

    website = forms.CharField(required=False, label="Website")
    issued = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["website"].widget.attrs.update({"autocomplete": "off", "tabindex": "-1"})
        if not self.is_bound:
            self.initial["issued"] = antibot_stamp()


def antibot_check(form: forms.Form) -> str:
    """ "" when ``form`` (bound) passes, else why not: "honeypot", "stamp", "too_fast" or
    "expired". Reads the raw data: call it before ``is_valid``."""
    if str(form.data.get(form.add_prefix("website"), "")).strip():
        return "honeypot"
    try:
        issued = signing.loads(str(form.data.get(form.add_prefix("issued"), "")), salt=SALT)
        age = timezone.now().timestamp() - int(issued)
    except (signing.BadSignature, TypeError, ValueError):
        return "stamp"
    if age < MIN_SECONDS:
        return "too_fast"
    if age > MAX_SECONDS:
        return "expired"
    return ""
