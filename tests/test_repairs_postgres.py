"""Reports under concurrency (PostgreSQL; SQLite serialises every writer): two callers of
the same fault on the line at once leave one repair — the second is proposed the first."""

import pytest
from django.db import connection

from tests.factories import PremiseFactory
from tests.payments_support import at
from tests.repairs_support import hotline, report
from tests.test_api_concurrency import race
from waterdesk.cases.models import Case
from waterdesk.repairs.services.intake import DuplicateSuspected

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
__all__ = ["hotline"]


def test_two_callers_of_one_fault_at_once_leave_one_repair(hotline):
    premise = PremiseFactory(address="城北区解放路1号")

    def call(phone):
        return lambda: report(hotline, address="", premise=premise, contact_phone=phone)

    with at(2026, 3, 10, 10, 0):
        outcomes = race(call("13900000001"), call("13900000002"), call("13900000003"))

    opened = [o for o in outcomes if isinstance(o, Case)]
    refused = [o for o in outcomes if isinstance(o, DuplicateSuspected)]
    assert (len(opened), len(refused)) == (1, 2), outcomes
    assert Case.objects.filter(kind="repair").count() == 1
    assert {r.details["candidates"][0]["number"] for r in refused} == {opened[0].number}
