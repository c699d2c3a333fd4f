"""Head-end adapters: how a valve command reaches a meter.

A real head-end (a meter vendor's platform, China Telecom's or OneNET's NB-IoT platform)
needs the utility's credentials and its own signature scheme; each is an adapter with
``send(command) -> SendResult``: accepted (the head-end will confirm later through the API,
``POST /api/amr/valve-commands/<id>/confirm/``), confirmed at once (a synchronous
platform), or refused with its reason. The sandbox adapter, used by the demo and the tests,
makes no network call: it confirms every command at once with a confirmation id of its own
— unless the meter's device id ends with ``-FAIL``, which it refuses (to walk the failure),
or with ``-ASYNC``, which it accepts to confirm later through the API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone


@dataclass(frozen=True)
class SendResult:
    accepted: bool
    confirmation_id: str = ""
    confirmed_at: datetime | None = None
    failure: str = ""


class SandboxHeadEnd:
    code = "sandbox"

    def send(self, command) -> SendResult:
        if command.remote_meter.device_id.endswith("-FAIL"):
            return SendResult(accepted=False, failure="sandbox: device did not answer")
        if command.remote_meter.device_id.endswith("-ASYNC"):
            return SendResult(accepted=True)
        return SendResult(
            accepted=True,
            confirmation_id=f"SBX-{command.public_id.hex[:12].upper()}",
            confirmed_at=timezone.now(),
        )


_ADAPTERS = {SandboxHeadEnd.code: SandboxHeadEnd()}


def adapter_for(head_end):
    try:
        return _ADAPTERS[head_end.adapter]
    except KeyError:
        raise ImproperlyConfigured(f"head-end adapter {head_end.adapter!r} is unknown") from None
