"""The demo's clock: steps that must look old run at their own moment."""

from contextlib import contextmanager
from datetime import datetime

import time_machine


@contextmanager
def at(moment: datetime):
    """Run the block as if it were ``moment`` (the clock stands still meanwhile)."""
    with time_machine.travel(moment, tick=False):
        yield
