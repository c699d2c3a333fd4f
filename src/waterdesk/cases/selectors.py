"""Reads on the Case backbone, always scoped to what the user may see."""

import re
import uuid

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db.models import Case as SqlCase
from django.db.models import Exists, F, IntegerField, Min, OuterRef, Q, QuerySet, Value, When
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.access import is_desk_staff
from waterdesk.cases.kinds import all_kinds, all_workflows, kind_spec, workflow_for
from waterdesk.cases.models import Case, CaseEvent
from waterdesk.core.errors import NotFound, NotPermitted
from waterdesk.customers.search.case_numbers import CaseMatch
from waterdesk.customers.search.query import SearchQuery


def _user_permissions(user) -> set[str]:
    return user.get_all_permissions() if user.is_authenticated else set()


def case_scope(user) -> QuerySet[Case]:
    """Every case the user may see: all of them for supervisors and administrators; otherwise
    the cases assigned to the user or that the user worked on, and the department's cases of
    the kinds the user's role works on (a meter reader, who records transfer reads, sees the
    department's transfers but not its new connections). A role never widens the scope
    beyond the department, except a kind's ``view_permission``: its holders see every case
    of the kind (the complaint handlers every complaint, whichever department
    investigates it)."""
    cases = Case.objects.all()
    if not user.is_authenticated or not user.is_active:
        return cases.none()
    if user.has_perm("cases.view_all_cases"):
        return cases
    scope = Q(assignee=user) | Exists(CaseEvent.objects.filter(case=OuterRef("pk"), actor=user))
    profile = getattr(user, "staff_profile", None)
    kinds = _kinds_worked_on(user)
    if profile is not None and profile.department_id and kinds:
        scope |= Q(department_id=profile.department_id, kind__in=kinds)
    permissions = _user_permissions(user)
    whole_kinds = sorted(
        spec.kind
        for spec in all_kinds()
        if spec.view_permission and spec.view_permission in permissions
    )
    if whole_kinds:
        scope |= Q(kind__in=whole_kinds)
    return cases.filter(scope)


def _kinds_worked_on(user) -> list[str]:
    permissions = _user_permissions(user)
    return sorted(
        workflow.kind
        for workflow in all_workflows()
        if any(transition.permission in permissions for transition in workflow.transitions)
    )


def _actionable_filter(user) -> Q | None:
    permissions = _user_permissions(user)
    combined = None
    for workflow in all_workflows():
        statuses = workflow.statuses_actionable_with(permissions)
        if statuses:
            part = Q(kind=workflow.kind, status__in=sorted(statuses))
            combined = part if combined is None else combined | part
    return combined


class CaseNotInScope(NotPermitted):
    code = "case_not_in_scope"
    default_message = _(
        "该工单属于本部门，但不在您的办理范围内（不是您的岗位办理的业务）。"
        "如需协助办理，请联系服务监督员或工单经办人。"
    )


def _department_knows(user, lookup: dict) -> bool:
    """The case belongs to the department of a user who works cases: colleagues pass its
    number and link around, so its existence is no secret to the user even where its content
    is. A user without any case work learns of no case."""
    profile = getattr(user, "staff_profile", None)
    if not user.is_authenticated or profile is None or not profile.department_id:
        return False
    if not is_desk_staff(user):
        return False
    return Case.objects.filter(department_id=profile.department_id, **lookup).exists()


def case_read_with_detail(case: Case) -> Case:
    """``case`` read again in one query with the people and places its detail shows and
    its kind's detail row (``KindSpec.detail_related``): the answer to a service that has
    just changed it."""
    spec = kind_spec(case.kind)
    related = ["customer", "premise__zone", "department", "assignee", "opened_by"]
    if spec.detail_field:
        related += [spec.detail_field, *spec.detail_related]
    return Case.objects.select_related(*related).get(pk=case.pk)


def case_get_for_user(*, user, public_id=None, number: str | None = None) -> Case:
    """The case, if it is in the user's scope (``case_scope``). Outside it, the answer
    depends on whether the user may know that the case exists: a case of the department of
    a user who works cases is refused as not permitted (403, ``CaseNotInScope``: "ask the
    supervisor"); any other case is not found (404), exactly like a case that does not
    exist, so that nobody learns of another department's cases by trying links. Pages and
    API alike."""
    lookup = {"public_id": public_id} if public_id is not None else {"number": number}
    try:
        return (
            case_scope(user)
            .select_related("customer", "premise", "department", "assignee", "opened_by")
            .get(**lookup)
        )
    except (Case.DoesNotExist, ValueError, ValidationError) as exc:
        try:
            known = _department_knows(user, lookup)
        except (ValueError, ValidationError):
            known = False
        if known:
            raise CaseNotInScope() from exc
        raise NotFound() from exc


def case_follow_source(*, user, public_id: str) -> Case | None:
    """The case a new case is being opened from (``?follows=``), if the user may see it;
    None for a blank, malformed or unknown id. A closed case may be followed up too (an
    answered inquiry the customer comes back to): its kind decides what that changes."""
    try:
        return case_get_for_user(user=user, public_id=uuid.UUID((public_id or "").strip()))
    except (ValueError, NotFound, CaseNotInScope):
        return None


