"""The 12345 city hotline link (R-K1): the platform pushes a work order, we open a complaint;
the platform pulls our replies and the outcome.

A transfer is identified by the platform's reference (unique on the complaint): the same
push again is the same case, nothing changed; another payload under a known reference is
refused (409 ``duplicate_reference``), nothing changed. Two identical pushes racing each
other meet the unique constraint: the loser's savepoint rolls back and it answers with the
winner's case.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.cases.models import Case, Channel
from waterdesk.complaints.models import Complaint, ComplaintCategory
from waterdesk.complaints.services.intake import complaint_register
from waterdesk.complaints.workflow import CITY_HOTLINE_PERMISSION
from waterdesk.core.errors import DomainError, InvalidInput, require_permission

OTHER_CATEGORY = "other"
# The platform's work-order numbers: letters, digits and - _ . (a path segment).
REFERENCE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

# The platform's category words (its own taxonomy, free text) → our category codes; the
# first keyword found in the platform's text decides, else "other".
CATEGORY_KEYWORDS: tuple[tuple[str, str], ...] = (
    ("态度", "service_attitude"),
    ("服务", "service_attitude"),
    ("水费", "billing"),
    ("账单", "billing"),
    ("收费", "billing"),
    ("缴费", "billing"),
    ("水表", "meter"),
    ("抄表", "meter"),
    ("水质", "water_quality"),
    ("浑浊", "water_quality"),
    ("异味", "water_quality"),
    ("停水", "supply"),
    ("水压", "supply"),
    ("供水", "supply"),
    ("维修", "repair"),
    ("漏水", "repair"),
    ("爆管", "repair"),
    ("报装", "connection"),
    ("开户", "connection"),
    ("施工", "construction"),
    ("开挖", "construction"),
)

# Our services' input names → the platform's, so that a refusal names the platform's field.
PLATFORM_FIELDS = {
    "contact_name": "complainant_name",
    "contact_phone": "complainant_phone",
    "phone": "complainant_phone",
    "city_reference": "reference",
    "deadline": "deadline",
    "matter": "matter",
    "demand": "demand",
    "category": "category",
}


class DuplicateReference(DomainError):
    code = "duplicate_reference"
    default_message = gettext_lazy("该 12345 工单号已转办过且内容不同，未作任何更改。")
    http_status = 409


def city_category(text: str) -> ComplaintCategory:
    """Our category of the platform's category text: by name, else by keyword, else
    "other" (an inactive category counts as "other")."""
    text = str(text or "").strip()
    active = ComplaintCategory.objects.filter(is_active=True)
    if text:
        named = active.filter(name=text).first() or active.filter(code=text).first()
        if named is not None:
            return named
        for keyword, code in CATEGORY_KEYWORDS:
            if keyword in text:
                found = active.filter(code=code).first()
                if found is not None:
                    return found
    return ComplaintCategory.objects.get(code=OTHER_CATEGORY)


@dataclass(frozen=True)
class Received:
    case: Case
    created: bool


def _existing(reference: str) -> Complaint | None:
    return Complaint.objects.select_related("case").filter(city_reference=reference).first()


def _same(complaint: Complaint, payload: dict) -> Received:
    if complaint.city_payload != payload:
        raise DuplicateReference(field="reference", details={"case": complaint.case.number})
    return Received(case=complaint.case, created=False)


def _matter(matter: str, address: str) -> str:
    matter = str(matter or "").strip()
    address = str(address or "").strip()
    if matter and address:
        return _("%(matter)s\n（地址：%(address)s）") % {"matter": matter, "address": address}
    return matter


def city_transfer_receive(
    *,
    actor,
    reference: str,
    deadline: datetime | None,
    complainant_name: str,
    complainant_phone: str,
    matter: str,
    demand: str = "",
    category: str = "",
    address: str = "",
    payload: dict,
) -> Received:
    """Receive a work order pushed by the 12345 platform (``actor``: its machine user, who
    holds ``complaints.transfer_city_hotline``). Opens a complaint (channel city_hotline)
    with the platform's reference, deadline and the pushed body; the same push again
    answers with the same case (``created`` False); a different body under a known
    reference is refused (``DuplicateReference``). Refusals name the platform's fields."""
    require_permission(actor, CITY_HOTLINE_PERMISSION)
    reference = str(reference or "").strip()
    if not reference:
        raise InvalidInput(_("请提供 12345 工单号。"), code="required", field="reference")
    known = _existing(reference)
    if known is not None:
        return _same(known, payload)
    try:
        with transaction.atomic():  # a savepoint: a lost race rolls back only this
            case = complaint_register(
                actor=None,
                channel=Channel.CITY_HOTLINE,
                contact_name=complainant_name,
                contact_phone=complainant_phone,
                category=city_category(category),
                matter=_matter(matter, address),
                demand=demand,
                city_reference=reference,
                city_deadline=deadline,
                city_payload=payload,
            )
    except IntegrityError:
        known = _existing(reference)
        if known is None:
            raise
        return _same(known, payload)
    except InvalidInput as error:
        error.field = PLATFORM_FIELDS.get(error.field, error.field)
        raise
    return Received(case=case, created=True)
