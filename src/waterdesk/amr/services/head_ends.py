"""Head-end systems and their API tokens.

Like the payment devices (``payments.services.devices``) each head-end calls the API as its
own machine user (no password, no role). Its token is a random key shown once when issued;
only its SHA-256 hash is stored (``HeadEnd.token_hash``), so a copy of the database does not
let anyone push readings. Issuing a new token makes the old one stop working."""

from __future__ import annotations

import hashlib
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.amr.models import HeadEnd
from waterdesk.core.errors import InvalidInput, require_permission

MANAGE_PERMISSION = "amr.manage_head_end"


def token_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def head_end_for_token(key: str) -> HeadEnd | None:
    """The active head-end whose token is ``key``, or None."""
    if not key:
        return None
    return (
        HeadEnd.objects.select_related("user")
        .filter(token_hash=token_hash(key), is_active=True)
        .first()
    )


def _issue(head_end: HeadEnd) -> str:
    key = secrets.token_urlsafe(32)
    head_end.token_hash = token_hash(key)
    head_end.token_issued_at = timezone.now()
    head_end.save(update_fields=["token_hash", "token_issued_at"])
    return key


@transaction.atomic
def head_end_create(
    *, actor, code: str, name: str, adapter: str = "sandbox"
) -> tuple[HeadEnd, str]:
    """The head-end, its machine user and its first token; the key is returned only here."""
    require_permission(actor, MANAGE_PERMISSION)
    code = (code or "").strip()
    if not code or HeadEnd.objects.filter(code=code).exists():
        raise InvalidInput(_("主站编码为空或已被使用。"), code="invalid_code", field="code")
    user = get_user_model().objects.create_user(username=f"headend-{code}", password=None)
    head_end = HeadEnd.objects.create(
        code=code, name=name.strip() or code, user=user, adapter=adapter
    )
    return head_end, _issue(head_end)


@transaction.atomic
def head_end_token_issue(*, actor, head_end: HeadEnd) -> str:
    """A new token for the head-end (the old one stops working); shown once."""
    require_permission(actor, MANAGE_PERMISSION)
    head_end = HeadEnd.objects.select_for_update().get(pk=head_end.pk)
    return _issue(head_end)
