"""Two users taking a transition at the same moment: exactly one wins, one event recorded.

PostgreSQL only: SQLite serialises every writer, so it cannot show the race. Each thread has
its own database connection (Django's are per thread) and closes it when done.
"""

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import UserFactory, registered_new_connection
from waterdesk.applications import new_connection
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import ConcurrentUpdate, IllegalTransition
from waterdesk.core.roles import Role

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    # Committed data: restore the rows seeded by migrations (roles, policies, calendar).
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def surveyed_case(*, clerk, surveyor) -> Case:
    """A new-connection case waiting for its first review, reached through the new_connection."""
    case = registered_new_connection(clerk)
    case = new_connection.new_connection_assign_survey(actor=clerk, case=case, surveyor=surveyor)
    case = new_connection.new_connection_book_survey(
        actor=surveyor, case=case, booked_for=timezone.now() + dt.timedelta(days=1)
    )
    return new_connection.new_connection_submit_survey(
        actor=surveyor,
        case=case,
        installation_position="一楼楼道",
        surveyed_usage="residential",
        site_conditions="良好",
        facilities="DN100供水管",
        notes_explained="已告知",
    )


def race(*calls):
    """Run the calls in threads released together; the result or exception of each."""
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = call()
        except Exception as exc:  # the outcome under test, inspected by the caller
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_two_reviewers_pass_the_same_case_through_the_api(clerk, surveyor, reviewer):
    second_reviewer = UserFactory(username="reviewer2", role=Role.REVIEWER)
    case = surveyed_case(clerk=clerk, surveyor=surveyor)
    version = case.version
    url = f"/api/cases/{case.public_id}/actions/review_pass/"

    def review_by(user):
        def call():
            client = APIClient()
            client.force_authenticate(user)
            return client.post(url, {"opinion": f"{user.username} 同意"}, format="json")

        return call

    responses = race(review_by(reviewer), review_by(second_reviewer))

    assert sorted(r.status_code for r in responses) == [200, 409]
    loser = next(r for r in responses if r.status_code == 409)
    assert loser.json()["code"] in {"illegal_transition", "concurrent_update"}
    winner = next(r for r in responses if r.status_code == 200)
    assert winner.json()["status"] == "reviewed"
    assert CaseEvent.objects.filter(case=case, action="review_pass").count() == 1
    case.refresh_from_db()
    assert (case.status, case.version) == ("reviewed", version + 1)
    event = CaseEvent.objects.get(case=case, action="review_pass")
    assert case.new_connection.first_review_opinion == event.note


def test_approve_and_reject_at_the_same_moment_record_one_decision(
    clerk, surveyor, reviewer, approver
):
    second_approver = UserFactory(username="approver2", role=Role.APPROVER)
    case = surveyed_case(clerk=clerk, surveyor=surveyor)
    case = new_connection.new_connection_review_pass(actor=reviewer, case=case, opinion="同意")

    outcomes = race(
        lambda: new_connection.new_connection_approve(
            actor=approver, case=Case.objects.get(pk=case.pk), opinion="同意"
        ),
        lambda: new_connection.new_connection_approval_reject(
            actor=second_approver, case=Case.objects.get(pk=case.pk), opinion="不同意"
        ),
    )

    winners = [o for o in outcomes if isinstance(o, Case)]
    losers = [o for o in outcomes if not isinstance(o, Case)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], IllegalTransition | ConcurrentUpdate)
    decisions = CaseEvent.objects.filter(case=case, action__in=["approve", "approval_reject"])
    assert decisions.count() == 1
    case.refresh_from_db()
    assert case.status == winners[0].status
    assert case.status in {"approved", "rejected"}
