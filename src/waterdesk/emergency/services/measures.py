"""Improvement measures of a post-incident review or a drill: added with an owner and a
deadline, marked done with a note. Each is one transaction; a review's measures are also
on the incident's timeline."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput
from waterdesk.core.text import text_input as text
from waterdesk.emergency.models import Measure

DESCRIPTION_MAX_LENGTH = 500


def _clean(*, description, owner, deadline) -> tuple[str, object, date]:
    description = text(
        description, field="description", label=_("改进措施"), limit=DESCRIPTION_MAX_LENGTH
    )
    if owner is None or not getattr(owner, "is_active", False):
        raise InvalidInput(_("请选择在职的责任人。"), code="owner_required", field="owner")
    if deadline is None:
        raise InvalidInput(_("请填写完成期限。"), code="deadline_required", field="deadline")
    return description, owner, deadline


@transaction.atomic
def measure_add(*, review=None, drill=None, description, owner, deadline) -> Measure:
    """A measure of ``review`` or of ``drill`` (exactly one)."""
    if (review is None) == (drill is None):
        raise ValueError("a measure belongs to a review or a drill")
    description, owner, deadline = _clean(description=description, owner=owner, deadline=deadline)
    return Measure.objects.create(
        review=review, drill=drill, description=description, owner=owner, deadline=deadline
    )


@transaction.atomic
def measure_done(*, measure: Measure, actor, note) -> Measure:
    """Mark ``measure`` done (by its owner or whoever manages it: the caller checks)."""
    measure = Measure.objects.select_for_update().get(pk=measure.pk)
    if measure.done_at is not None:
        raise InvalidInput(
            _("该措施已于 %(when)s 完成，无需重复办理。")
            % {"when": timezone.localtime(measure.done_at).strftime("%Y-%m-%d %H:%M")},
            code="measure_done_already",
        )
    measure.done_note = text(note, field="note", label=_("完成情况"), limit=500, required=False)
    measure.done_at = timezone.now()
    measure.save(update_fields=["done_at", "done_note"])
    return measure
