"""The affected area of an incident or a planned outage, and the customers inside it.

An area is any combination of supply zones, streets (district + street, as the premises
record them) and single premises. The affected customers are those with an account that is
not closed on a premise inside the area, each once, sensitive customers first (hospitals,
care homes, schools, registered vulnerable households, others; then everyone else), then by
id — the order their notices are queued and sent in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Case as When_
from django.db.models import Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext as _

from waterdesk.core.errors import InvalidInput
from waterdesk.customers.models import (
    NOT_SENSITIVE_RANK,
    SENSITIVE_ORDER,
    Account,
    AccountStatus,
    Customer,
    Premise,
    SensitiveCategory,
    SupplyZone,
)
from waterdesk.emergency.models import AffectedPremise, AffectedStreet, AffectedZone

MAX_STREETS = 200
MAX_PREMISES = 2000


@dataclass(frozen=True)
class Area:
    """An area as chosen: zones, (district, street) pairs and premises."""

    zones: tuple[SupplyZone, ...] = ()
    streets: tuple[tuple[str, str], ...] = ()
    premises: tuple[Premise, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.zones or self.streets or self.premises)


def area_of(case) -> Area:
    """The area recorded on ``case``."""
    return Area(
        zones=tuple(
            zone_row.zone
            for zone_row in AffectedZone.objects.filter(case=case).select_related("zone")
        ),
        streets=tuple(
            AffectedStreet.objects.filter(case=case)
            .order_by("district", "street")
            .values_list("district", "street")
        ),
        premises=tuple(
            row.premise
            for row in AffectedPremise.objects.filter(case=case).select_related("premise")
        ),
    )


def premise_filter(area: Area, *, prefix: str = "") -> Q:
    """The premises inside ``area`` as a filter (``prefix``: the path to the premise,
    e.g. ``"premise__"`` on accounts). An empty area matches nothing."""
    condition = Q(pk__in=[])
    if area.zones:
        condition |= Q(**{f"{prefix}zone_id__in": [zone.pk for zone in area.zones]})
    for district, street in area.streets:
        street_q = Q(**{f"{prefix}street": street})
        if district:
            street_q &= Q(**{f"{prefix}district": district})
        condition |= street_q
    if area.premises:
        condition |= Q(**{f"{prefix}pk__in": [premise.pk for premise in area.premises]})
    return condition


def sensitive_rank():
    """An SQL expression: the customer's rank in the notice order (``SENSITIVE_ORDER``;
    a vulnerable customer without a category ranks as a vulnerable household)."""
    whens = [
        When(sensitive_category=value, then=Value(rank)) for value, rank in SENSITIVE_ORDER.items()
    ]
    whens.append(
        When(
            is_vulnerable=True,
            then=Value(SENSITIVE_ORDER[SensitiveCategory.VULNERABLE_HOUSEHOLD]),
        )
    )
    return When_(*whens, default=Value(NOT_SENSITIVE_RANK), output_field=IntegerField())


def affected_customers(area: Area) -> QuerySet[Customer]:
    """The customers inside ``area``, each once, annotated with ``notice_rank``, sensitive
    first then by id."""
    inside = (
        Account.objects.filter(customer=OuterRef("pk"))
        .exclude(status=AccountStatus.CLOSED)
        .filter(premise_filter(area, prefix="premise__"))
    )
    return (
        Customer.objects.filter(Exists(inside))
        .annotate(notice_rank=sensitive_rank())
        .order_by("notice_rank", "pk")
    )


def affected_counts(area: Area) -> tuple[int, int]:
    """(customers, of which sensitive) inside ``area``."""
    customers = affected_customers(area)
    total = customers.count()
    sensitive = customers.filter(notice_rank__lt=NOT_SENSITIVE_RANK).count() if total else 0
    return total, sensitive


def _clean_streets(streets: Iterable) -> tuple[tuple[str, str], ...]:
    cleaned: list[tuple[str, str]] = []
    for item in streets:
        if isinstance(item, Mapping):  # {"district": …, "street": …}
            item = (item.get("district", ""), item.get("street", ""))
        district, street = (item if isinstance(item, tuple | list) else ("", item))[:2]
        district, street = (district or "").strip(), (street or "").strip()
        if street and (district, street) not in cleaned:
            cleaned.append((district, street))
    if len(cleaned) > MAX_STREETS:
        raise InvalidInput(
            _("一次最多选择 %(count)s 条街道；范围更大时请选择供水片区。") % {"count": MAX_STREETS},
            code="too_many_streets",
            field="streets",
        )
    return tuple(cleaned)


def area_clean(*, zones=(), streets=(), premises=()) -> Area:
    """The area from the user's choices, refused when empty or when it matches no
    customer (``area_no_customers``: probably a wrong choice)."""
    premises = tuple(dict.fromkeys(premises))
    if len(premises) > MAX_PREMISES:
        raise InvalidInput(
            _("一次最多选择 %(count)s 个地址；范围更大时请选择街道或供水片区。")
            % {"count": MAX_PREMISES},
            code="too_many_premises",
            field="premises",
        )
    area = Area(
        zones=tuple(dict.fromkeys(zones)), streets=_clean_streets(streets), premises=premises
    )
    if area.is_empty:
        raise InvalidInput(
            _("请选择影响范围：供水片区、街道或具体地址，至少一项。"),
            code="area_required",
            field="zones",
        )
    if not affected_customers(area).exists():
        raise InvalidInput(
            _("所选范围内没有用水客户，请核对片区、街道或地址。"),
            code="area_no_customers",
            field="zones",
        )
    return area


@transaction.atomic(savepoint=False)
def area_record(*, case, area: Area) -> None:
    """Replace the area recorded on ``case`` (inside the caller's transaction)."""
    AffectedZone.objects.filter(case=case).delete()
    AffectedStreet.objects.filter(case=case).delete()
    AffectedPremise.objects.filter(case=case).delete()
    AffectedZone.objects.bulk_create(AffectedZone(case=case, zone=zone) for zone in area.zones)
    AffectedStreet.objects.bulk_create(
        AffectedStreet(case=case, district=district, street=street)
        for district, street in area.streets
    )
    AffectedPremise.objects.bulk_create(
        AffectedPremise(case=case, premise=premise) for premise in area.premises
    )


def area_data(area: Area) -> dict:
    """The area for a timeline event's data (names, not ids)."""
    return {
        "zones": [zone.name for zone in area.zones],
        "streets": [f"{district}{street}" for district, street in area.streets],
        "premises": [premise.address for premise in area.premises],
    }


def area_text(area: Area, *, limit: int = 6) -> str:
    """The area in a sentence for notices and the public page: "城东片区、人民路等 8 处"."""
    names = [zone.name for zone in area.zones]
    names += [f"{district}{street}" for district, street in area.streets]
    names += [premise.address for premise in area.premises]
    if len(names) <= limit:
        return "、".join(names)
    return _("%(names)s等 %(count)s 处") % {
        "names": "、".join(names[:limit]),
        "count": len(names),
    }


def cases_covering(premise: Premise, *, cases: QuerySet) -> QuerySet:
    """Those of ``cases`` whose area contains ``premise`` (its zone, its street or itself)."""
    street = AffectedStreet.objects.filter(case=OuterRef("pk"), street=premise.street).filter(
        Q(district="") | Q(district=premise.district)
    )
    return cases.filter(
        Exists(AffectedZone.objects.filter(case=OuterRef("pk"), zone_id=premise.zone_id))
        | (Exists(street) if premise.street else Q(pk__in=[]))
        | Exists(AffectedPremise.objects.filter(case=OuterRef("pk"), premise=premise))
    )
