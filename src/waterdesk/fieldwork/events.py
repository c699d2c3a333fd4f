"""How a work order's events read: the timeline of the crew's page and the printed sheet."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from waterdesk.core.timeutil import local_text
from waterdesk.fieldwork.models import WorkOrderEvent

ACTION_LABELS = {
    "assign": gettext_lazy("派单"),
    "reassign": gettext_lazy("改派"),
    "accept": gettext_lazy("接单"),
    "contact": gettext_lazy("联系客户，预约上门"),
    "set_off": gettext_lazy("出发"),
    "arrive": gettext_lazy("到达现场"),
    "diagnose": gettext_lazy("故障诊断"),
    "estimate": gettext_lazy("预计用时和费用"),
    "estimate_accept": gettext_lazy("客户确认用时和费用"),
    "extend": gettext_lazy("延期"),
    "material": gettext_lazy("登记物料"),
    "photo": gettext_lazy("上传照片"),
    "finish": gettext_lazy("完工"),
    "sign_off": gettext_lazy("客户签字确认"),
    "give_up": gettext_lazy("未能完成"),
    "cancel": gettext_lazy("撤单"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))


def _minutes_text(minutes) -> str:
    return _("%(minutes)s 分钟") % {"minutes": minutes}


def _yuan_text(value) -> str:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    return _("%(amount)s 元") % {"amount": f"{amount:.2f}"}


def event_summary(event: WorkOrderEvent, crew_names: dict[str, str] | None = None) -> str:
    """One line of what the event recorded besides its note (the booked window, the
    estimate, the new ETA, the material …); "" when there is nothing more to say.
    ``crew_names``: crew code -> name, for the crews an event names."""
    data = event.data or {}
    if event.action == "contact":
        return _("预约 %(start)s 至 %(end)s") % {
            "start": local_text(data.get("window_start", "")),
            "end": local_text(data.get("window_end", "")),
        }
    if event.action == "estimate":
        return _("预计 %(minutes)s，费用 %(cost)s") % {
            "minutes": _minutes_text(data.get("minutes")),
            "cost": _yuan_text(data.get("cost")),
        }
    if event.action == "extend":
        text = _("新的预计完成时间 %(eta)s") % {"eta": local_text(data.get("expected_done_at", ""))}
        return text + ("；" + _("需更换主要部件") if data.get("major_part") else "")
    if event.action == "material":
        return f"{data.get('name', '')} {data.get('quantity', '')}{data.get('unit', '')}"
    if event.action in ("assign", "reassign"):
        code = data.get("to") or data.get("crew")
        crew = (crew_names or {}).get(code, code)
        return _("班组：%(crew)s") % {"crew": crew} if crew else ""
    if event.action == "sign_off":
        return _("客户已签字") if data.get("signed") else _("客户未签字")
    return ""
