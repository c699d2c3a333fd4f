"""Setting up master/sub meters, shared meters and flat-fee accounts.

Rules (every refusal writes nothing):

- **Master and sub meters.** The master meter is an installed meter; its account becomes a
  metering point (``customers.BillingMode.METERING_POINT``: read, never billed) when it is
  an ordinary metered account with no other installed meter. Sub meters are installed
  meters on other accounts, each on its own account. A meter is the sub meter of one
  master at most, and never its own ancestor: master → sub → … → master is a loop and is
  refused (``meter_loop``). Nested masters (a sub meter that is itself a master) are
  allowed. Rule ``master_account`` bills the difference to a chosen metered account; the
  other rules apportion it to the sub meters' accounts, which must then be metered
  accounts (a nested master's or a shared meter's account is a metering point).
- **Shared meter.** At least two member accounts, metered, none the meter's own; split
  by fixed shares, equally or by household size.
- **Fixed shares** are percentages with two places, each above 0, adding up to 100.
- **Flat fee.** An account without an installed meter, billed a fixed volume (priced by
  its tariff) or a fixed amount per cycle; its billing mode says which.
- Deactivating an arrangement ends its allocations from the next calculation; its
  parts are released (kept in the event), a flat-fee account goes back to metered, a
  master's metering point stays one (its reads were never billed).

The meters involved are locked (``FOR UPDATE``, by id) before the checks, so two
arrangements that would close a loop together are set up one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from waterdesk.core.errors import IllegalTransition, InvalidInput, require_permission
from waterdesk.customers.models import (
    Account,
    AccountStatus,
    BillingMode,
    Meter,
    MeterState,
)
from waterdesk.metering.models import (
    RULES_OF_KIND,
    AllocationRule,
    Arrangement,
    ArrangementKind,
    ArrangementPart,
    FlatBasis,
    MeteringEvent,
    MeteringEventKind,
)

MANAGE = "metering.manage_arrangement"
HUNDRED = Decimal("100.00")


@dataclass(frozen=True)
class PartInput:
    """A sub meter (master/sub: its account is the meter's) or a member account (shared),
    with its fixed share in percent (fixed-share rule only)."""

    meter: Meter | None = None
    account: Account | None = None
    share_percent: Decimal | str | None = None


@dataclass
class _Checked:
    kind: str
    name: str
    rule: str
    meter: Meter | None
    account: Account | None
    parts: list[tuple[Meter | None, Account, Decimal | None]]
    flat_basis: str
    flat_volume: Decimal | None
    flat_amount: Decimal | None
    note: str


def _decimal(value, *, field: str, places: str = "0.01") -> Decimal | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise InvalidInput(_("请填写数字。"), code="invalid_number", field=field) from error
    if not number.is_finite() or number != number.quantize(Decimal(places)):
        raise InvalidInput(_("最多两位小数。"), code="invalid_number", field=field)
    return number


def _lock_meters(meters) -> dict[int, Meter]:
    ids = sorted({meter.pk for meter in meters if meter is not None and meter.pk is not None})
    locked = {
        meter.pk: meter
        for meter in Meter.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    }
    return locked


def _fresh_account(account: Account | None, *, field: str) -> Account:
    if account is None or account.pk is None:
        raise InvalidInput(_("请选择账户。"), code="invalid_account", field=field)
    found = Account.objects.select_for_update(of=("self",)).filter(pk=account.pk).first()
    if found is None:
        raise InvalidInput(_("账户不存在。"), code="invalid_account", field=field)
    if found.status == AccountStatus.CLOSED:
        raise InvalidInput(
            format_lazy(_("账户{number}已销户。"), number=found.number),
            code="account_closed",
            field=field,
        )
    return found


def _installed(meter: Meter | None, locked: dict[int, Meter], *, field: str) -> Meter:
    if meter is None or meter.pk not in locked:
        raise InvalidInput(_("请选择水表。"), code="invalid_meter", field=field)
    fresh = locked[meter.pk]
    if fresh.state != MeterState.INSTALLED or fresh.account_id is None:
        raise InvalidInput(
            format_lazy(_("水表{serial}未安装在账户上。"), serial=fresh.serial),
            code="meter_not_installed",
            field=field,
        )
    return fresh


def _ancestors(meter_id: int, *, leaving_out: int | None) -> list[Meter]:
    """The masters above a meter, nearest first (each meter has one master at most)."""
    chain: list[Meter] = []
    seen = {meter_id}
    current = meter_id
    while True:
        part = (
            ArrangementPart.objects.filter(meter_id=current, arrangement__is_active=True)
            .exclude(arrangement_id=leaving_out)
            .select_related("arrangement__meter")
            .first()
        )
        if part is None or part.arrangement.meter is None:
            return chain
        master = part.arrangement.meter
        if master.pk in seen:  # a loop already stored: stop (never written by this module)
            return chain
        seen.add(master.pk)
        chain.append(master)
        current = master.pk


def _check_shares(rule: str, shares: list[Decimal | None]) -> None:
    if rule != AllocationRule.FIXED:
        return
    if any(share is None or share <= 0 for share in shares):
        raise InvalidInput(
            _("按固定比例分摊时，每户都要填写大于 0 的比例。"),
            code="share_required",
            field="parts",
        )
    total = sum(shares, Decimal("0"))
    if total != HUNDRED:
        raise InvalidInput(
            format_lazy(_("固定比例之和应为100（百分比），现为{total}。"), total=total),
            code="shares_not_hundred",
            field="parts",
        )


def _check(
    *,
    kind: str,
    name: str,
    rule: str,
    meter: Meter | None,
    account: Account | None,
    parts: list[PartInput],
    flat_basis: str,
    flat_volume,
    flat_amount,
    note: str,
    arrangement: Arrangement | None,
) -> _Checked:
    name = (name or "").strip()
    note = (note or "").strip()
    if not name:
        raise InvalidInput(_("请填写名称。"), code="name_required", field="name")
    if len(name) > 100 or len(note) > 300:
        raise InvalidInput(_("名称或说明过长。"), code="too_long", field="name")
    if kind not in ArrangementKind.values:
        raise InvalidInput(_("请选择类型。"), code="invalid_kind", field="kind")
    own_id = arrangement.pk if arrangement is not None else None
    if kind == ArrangementKind.FLAT_FEE:
        return _check_flat(
            name=name,
            account=account,
            flat_basis=flat_basis,
            flat_volume=flat_volume,
            flat_amount=flat_amount,
            note=note,
            own_id=own_id,
        )
    if rule not in RULES_OF_KIND[kind]:
        raise InvalidInput(_("请选择该类型可用的分摊规则。"), code="invalid_rule", field="rule")
    shares = [_decimal(part.share_percent, field="parts") for part in parts]
    locked = _lock_meters([meter, *(part.meter for part in parts)])
    master = _installed(meter, locked, field="meter")
    if Arrangement.objects.filter(meter=master, is_active=True).exclude(pk=own_id).exists():
        raise InvalidInput(
            format_lazy(_("水表{serial}已设置了分摊，请修改原设置。"), serial=master.serial),
            code="meter_has_arrangement",
            field="meter",
        )
    master_account = Account.objects.select_for_update(of=("self",)).get(pk=master.account_id)
    if master_account.billing_mode not in (BillingMode.METERED, BillingMode.METERING_POINT):
        raise InvalidInput(
            _("总表/共用表所在账户是包费户，不能作为计量点。"),
            code="meter_account_flat",
            field="meter",
        )
    if master_account.billing_mode == BillingMode.METERED and (
        Meter.objects.filter(account=master_account, state=MeterState.INSTALLED)
        .exclude(pk=master.pk)
        .exists()
    ):
        raise InvalidInput(
            _("总表/共用表所在账户还有其他在用水表：请先为总表单独开立计量点账户。"),
            code="meter_account_shared",
            field="meter",
        )
    checked_parts: list[tuple[Meter | None, Account, Decimal | None]] = []
    if kind == ArrangementKind.MASTER_SUB:
        if not parts:
            raise InvalidInput(_("请至少选择一块分表。"), code="parts_required", field="parts")
        subs = [_installed(part.meter, locked, field="parts") for part in parts]
        sub_ids = [sub.pk for sub in subs]
        if master.pk in sub_ids:
            raise InvalidInput(
                format_lazy(_("水表{serial}不能是自己的分表（循环）。"), serial=master.serial),
                code="meter_loop",
                field="parts",
            )
        if len(set(sub_ids)) != len(sub_ids):
            raise InvalidInput(_("同一块分表选了两次。"), code="duplicate_part", field="parts")
        taken = (
            ArrangementPart.objects.filter(meter_id__in=sub_ids, arrangement__is_active=True)
            .exclude(arrangement_id=own_id)
            .select_related("meter", "arrangement")
            .first()
        )
        if taken is not None:
            raise InvalidInput(
                format_lazy(
                    _("水表{serial}已是“{name}”的分表；一块分表只能属于一块总表。"),
                    serial=taken.meter.serial,
                    name=taken.arrangement.name,
                ),
                code="meter_has_master",
                field="parts",
            )
        for ancestor in _ancestors(master.pk, leaving_out=own_id):
            if ancestor.pk in sub_ids:
                raise InvalidInput(
                    format_lazy(
                        _(
                            "水表{sub}是总表{master}的上级表，不能再作它的分表（会形成循环）。"
                            "请先调整上级总表的设置。"
                        ),
                        sub=ancestor.serial,
                        master=master.serial,
                    ),
                    code="meter_loop",
                    field="parts",
                )
        accounts = [_fresh_account(Account(pk=sub.account_id), field="parts") for sub in subs]
        if master_account.pk in {account.pk for account in accounts}:
            raise InvalidInput(
                _("分表不能与总表在同一账户上。"), code="part_on_master_account", field="parts"
            )
        if len({account.pk for account in accounts}) != len(accounts):
            raise InvalidInput(
                _("每块分表应在各自的账户上。"), code="duplicate_account", field="parts"
            )
        if rule != AllocationRule.MASTER_ACCOUNT:
            for sub_account in accounts:
                if sub_account.billing_mode != BillingMode.METERED:
                    raise InvalidInput(
                        format_lazy(
                            _(
                                "分表账户{number}不是按表计量的账户（如下级总表的计量点）："
                                "请改用“差额计入总表账户”。"
                            ),
                            number=sub_account.number,
                        ),
                        code="part_not_metered",
                        field="rule",
                    )
        checked_parts = list(zip(subs, accounts, shares, strict=True))
    else:
        if len(parts) < 2:
            raise InvalidInput(
                _("一表多户至少需要两个成员账户。"), code="parts_required", field="parts"
            )
        accounts = [_fresh_account(part.account, field="parts") for part in parts]
        if len({account.pk for account in accounts}) != len(accounts):
            raise InvalidInput(_("同一账户选了两次。"), code="duplicate_account", field="parts")
        for member in accounts:
            if member.pk == master_account.pk or member.billing_mode != BillingMode.METERED:
                raise InvalidInput(
                    format_lazy(
                        _("账户{number}不能作为成员：成员应是按表计量的其他账户。"),
                        number=member.number,
                    ),
                    code="part_not_metered",
                    field="parts",
                )
        checked_parts = [
            (None, member, share) for member, share in zip(accounts, shares, strict=True)
        ]
    _check_shares(rule, [share for _meter, _account, share in checked_parts])
    billed_account = None
    if rule == AllocationRule.MASTER_ACCOUNT:
        billed_account = _fresh_account(account, field="account")
        if (
            billed_account.billing_mode != BillingMode.METERED
            or billed_account.pk == master_account.pk
        ):
            raise InvalidInput(
                _("差额账户应是按表计量的账户（不能是计量点或包费户）。"),
                code="account_not_metered",
                field="account",
            )
    return _Checked(
        kind=kind,
        name=name,
        rule=rule,
        meter=master,
        account=billed_account,
        parts=checked_parts,
        flat_basis="",
        flat_volume=None,
        flat_amount=None,
        note=note,
    )


def _check_flat(*, name, account, flat_basis, flat_volume, flat_amount, note, own_id) -> _Checked:
    flat_account = _fresh_account(account, field="account")
    if flat_basis not in FlatBasis.values:
        raise InvalidInput(_("请选择包费方式。"), code="invalid_basis", field="flat_basis")
    allowed = (BillingMode.METERED, BillingMode.FLAT_VOLUME, BillingMode.FLAT_AMOUNT)
    if flat_account.billing_mode not in allowed:
        raise InvalidInput(
            _("分摊计量点账户不能设为包费户。"), code="account_not_metered", field="account"
        )
    if Meter.objects.filter(account=flat_account, state=MeterState.INSTALLED).exists():
        raise InvalidInput(
            _("包费户不抄表：该账户有在用水表，请先拆表或改为按表计量。"),
            code="flat_account_has_meter",
            field="account",
        )
    if (
        Arrangement.objects.filter(
            account=flat_account, kind=ArrangementKind.FLAT_FEE, is_active=True
        )
        .exclude(pk=own_id)
        .exists()
    ):
        raise InvalidInput(
            _("该账户已是包费户，请修改原设置。"), code="account_has_flat_fee", field="account"
        )
    volume = _decimal(flat_volume, field="flat_volume")
    amount = _decimal(flat_amount, field="flat_amount")
    if flat_basis == FlatBasis.VOLUME:
        if volume is None or volume <= 0:
            raise InvalidInput(
                _("请填写大于 0 的每期核定水量。"), code="flat_volume_required", field="flat_volume"
            )
        amount = None
    else:
        if amount is None or amount <= 0:
            raise InvalidInput(
                _("请填写大于 0 的每期包费金额。"), code="flat_amount_required", field="flat_amount"
            )
        volume = None
    return _Checked(
        kind=ArrangementKind.FLAT_FEE,
        name=name,
        rule="",
        meter=None,
        account=flat_account,
        parts=[],
        flat_basis=flat_basis,
        flat_volume=volume,
        flat_amount=amount,
        note=note,
    )


def _config(arrangement: Arrangement) -> dict:
    """The arrangement as an event records it."""
    return {
        "name": arrangement.name,
        "rule": arrangement.rule,
        "meter": arrangement.meter.serial if arrangement.meter_id else None,
        "account": arrangement.account.number if arrangement.account_id else None,
        "flat_basis": arrangement.flat_basis,
        "flat_volume": None if arrangement.flat_volume is None else str(arrangement.flat_volume),
        "flat_amount": None if arrangement.flat_amount is None else str(arrangement.flat_amount),
        "parts": [
            {
                "meter": part.meter.serial if part.meter_id else None,
                "account": part.account.number,
                "share_percent": None if part.share_percent is None else str(part.share_percent),
            }
            for part in arrangement.parts.select_related("meter", "account").order_by(
                "position", "pk"
            )
        ],
    }


def _apply(arrangement: Arrangement, checked: _Checked) -> None:
    now = timezone.now()
    arrangement.name = checked.name
    arrangement.rule = checked.rule
    arrangement.meter = checked.meter
    arrangement.account = checked.account
    arrangement.flat_basis = checked.flat_basis
    arrangement.flat_volume = checked.flat_volume
    arrangement.flat_amount = checked.flat_amount
    arrangement.note = checked.note
    arrangement.updated_at = now
    arrangement.save()
    arrangement.parts.all().delete()
    ArrangementPart.objects.bulk_create(
        [
            ArrangementPart(
                arrangement=arrangement,
                meter=meter,
                account=account,
                position=position,
                share_percent=share if checked.rule == AllocationRule.FIXED else None,
            )
            for position, (meter, account, share) in enumerate(checked.parts, start=1)
        ]
    )
    if checked.meter is not None:
        Account.objects.filter(
            pk=checked.meter.account_id, billing_mode=BillingMode.METERED
        ).update(billing_mode=BillingMode.METERING_POINT)
    if checked.kind == ArrangementKind.FLAT_FEE:
        mode = (
            BillingMode.FLAT_AMOUNT
            if checked.flat_basis == FlatBasis.AMOUNT
            else BillingMode.FLAT_VOLUME
        )
        account = checked.account
        account.billing_mode = mode
        account.flat_amount = checked.flat_amount
        account.save(update_fields=["billing_mode", "flat_amount"])


@transaction.atomic
def arrangement_create(
    *,
    actor,
    kind: str,
    name: str,
    meter: Meter | None = None,
    rule: str = "",
    account: Account | None = None,
    parts: list[PartInput] | None = None,
    flat_basis: str = "",
    flat_volume=None,
    flat_amount=None,
    note: str = "",
) -> Arrangement:
    """Set up an arrangement (see the module docstring for the rules)."""
    require_permission(actor, MANAGE)
    checked = _check(
        kind=kind,
        name=name,
        rule=rule,
        meter=meter,
        account=account,
        parts=list(parts or []),
        flat_basis=flat_basis,
        flat_volume=flat_volume,
        flat_amount=flat_amount,
        note=note,
        arrangement=None,
    )
    now = timezone.now()
    arrangement = Arrangement(kind=kind, created_by=actor, created_at=now, updated_at=now)
    _apply(arrangement, checked)
    MeteringEvent.objects.create(
        arrangement=arrangement,
        kind=MeteringEventKind.CREATED,
        actor=actor,
        at=now,
        data=_config(arrangement),
    )
    return arrangement


@transaction.atomic
def arrangement_update(
    *,
    actor,
    arrangement: Arrangement,
    name: str,
    meter: Meter | None = None,
    rule: str = "",
    account: Account | None = None,
    parts: list[PartInput] | None = None,
    flat_basis: str = "",
    flat_volume=None,
    flat_amount=None,
    note: str = "",
) -> Arrangement:
    """Change an arrangement (not its kind). Allocations already billed stay as they are;
    the next calculation of an unbilled cycle follows the new setting."""
    require_permission(actor, MANAGE)
    arrangement = Arrangement.objects.select_for_update().get(pk=arrangement.pk)
    if not arrangement.is_active:
        raise IllegalTransition(_("该设置已停用，不能修改。"), code="arrangement_inactive")
    before = _config(arrangement)
    checked = _check(
        kind=arrangement.kind,
        name=name,
        rule=rule,
        meter=meter,
        account=account,
        parts=list(parts or []),
        flat_basis=flat_basis,
        flat_volume=flat_volume,
        flat_amount=flat_amount,
        note=note,
        arrangement=arrangement,
    )
    if (
        arrangement.kind == ArrangementKind.FLAT_FEE
        and arrangement.account_id != checked.account.pk
    ):
        _release_flat_account(arrangement.account_id)
    _apply(arrangement, checked)
    MeteringEvent.objects.create(
        arrangement=arrangement,
        kind=MeteringEventKind.CHANGED,
        actor=actor,
        at=arrangement.updated_at,
        data={"before": before, "after": _config(arrangement)},
    )
    return arrangement


def _release_flat_account(account_id: int) -> None:
    Account.objects.filter(pk=account_id).update(billing_mode=BillingMode.METERED, flat_amount=None)


@transaction.atomic
def arrangement_deactivate(*, actor, arrangement: Arrangement, note: str = "") -> Arrangement:
    """Stop an arrangement (see the module docstring)."""
    require_permission(actor, MANAGE)
    arrangement = Arrangement.objects.select_for_update().get(pk=arrangement.pk)
    if not arrangement.is_active:
        raise IllegalTransition(_("该设置已停用。"), code="arrangement_inactive")
    before = _config(arrangement)
    arrangement.parts.all().delete()
    if arrangement.kind == ArrangementKind.FLAT_FEE:
        _release_flat_account(arrangement.account_id)
    arrangement.is_active = False
    arrangement.updated_at = timezone.now()
    arrangement.save(update_fields=["is_active", "updated_at"])
    MeteringEvent.objects.create(
        arrangement=arrangement,
        kind=MeteringEventKind.DEACTIVATED,
        actor=actor,
        at=arrangement.updated_at,
        note=(note or "").strip()[:300],
        data=before,
    )
    return arrangement
