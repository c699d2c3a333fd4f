"""The collection ladder's remote valve, registered with ``collection.hooks`` from
``AmrConfig.ready``: where the ladder would send a crew, a meter with a remote valve gets a
valve command (``services.valves``) with the ladder's approvals."""

from waterdesk.amr.services.valves import (
    ladder_close,
    ladder_open,
    ladder_supports,
    ladder_withdraw,
)
from waterdesk.collection.hooks import RemoteValve, remote_valve_register

REMOTE_VALVE = remote_valve_register(
    RemoteValve(
        name="amr",
        supports=ladder_supports,
        close=ladder_close,
        open=ladder_open,
        withdraw=ladder_withdraw,
    )
)
