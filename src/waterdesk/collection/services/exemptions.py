"""Writes of collection: the exemptions (the classification is ``classify``)."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from waterdesk.collection.models import CollectionExemption, ExemptionKind
from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.core.text import text_input
from waterdesk.customers.models import Account

REASON_MAX_LENGTH = 300


@transaction.atomic
def collection_exemption_add(
    *,
    actor,
    account: Account,
    kind: str,
    reason: str,
    starts_at: date,
    expires_at: date | None = None,
) -> CollectionExemption:
    """Keep ``account`` out of collection from ``starts_at`` until ``expires_at`` (exclusive;
    None: until revoked), for a stated reason."""
    require_permission(actor, "collection.add_collectionexemption")
    if kind not in ExemptionKind.values:
        raise InvalidInput(_("请选择豁免类型。"), code="invalid_kind", field="kind")
    text = text_input(reason, field="reason", label=_("豁免原因"), limit=REASON_MAX_LENGTH)
    if starts_at is None:
        raise InvalidInput(_("请填写生效日期。"), code="required", field="starts_at")
    if expires_at is not None and expires_at <= starts_at:
        raise InvalidInput(
            _("到期日期应晚于生效日期，请改正到期日期或留空（撤销前一直有效）。"),
            code="expiry_before_start",
            field="expires_at",
        )
    return CollectionExemption.objects.create(
        account=account,
        kind=kind,
        reason=text,
        starts_at=starts_at,
        expires_at=expires_at,
        created_by=actor,
    )


@transaction.atomic
def collection_exemption_revoke(*, actor, exemption: CollectionExemption) -> CollectionExemption:
    """End an exemption now: the next classification no longer counts it."""
    require_permission(actor, "collection.change_collectionexemption")
    locked = CollectionExemption.objects.select_for_update().get(pk=exemption.pk)
    if locked.revoked_at is not None:
        raise IllegalTransition(_("该豁免已撤销。"), code="already_revoked")
    locked.revoked_at = timezone.now()
    locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by"])  # recorded in the history
    return locked
