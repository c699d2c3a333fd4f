"""The indicator catalogue: editions of the standard and which one judges a sample.

An edition is loaded whole (``edition_load``), beside the ones already loaded, with the date
it comes into force; a sample is judged by the edition in force on its sampling day."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput, require_permission
from waterdesk.core.text import text_clean_line, text_input
from waterdesk.quality.models import Edition, Indicator
from waterdesk.quality.services.catalogue_rows import csv_rows, indicator_fields

MANAGE_PERMISSION = "quality.manage_catalogue"


def edition_in_force(day: date) -> Edition | None:
    """The edition in force on ``day``: the latest effective on or before it."""
    return Edition.objects.filter(effective_from__lte=day).order_by("-effective_from").first()


def edition_indicators(edition: Edition) -> dict[str, Indicator]:
    """The edition's indicators by code."""
    return {indicator.code: indicator for indicator in edition.indicators.all()}


@transaction.atomic
def edition_load(
    *, actor, code: str, name: str, effective_from: date, data: bytes, note: str = ""
) -> Edition:
    """Load a new edition of the standard from its indicator table (the columns of
    ``data/gb5749-2022-indicators.csv``); every row is checked before anything is written."""
    require_permission(actor, MANAGE_PERMISSION)
    code = text_input(text_clean_line(code), field="code", label=_("编码"), limit=40)
    name = text_input(text_clean_line(name), field="name", label=_("标准名称"), limit=200)
    if Edition.objects.filter(code=code).exists():
        raise InvalidInput(
            _("编码 %(code)s 已被使用。") % {"code": code}, code="edition_code_taken", field="code"
        )
    if Edition.objects.filter(effective_from=effective_from).exists():
        raise InvalidInput(
            _("%(day)s 已有实施的标准版本：请换一个实施日期。") % {"day": effective_from},
            code="edition_date_taken",
            field="effective_from",
        )
    fields = indicator_fields(csv_rows(data))
    edition = Edition.objects.create(
        code=code, name=name, effective_from=effective_from, note=note, loaded_by=actor
    )
    Indicator.objects.bulk_create(Indicator(edition=edition, **item) for item in fields)
    return edition
