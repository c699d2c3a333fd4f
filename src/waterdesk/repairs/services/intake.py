"""Repair intake (报修受理, R-R1, R-R2, R-S2): the 24-hour hotline, the counter, an inquiry
turned into a repair — at any hour, no business-hours gate.

A report is matched to a place (an account implies its premise and customer; a premise its
one active account), classified by fault type with the type's default urgency (the agent
may raise it, never lower it), and put in the green channel with a reason (hospitals,
elderly living alone, no water at all; vulnerable customers always).

Before anything is written the open repairs of the same fault nearby are looked for
(``selectors.duplicates``). Found, and neither ``link_to`` nor ``confirm_new`` given, the
report is refused with ``duplicate_suspected`` and the candidates. With ``link_to`` the
caller becomes one more contact of that repair and hears of it like the first caller.

A new repair: the case, the repair, its first caller, the caller's notice; an earlier
repair of the same fault at the same premise completed within ``repeat_fault_days`` is
marked failed (the pass rate); a fault that informs quality tells the quality team. An
urgent repair starts its dispatch (15 min) and arrival (60 min) clocks and goes at once to
the crew on call; with nobody on call it waits for a dispatcher, and the dispatchers are
alerted. A general repair waits for a dispatcher (``services.dispatch``).

A report of a fault an incident explains from inside an active incident's area is linked
to the incident instead (``services.incident``): no duplicate check, no crew, no clocks;
the caller is told the incident's expected restoration and water points.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from waterdesk.cases.models import Case, Channel, Priority
from waterdesk.cases.services import (
    case_event_record,
    case_follow_up_record,
    case_lock,
    case_open,
    case_priority,
)
from waterdesk.core.errors import InvalidInput, NotPermitted
from waterdesk.core.masking import mask_mobile
from waterdesk.core.text import text_input as text
from waterdesk.customers.models import Account, AccountStatus, Premise
from waterdesk.customers.validation import validate_phone
from waterdesk.emergency.selectors_hotline import IncidentCover
from waterdesk.fieldwork.selectors import crew_on_duty
from waterdesk.repairs.models import (
    DESCRIPTION_MAX_LENGTH,
    FaultType,
    Repair,
    RepairContact,
    RepairStatus,
    Urgency,
)
from waterdesk.repairs.selectors.duplicates import (
    address_key,
    duplicate_candidates_data,
    repair_duplicates,
)
from waterdesk.repairs.selectors.policy import repair_policy
from waterdesk.repairs.services.dispatch import dispatch_to_crew
from waterdesk.repairs.services.incident import (
    incident_cover_of,
    incident_covering_report,
    incident_lock_active,
    linked_context,
    repair_link_to_incident,
)
from waterdesk.repairs.services.notices import (
    LINKED,
    REGISTERED,
    notify_contact,
    notify_dispatchers_no_crew,
    notify_quality_team,
    repair_context,
)
from waterdesk.repairs.workflow import (
    ARRIVAL_MILESTONE,
    DISPATCH_MILESTONE,
    INTAKE_PERMISSION,
    KIND,
)
from waterdesk.sla import services as sla

ADDRESS_MAX_LENGTH = 300
NOTE_MAX_LENGTH = 500
GREEN_REASON_MAX_LENGTH = 200
# The namespace of the PostgreSQL advisory locks that serialise reports of one fault in
# one zone, so that two callers on the line at once cannot both open a repair.
_DUPLICATE_LOCK_NAMESPACE = 10_010


class DuplicateSuspected(InvalidInput):
    """Open repairs of the same fault nearby: the agent decides (link or confirm new)."""

    code = "duplicate_suspected"
    http_status = 409

    def __init__(self, repairs: list[Repair]):
        numbers = "、".join(repair.case.number for repair in repairs)
        super().__init__(
            _(
                "附近已有 %(count)s 件同类报修尚未完工（%(numbers)s）：如是同一故障，请并入已有"
                "报修，来电人将一并收到进展和完工通知；确认不是同一故障的，请确认为新报修。"
            )
            % {"count": len(repairs), "numbers": numbers},
            details={"candidates": duplicate_candidates_data(repairs)},
        )
        self.repairs = repairs


@dataclass
class Place:
    address: str
    premise: Premise | None
    account: Account | None
    customer: object | None
    zone: object | None
    latitude: Decimal | None
    longitude: Decimal | None


# --- input --------------------------------------------------------------------------------


def _fault_type(fault_type) -> FaultType:
    if fault_type is None or fault_type.pk is None:
        raise InvalidInput(_("请选择故障类型。"), code="required", field="fault_type")
    if fault_type._state.db is None:  # not read in this request: read it now
        fault_type = FaultType.objects.get(pk=fault_type.pk)
    if not fault_type.is_active:
        raise InvalidInput(
            _("故障类型“%(name)s”已停用，请选择其他类型。") % {"name": fault_type.name},
            code="fault_type_inactive",
            field="fault_type",
        )
    return fault_type


def _urgency(fault_type: FaultType, urgency) -> str:
    """The fault type's default, or the agent's higher one; never lower."""
    default = fault_type.default_urgency
    if urgency in (None, ""):
        return default
    if urgency not in Urgency.values:
        raise InvalidInput(_("紧急程度不正确。"), code="invalid_urgency", field="urgency")
    if default == Urgency.URGENT and urgency == Urgency.GENERAL:
        raise InvalidInput(
            _("“%(fault)s”默认为紧急报修，不能降为一般；如确非紧急，请选择其他故障类型。")
            % {"fault": fault_type.name},
            code="urgency_below_default",
            field="urgency",
        )
    return urgency


def _coordinate(value, *, field: str, limit: int) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        number = None
    if number is None or not number.is_finite() or abs(number) > limit:
        raise InvalidInput(_("位置坐标无效。"), code="invalid_location", field=field)
    return number


def _read_with(instance, *relations: str) -> bool:
    """Whether ``instance`` was read from the database with ``relations`` (the API's
    lookups select them): then it is not read again."""
    return instance._state.db is not None and all(
        instance._meta.get_field(name).is_cached(instance) for name in relations
    )


def _only_active_account(premise: Premise) -> Account | None:
    accounts = list(
        Account.objects.filter(premise=premise, status=AccountStatus.ACTIVE).select_related(
            "customer"
        )[:2]
    )
    return accounts[0] if len(accounts) == 1 else None


def _premise_by_address(address: str, customer) -> Premise | None:
    """The premise the typed address names: one of the caller's own, or the one premise
    stored with exactly that address."""
    key = address_key(address)
    if customer is not None:
        for account in customer.accounts.select_related("premise__zone"):
            if address_key(account.premise.address) == key:
                return account.premise
    premises = list(Premise.objects.filter(address=address).select_related("zone")[:2])
    return premises[0] if len(premises) == 1 else None


def _place(*, address, premise, account, customer, zone, latitude, longitude) -> Place:
    """Where the fault is, matched to a premise and account where possible."""
    if account is not None:
        if not _read_with(account, "premise", "customer") or not _read_with(
            account.premise, "zone"
        ):
            account = Account.objects.select_related("premise__zone", "customer").get(pk=account.pk)
        if premise is not None and premise.pk != account.premise_id:
            raise InvalidInput(
                _("户号 %(number)s 不在所选用水地址，请核对户号或地址。")
                % {"number": account.number},
                code="account_premise_mismatch",
                field="account",
            )
        premise = account.premise
    address = text(
        address,
        field="address",
        label=_("报修地址"),
        limit=ADDRESS_MAX_LENGTH,
        required=False,
    )
    if premise is None and not address and customer is None:
        # A rule between inputs: an address, or a premise or account that gives it.
        raise InvalidInput(_("请填写报修地址。"), code="address_required", field="address")
    if premise is None and not address and customer is not None:
        accounts = list(customer.accounts.select_related("premise__zone")[:2])
        if len(accounts) != 1:
            raise InvalidInput(_("请填写报修地址。"), code="address_required", field="address")
        account = accounts[0]
        premise = account.premise
    if premise is None:
        premise = _premise_by_address(address, customer)
    if premise is not None:
        if not _read_with(premise, "zone"):
            premise = Premise.objects.select_related("zone").get(pk=premise.pk)
        if account is None:
            account = _only_active_account(premise)
    if account is not None and customer is None:
        customer = account.customer
    lat = _coordinate(latitude, field="latitude", limit=90)
    lon = _coordinate(longitude, field="longitude", limit=180)
    if (lat is None) != (lon is None):
        raise InvalidInput(_("请同时填写经度和纬度。"), code="invalid_location", field="latitude")
    if lat is None and premise is not None:
        lat, lon = premise.latitude, premise.longitude
    return Place(
        address=address or premise.address,
        premise=premise,
        account=account,
        customer=customer,
        zone=premise.zone if premise is not None else zone,
        latitude=lat,
        longitude=lon,
    )


def _lock_reports_of(fault_type: FaultType, zone) -> None:
    """Serialise the reports of one fault in one zone (PostgreSQL; SQLite serialises every
    write anyway): the duplicate check and the new repair happen as one step."""
    if connection.vendor != "postgresql":
        return
    key = fault_type.pk * 100_000 + (zone.pk if zone is not None else 0)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [_DUPLICATE_LOCK_NAMESPACE, key % 2**31]
        )


# --- a caller joining an open repair --------------------------------------------------------


def _link_notice(case: Case, repair: Repair) -> dict:
    """What a caller joining ``repair`` is told: its registration, or the incident's news
    when the repair is linked to one."""
    cover = incident_cover_of(repair.incident) if repair.incident_id else None
    if case.status == RepairStatus.LINKED and cover is not None:
        return {"template": LINKED, "context": linked_context(case, repair, cover)}
    return {"template": REGISTERED, "context": repair_context(case, repair)}


def _link(
    *,
    actor,
    target: Case,
    channel,
    contact_name,
    contact_phone,
    place: Place,
    description,
    at,
    follows,
) -> Case:
    case = case_lock(target)
    if case.kind != KIND:
        raise InvalidInput(_("只能并入未完工的报修。"), code="link_target_invalid", field="link_to")
    repair = (
        Repair.objects.select_for_update(of=("self",)).select_related("fault_type").get(case=case)
    )
    if not case.is_open or repair.completed_at is not None:
        raise InvalidInput(
            _("报修 %(number)s 已完工或已撤销，不能再并入；请确认为新报修。")
            % {"number": case.number},
            code="link_target_closed",
            field="link_to",
        )
    contact = RepairContact.objects.create(
        repair=repair,
        name=contact_name,
        phone=contact_phone,
        customer=place.customer,
        address=place.address,
        note=description[:NOTE_MAX_LENGTH],
        channel=channel,
        reported_at=at,
        recorded_by=actor,
    )
    case_event_record(
        case=case,
        actor=actor,
        action="contact_added",
        at=at,
        note=description[:NOTE_MAX_LENGTH],
        data={
            "name": contact_name,
            "phone": mask_mobile(contact_phone),
            "channel": channel,
            "address": place.address,
        },
    )
    notify_contact(
        case=case,
        contact=contact,
        **_link_notice(case, repair),
        urgent=True,
    )
    if follows is not None:
        case_follow_up_record(actor=actor, source=follows, target=case)
    return case


# --- a new repair ---------------------------------------------------------------------------


def _mark_repeat_faults(*, actor, case: Case, repair: Repair, premise, at, policy) -> None:
    """The pass rate: a completed repair of the same fault at the same premise within the
    policy's days failed; it names this report, and both timelines say so."""
    if premise is None:
        return
    earlier = (
        Repair.objects.select_for_update(of=("self",))
        .filter(
            fault_type=repair.fault_type,
            case__premise=premise,
            completed_at__gte=at - timedelta(days=policy.repeat_fault_days),
            completed_at__lte=at,
            failed=False,
        )
        .exclude(pk=repair.pk)
        .select_related("case")
        .order_by("completed_at", "pk")
    )
    for previous in earlier:
        previous.failed, previous.failed_by = True, case
        previous.save(update_fields=["failed", "failed_by"])
        case_event_record(
            case=previous.case,
            actor=actor,
            action="marked_failed",
            at=at,
            data={"case": case.number, "days": policy.repeat_fault_days},
        )
        case_event_record(
            case=case, actor=actor, action="repeat_of", at=at, data={"case": previous.case.number}
        )