def _with_next_due(cases: QuerySet[Case]) -> QuerySet[Case]:
    return cases.annotate(
        next_due_at=Min("clocks__due_at", filter=Q(clocks__state="running")),
        priority_rank=SqlCase(
            When(priority="green", then=Value(0)), default=Value(1), output_field=IntegerField()
        ),
    )


def case_queue(user) -> QuerySet[Case]:
    """ "My queue": open cases the user can act on now — assigned to the user, or waiting for
    the user's role unassigned — most urgent first (green channel, then nearest deadline)."""
    actionable = _actionable_filter(user)
    wanted = Q(assignee=user)
    if actionable is not None:
        wanted |= actionable & (Q(assignee__isnull=True) | Q(assignee=user))
    cases = case_scope(user).open().filter(wanted)
    return (
        _with_next_due(cases)
        .select_related("customer", "premise", "assignee")
        .order_by("priority_rank", F("next_due_at").asc(nulls_last=True), "opened_at", "pk")
    )


def case_list_open(user, *, kind: str | None = None, status: str | None = None) -> QuerySet[Case]:
    """Every open case in scope (the supervisor page), nearest deadline first."""
    cases = case_scope(user).open()
    if kind:
        cases = cases.filter(kind=kind)
    if status:
        cases = cases.filter(status=status)
    return (
        _with_next_due(cases)
        .select_related("customer", "premise", "assignee")
        .order_by(F("next_due_at").asc(nulls_last=True), "opened_at", "pk")
    )


def case_available_actions(*, case: Case, user) -> list:
    """The transitions of the case's current status that this user may take."""
    if not case.is_open:
        return []
    permissions = _user_permissions(user)
    return [
        t for t in workflow_for(case.kind).available(case.status) if t.permission in permissions
    ]


def case_timeline(case: Case) -> QuerySet[CaseEvent]:
    return case.events.select_related("actor").order_by("at", "pk")


# --- owners ---------------------------------------------------------------------------


def users_with_any_permission(permissions: set[str]) -> QuerySet:
    """Active users holding any of ``permissions`` ("app_label.codename") through a role or
    directly, by name. Superusers are not listed unless a role gives them the permission:
    cases go to the people who work them."""
    wanted = Q()
    for name in sorted(permissions):
        app_label, _sep, codename = name.partition(".")
        wanted |= Q(content_type__app_label=app_label, codename=codename)
    if not permissions:
        return get_user_model().objects.none()
    perms = Permission.objects.filter(wanted)
    users = get_user_model().objects.filter(is_active=True)
    return (
        users.filter(Q(groups__permissions__in=perms) | Q(user_permissions__in=perms))
        .distinct()
        .select_related("staff_profile__department")
        .order_by("first_name", "last_name", "username")
    )


def case_assignees(case: Case) -> QuerySet:
    """The people who could own the case now: their role has a move in its current status."""
    if not case.is_open:
        return users_with_any_permission(set())
    return users_with_any_permission(
        {t.permission for t in workflow_for(case.kind).available(case.status)}
    )


def case_workers() -> QuerySet:
    """Everyone who works cases of some kind (the supervisor's workload view lists them
    all, idle ones included)."""
    permissions = {t.permission for w in all_workflows() for t in w.transitions}
    return users_with_any_permission(permissions)


# --- the public case-status look-up -------------------------------------------------------


def case_find_for_public(*, number: str, phone: str) -> Case:
    """The case with this number whose contact phone, or whose customer's mobile, is
    ``phone`` (both normalised): what a customer may follow without logging in. Raises
    ``NotFound`` alike for an unknown number and a phone that does not belong to it, so a
    guess never learns which part was wrong."""
    match = Q(contact_phone=phone) | Q(customer__mobile=phone)
    case = Case.objects.filter(match, number=number).first() if number and phone else None
    if case is None:
        raise NotFound()
    return case


def case_status_changes(case: Case) -> QuerySet[CaseEvent]:
    """The events that moved the case to another status, in order: when, and to what (the
    public look-up shows no more of them: no actor, no note, no data)."""
    return (
        case.events.exclude(to_status="")
        .exclude(to_status=F("from_status"))
        .only("at", "to_status")
        .order_by("at", "pk")
    )


# --- numbers ----------------------------------------------------------------------------------


def case_number_normalize(text: str) -> str | None:
    """``text`` as the number of a case of a registered kind (``XZ-20261127-0042``), or
    ``None`` when it has not that shape. Lower case, missing dashes and a sequence without
    its leading zeros are accepted: ``xz20261127-42``."""
    prefixes = sorted((spec.number_prefix for spec in all_kinds()), key=len, reverse=True)
    if not prefixes:
        return None
    shape = rf"({'|'.join(map(re.escape, prefixes))})-?([0-9]{{8}})-?([0-9]{{1,6}})"
    match = re.fullmatch(shape, text.strip().upper())
    if match is None:
        return None
    prefix, day, sequence = match.groups()
    return f"{prefix}-{day}-{int(sequence):04d}"


def case_customer_matches(query: SearchQuery) -> list[CaseMatch]:
    """The customer of the case whose number the search query is (customer search asks this:
    registered in ``CasesConfig.ready``)."""
    number = case_number_normalize(query.key)
    if number is None:
        return []
    rows = Case.objects.filter(number=number, customer__isnull=False).values_list(
        "customer_id", "number", "public_id"
    )
    return [
        CaseMatch(customer_id=customer_id, number=number, public_id=public_id)
        for customer_id, number, public_id in rows
    ]
