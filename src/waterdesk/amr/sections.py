"""The remote meter's section under an account on the staff customer page: the last
reading, the open alarms and the valve state (two queries)."""

from waterdesk.amr.models import Alarm, AlarmStatus, RemoteMeter
from waterdesk.cases.kinds import AccountSection, account_section_register


def _context(account, user) -> dict | None:
    if not user.has_perm("amr.view_remote_meter"):
        return None
    meter = (
        RemoteMeter.objects.select_related("meter", "head_end")
        .filter(meter__account=account, is_active=True)
        .first()
    )
    if meter is None:
        return None
    alarms = list(Alarm.objects.filter(remote_meter=meter, status=AlarmStatus.OPEN))
    return {"meter": meter, "alarms": alarms}


SECTION = account_section_register(
    AccountSection(name="amr", template="amr/account_section.html", context=_context)
)