def _open_repair(
    *,
    actor,
    channel,
    contact_name,
    contact_phone,
    place: Place,
    fault_type,
    urgency,
    description,
    priority,
    green_channel_reason,
    at,
    follows,
    incident: IncidentCover | None = None,
) -> Case:
    policy = repair_policy()
    # Restored since it was found (rare): the report goes the usual way, unchecked for
    # duplicates like any report the agent confirmed as new.
    incident_case = incident_lock_active(incident) if incident is not None else None
    case = case_open(
        actor=actor,
        kind=KIND,
        status=RepairStatus.LINKED if incident_case is not None else RepairStatus.AWAITING_DISPATCH,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        customer=place.customer,
        premise=place.premise,
        department=policy.department,  # None: the agent's department
        priority=priority,
        green_channel_reason=green_channel_reason,
        summary=f"{fault_type.name}：{place.address}",
        opened_at=at,
        follows=follows,
    )
    repair = Repair.objects.create(
        case=case,
        fault_type=fault_type,
        urgency=urgency,
        description=description,
        address=place.address,
        address_key=address_key(place.address),
        zone=place.zone,
        account=place.account,
        latitude=place.latitude,
        longitude=place.longitude,
        reported_at=at,
        incident=incident_case,
    )
    contact = RepairContact.objects.create(
        repair=repair,
        name=contact_name,
        phone=contact_phone,
        customer=place.customer,
        address=place.address,
        channel=channel,
        reported_at=at,
        recorded_by=actor,
    )
    if urgency != fault_type.default_urgency:
        case_event_record(
            case=case,
            actor=actor,
            action="urgency_raised",
            at=at,
            data={"from": fault_type.default_urgency, "to": urgency},
        )
    if incident_case is not None:
        # The incident's fault, not a crew's repair: no repeat mark, no quality alert (the
        # incident's people have it), no crew and no clocks.
        repair_link_to_incident(
            actor=actor,
            case=case,
            repair=repair,
            contact=contact,
            incident=incident_case,
            cover=incident,
            at=at,
        )
        return case
    _mark_repeat_faults(
        actor=actor, case=case, repair=repair, premise=place.premise, at=at, policy=policy
    )
    if fault_type.informs_quality:
        told = notify_quality_team(case=case, repair=repair, department=policy.quality_department)
        department = policy.quality_department
        case_event_record(
            case=case,
            actor=actor,
            action="quality_informed",
            at=at,
            data={"department": department.name if department else "", "staff": told},
        )
    notify_contact(
        case=case,
        contact=contact,
        template=REGISTERED,
        context=repair_context(case, repair),
        urgent=True,  # the caller is on the line now, whatever the hour
    )
    if urgency == Urgency.URGENT:
        sla.clock_start(case=case, milestone=DISPATCH_MILESTONE, start=at)
        sla.clock_start(case=case, milestone=ARRIVAL_MILESTONE, start=at)
        crew = crew_on_duty(at=at)
        if crew is not None:
            case, _order = dispatch_to_crew(actor=None, case=case, repair=repair, crew=crew, at=at)
        else:
            told = notify_dispatchers_no_crew(case=case, repair=repair)
            case_event_record(
                case=case, actor=None, action="no_crew_on_duty", at=at, data={"dispatchers": told}
            )
    return case


