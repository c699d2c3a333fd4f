"""The case-kind registry is complete and consistent, for every registered kind (a new kind
is checked the moment its app registers it):

- every transition has a service and either a page form and an API input, or is internal;
  every action of the registration is a move of the workflow;
- every permission a kind uses exists and belongs to at least one role;
- every status is reachable from a status the kind opens in, and can reach a terminal one;
- every SLA milestone has an active policy and every notice a template;
- the pieces the shells use resolve: the detail accessor, templates, URLs, documents.
"""

from collections import deque

import pytest
from django.contrib.auth.models import Permission
from django.db import models
from django.template.loader import get_template
from django.urls import reverse
from rest_framework import serializers

from waterdesk.cases.kinds import all_desk_modules, all_kinds, kind_choices, url_modules
from waterdesk.cases.models import Case
from waterdesk.core.forms import ActionForm
from waterdesk.core.roles import ROLE_PERMISSIONS
from waterdesk.notify.models import NotificationTemplate
from waterdesk.sla.models import SlaPolicy

pytestmark = pytest.mark.django_db

KINDS = all_kinds()
IDS = [spec.kind for spec in KINDS]


def test_the_application_kinds_and_the_inquiry_are_registered():
    assert {"new_connection", "ownership_transfer", "usage_change"} <= set(IDS)
    assert [value for value, _label in kind_choices()] == IDS
    prefixes = [spec.number_prefix for spec in KINDS]
    assert len(set(prefixes)) == len(prefixes)


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_transition_has_a_service_and_both_inputs_or_is_internal(spec):
    moves = {transition.action for transition in spec.workflow.transitions}
    assert set(spec.actions) == moves, "an action without a move, or a move without an action"
    for name, action in spec.actions.items():
        assert callable(action.service), name
        if action.internal:
            assert action.form is None and action.serializer is None, name
            continue
        assert action.form is not None and issubclass(action.form, ActionForm), name
        assert action.serializer is not None, name
        assert issubclass(action.serializer, serializers.Serializer), name
        assert action.guard is None or callable(action.guard), name
        if action.template:
            get_template(action.template)


def _permissions(spec) -> set[str]:
    used = {transition.permission for transition in spec.workflow.transitions}
    if spec.intake is not None:
        used.add(spec.intake.permission)
    return used


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_permission_exists_and_belongs_to_a_role(spec):
    granted = {permission for perms in ROLE_PERMISSIONS.values() for permission in perms}
    for dotted in sorted(_permissions(spec)):
        app_label, codename = dotted.split(".", 1)
        assert Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        ).exists(), f"{dotted} does not exist"
        assert dotted in granted, f"{dotted} belongs to no role"


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_status_is_reachable_and_can_reach_an_end(spec):
    statuses = set(spec.statuses.values)
    terminal = set(spec.workflow.terminal)
    assert spec.initial_statuses and set(spec.initial_statuses) <= statuses
    assert terminal <= statuses
    edges: dict[str, set[str]] = {status: set() for status in statuses}
    for transition in spec.workflow.transitions:
        assert transition.target in statuses, transition
        for source in transition.sources:
            assert source in statuses, transition
            edges[source].add(transition.target)
    # Forward from where a case opens.
    reached, todo = set(spec.initial_statuses), deque(spec.initial_statuses)
    while todo:
        for target in edges[todo.popleft()] - reached:
            reached.add(target)
            todo.append(target)
    assert reached == statuses, f"unreachable: {sorted(statuses - reached)}"
    # Backward from the ends.
    ends, todo = set(terminal), deque(terminal)
    while todo:
        status = todo.popleft()
        for source in statuses - ends:
            if status in edges[source]:
                ends.add(source)
                todo.append(source)
    assert ends == statuses, f"cannot end: {sorted(statuses - ends)}"
    for status in terminal:
        assert edges[status] <= {status}, f"{status} is terminal but has moves out"


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_every_milestone_has_a_policy_and_every_notice_a_template(spec):
    assert spec.milestones, "a kind states its SLA milestones"
    for milestone in spec.milestones:
        policy = spec.milestone_policies.get(milestone, milestone)
        assert SlaPolicy.objects.filter(
            case_kind=spec.kind, milestone=policy, priority="normal", is_active=True
        ).exists(), f"no SLA policy for {spec.kind}/{milestone}"
    for key in spec.notices:
        assert NotificationTemplate.objects.filter(key=key).exists(), f"no template {key}"


@pytest.mark.parametrize("spec", KINDS, ids=IDS)
def test_the_pieces_the_shells_use_resolve(spec):
    assert issubclass(spec.statuses, models.TextChoices)
    detail = Case._meta.get_field(spec.detail_field)
    assert detail.one_to_one and detail.related_model is not Case
    assert spec.detail_serializer is not None
    get_template(spec.detail_template)
    assert callable(spec.page_context)
    for view in spec.events.values():
        assert view.label or view.summary
    for document in spec.documents.values():
        assert callable(document.render) and callable(document.check_access)
    if spec.intake is not None:
        assert reverse(spec.intake.url_name).startswith("/desk/")
        assert callable(spec.intake.service)
        assert issubclass(spec.intake.serializer, serializers.Serializer)
        assert reverse(f"api:{spec.intake.api_name}") == f"/api/{spec.intake.api_path}"


@pytest.mark.parametrize("module", all_desk_modules(), ids=lambda module: module.name)
def test_the_desk_modules_pages_resolve_and_belong_to_roles(module):
    """An app's pages that belong to no kind (the water-quality lab) are registered the same
    way: its URL modules are included by the shells, and each header page resolves under
    /desk/ with a permission some role holds."""
    granted = {
        permission for permissions in ROLE_PERMISSIONS.values() for permission in permissions
    }
    for attribute in ("page_urls", "api_urls", "public_urls"):
        if getattr(module, attribute):
            assert getattr(module, attribute) in url_modules(attribute)
    for page in module.desk_pages:
        assert reverse(page.url_name).startswith("/desk/")
        assert page.permission in granted