@transaction.atomic
def repair_report(
    *,
    actor,
    channel: str,
    contact_name: str,
    contact_phone: str,
    address: str,
    fault_type: FaultType,
    description: str,
    premise: Premise | None = None,
    account: Account | None = None,
    customer=None,
    zone=None,
    latitude=None,
    longitude=None,
    urgency: str | None = None,
    green_channel_reason: str = "",
    link_to: Case | None = None,
    confirm_new: bool = False,
    follows: Case | None = None,
    at: datetime | None = None,
) -> Case:
    """Register a fault report (报修受理) at any hour; see the module's description.

    Returns the new repair's case, or with ``link_to`` the case the caller joined. Refuses
    with ``DuplicateSuspected`` (``duplicate_suspected``, the candidates in ``details``)
    when open repairs of the same fault are nearby and neither ``link_to`` nor
    ``confirm_new`` is given — nothing is written then. ``follows``: the case (an inquiry)
    the report comes from; both timelines record the link.
    """
    if not actor.has_perm(INTAKE_PERMISSION):
        raise NotPermitted()
    at = at or timezone.now()
    if channel not in Channel.values:
        raise InvalidInput(_("受理渠道不正确。"), code="invalid_channel", field="channel")
    contact_name = text(contact_name, field="contact_name", label=_("报修人"), limit=100)
    contact_phone = validate_phone(contact_phone)
    fault_type = _fault_type(fault_type)
    description = text(
        description, field="description", label=_("故障描述"), limit=DESCRIPTION_MAX_LENGTH
    )
    place = _place(
        address=address,
        premise=premise,
        account=account,
        customer=customer,
        zone=zone,
        latitude=latitude,
        longitude=longitude,
    )
    urgency = _urgency(fault_type, urgency)
    if link_to is not None:
        return _link(
            actor=actor,
            target=link_to,
            channel=channel,
            contact_name=contact_name,
            contact_phone=contact_phone,
            place=place,
            description=description,
            at=at,
            follows=follows,
        )
    green_channel_reason = text(
        green_channel_reason,
        field="green_channel_reason",
        label=_("绿色通道原因"),
        limit=GREEN_REASON_MAX_LENGTH,
        required=False,
    )
    priority, green_channel_reason = case_priority(
        place.customer,
        Priority.GREEN if green_channel_reason else Priority.NORMAL,
        green_channel_reason,
    )
    _lock_reports_of(fault_type, place.zone)
    incident = incident_covering_report(
        fault_type=fault_type, premise=place.premise, zone=place.zone
    )
    if not confirm_new and incident is None:
        candidates = repair_duplicates(
            fault_type=fault_type,
            premise=place.premise,
            zone=place.zone,
            latitude=place.latitude,
            longitude=place.longitude,
            address=place.address,
            at=at,
        )
        if candidates:
            raise DuplicateSuspected(candidates)
    return _open_repair(
        actor=actor,
        channel=channel,
        contact_name=contact_name,
        contact_phone=contact_phone,
        place=place,
        fault_type=fault_type,
        urgency=urgency,
        description=description,
        priority=priority,
        green_channel_reason=green_channel_reason,
        at=at,
        follows=follows,
        incident=incident,
    )
