"""The case-kind registry: every kind of customer request registers one specification here.

A kind's own app (its vertical slice) owns its detail model, statuses, workflow, services,
forms, serializers, templates, documents and seeds, and registers a ``KindSpec`` from its
``AppConfig.ready()``. The shells (``workbench`` pages, ``api``) and the backbone (scope,
queue, numbers, timeline) know no kind by name: they ask this registry.

``waterdesk.cases.kinds.kind_choices`` is the choices callable of every ``kind`` column, so
a new kind needs no migration outside its own app.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from waterdesk.cases.workflow import Transition, Workflow
from waterdesk.core.errors import InvalidInput

# A guard answers "may this user take this action on this case now" with the same check
# the service makes, so the pages and the API never offer what the service would refuse.
Guard = Callable[[Any, Any], bool]


@dataclass(frozen=True)
class ActionSpec:
    """One workflow action of a kind: the service that takes it and its two inputs.

    ``form`` is the page form (a ``waterdesk.core.forms.ActionForm``), ``serializer`` the
    API input; both turn the input into the service's keyword arguments. An ``internal``
    action is made by a service on its own and never offered (no form, no serializer).
    """

    service: Callable[..., Any]
    form: type | None = None
    serializer: type | None = None
    guard: Guard | None = None
    internal: bool = False
    css: str = ""  # "secondary" for the negative moves (withdraw, reject)
    money: bool = False  # changes money: the API needs an Idempotency-Key
    template: str = ""  # a partial that lays out the form, instead of field by field
    # What the user must know after taking the action, when it did not simply succeed (a
    # read that went to review, and what to do next): case -> message, "" when all is well.
    outcome: Callable[[Any], str] | None = None


@dataclass(frozen=True)
class IntakeSpec:
    """How the kind is registered: who may, the page (a URL name of the kind's
    ``page_urls``), and the API endpoint the ``api`` shell builds from it: ``POST
    /api/<api_path>`` parses ``serializer`` and calls ``service(actor=, **validated_data)``,
    answering with the case."""

    permission: str
    label: Promise | str
    url_name: str = ""
    service: Callable[..., Any] | None = None
    serializer: type | None = None
    api_path: str = ""  # e.g. "new-connections/"
    api_name: str = ""  # the URL name under "api:", e.g. "new-connection"
    summary: str = ""  # the OpenAPI summary and description of the endpoint
    description: str = ""
    # What the intake page starts from when opened from a customer's page: "customer"
    # (``?customer=<public id>``) or "account" (``?account=<number>``, one link per account);
    # "" when the request is not about the customer (a report about staff conduct).
    starts_from: str = "customer"
    # The input that names an existing case the request joins instead of opening a new one
    # (a caller reporting a fault already reported): given, the endpoint answers 200 with
    # that case instead of 201.
    joins: str = ""


@dataclass(frozen=True)
class CaseDocument:
    """A printable document of a case (the intake receipt, …)."""

    label: Promise | str
    render: Callable[[Any], bytes]  # case -> PDF bytes
    may_print: Callable[..., bool]  # (user=, case=) -> bool
    check_access: Callable[..., None]  # (user=, case=) raises NotPermitted


@dataclass(frozen=True)
class CustomerPanel:
    """The kind's panel on a customer's page: a partial given ``kind`` (the spec) and
    ``rows`` (the customer's cases of the kind the user may see, each with its nearest
    deadline and, when ``details`` is given, ``row.detail``: what ``details(cases)`` returns
    for the case's pk, loaded for all of them in one go — the kind's own columns)."""

    template: str = "workbench/partials/customer_cases_panel.html"
    details: Callable[[list], Mapping[int, Any]] | None = None


@dataclass(frozen=True)
class EventView:
    """How one event of the kind reads on the timeline: its label (when the event is not a
    transition of the workflow) and a one-line summary of the data it carries."""

    label: Promise | str | None = None
    summary: Callable[[dict], str] | None = None


@dataclass(frozen=True)
class DeskPage:
    """A page of the kind that staff reach from the header (the repairs' dispatcher board):
    shown to the holders of ``permission``; ``landing``: where they land after logging in."""

    label: Promise | str
    url_name: str
    permission: str
    landing: bool = False


@dataclass(frozen=True)
class DeskModule:
    """A domain app's pages that belong to no case kind (the water-quality lab's samples,
    results and disclosure), registered like a kind's: its staff pages under /desk/ (the
    ``workbench:`` namespace), its API endpoints under /api/, its public pages at the root
    (``portal:``), and its header pages."""

    name: str
    page_urls: str = ""
    api_urls: str = ""
    public_urls: str = ""
    desk_pages: tuple[DeskPage, ...] = ()


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: Promise | str
    number_prefix: str  # the letters that start a case number: XZ-20261127-0042
    statuses: type[models.TextChoices]
    workflow: Workflow
    actions: Mapping[str, ActionSpec]
    initial_statuses: tuple[str, ...] = ()  # the statuses a case of the kind opens in
    # The one-to-one accessor of the kind's detail model on Case (also the API field).
    detail_field: str = ""
    detail_serializer: type | None = None  # API output of the detail model
    # What the detail's serializer reads through the detail row, read with the case in one
    # query (``cases.selectors.case_read_with_detail``): ("repair__fault_type", …).
    detail_related: tuple[str, ...] = ()
    detail_template: str = ""  # the case page's partial for the detail
    page_context: Callable[[Any], dict] | None = None  # case -> extra page context
    material_choices: Callable[[Any], list[tuple[str, str]]] | None = None
    intake: IntakeSpec | None = None
    documents: Mapping[str, CaseDocument] = field(default_factory=dict)
    events: Mapping[str, EventView] = field(default_factory=dict)
    status_classes: Mapping[str, str] = field(default_factory=dict)  # status -> badge class
    milestones: Mapping[str, Promise | str] = field(default_factory=dict)  # SLA milestone labels
    # The policy of a milestone whose clock is timed by another milestone's policy (the
    # reply of each round of a complaint, "reply_2" → "reply"); the others by their own.
    milestone_policies: Mapping[str, str] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # notification template codes the kind sends
    # The stable error codes the kind's services raise: (code, HTTP status, meaning), listed
    # in the API's documentation with the platform's.
    error_codes: tuple[tuple[str, int, str], ...] = ()
    page_urls: str = ""  # module of the kind's pages (included under /desk/, "workbench:")
    # Module of the kind's own API endpoints besides the intake and the actions (a city
    # hotline's transfers), included under /api/ ("api:"); one kind of an app names it.
    api_urls: str = ""
    # Module of the kind's public pages (no login: a web form, a status look-up), included
    # at the site's root ("portal:"); one kind of an app names it.
    public_urls: str = ""
    customer_panel: CustomerPanel = field(default_factory=CustomerPanel)
    desk_pages: tuple[DeskPage, ...] = ()
    # Holders of this permission see every case of the kind, whatever its department (the
    # complaint handlers: a complaint is investigated by another department than theirs).
    view_permission: str = ""
    # Called when a case of another kind is opened from one of this kind (an inquiry turned
    # into an application): (actor=, source=, target=) inside the opening transaction.
    on_follow_up: Callable[..., None] | None = None

    def action(self, name: str) -> ActionSpec | None:
        return self.actions.get(name)

    def status_label(self, status: str) -> str:
        if status in self.statuses.values:
            return str(self.statuses(status).label)
        return status


@dataclass(frozen=True)
class CasePanel:
    """A panel that an app adds to the page of every case it concerns, whatever the kind
    (a satisfaction survey's score): ``context(case, user)`` returns the partial's context,
    or None when the panel has nothing to show on this case or for this user."""

    name: str
    template: str
    context: Callable[[Any, Any], dict | None]


@dataclass(frozen=True)
class CustomerBanner:
    """A banner an app shows at the top of a customer's page, whatever the kinds (the
    incidents and planned outages at the customer's premises): ``context(customer, user)``
    returns the partial's context (given as ``banner``), or None when there is nothing to
    show for this customer or user. It should cost a fixed number of queries."""

    name: str
    template: str
    context: Callable[[Any, Any], dict | None]


@dataclass(frozen=True)
class AccountSection:
    """A section an app adds to every account on the customer's page, whatever the kinds
    (the prepaid balance, the invoice title, a shared or master meter): ``context(account,
    user)`` returns the partial's context (given as ``section``), or None when there is
    nothing to show for this account or user. It should cost a fixed number of queries."""

    name: str
    template: str
    context: Callable[[Any, Any], dict | None]


_REGISTRY: dict[str, KindSpec] = {}
_MODULES: dict[str, DeskModule] = {}
_CASE_PANELS: dict[str, CasePanel] = {}
_CUSTOMER_BANNERS: dict[str, CustomerBanner] = {}
_ACCOUNT_SECTIONS: dict[str, AccountSection] = {}

# Called when a case of any kind reaches a terminal status: (case=, actor=, action=, at=),
# inside the closing transaction, after the closing event is recorded (a satisfaction
# survey of the closed case). Keyed by the listener's qualified name: idempotent.
CaseClosedListener = Callable[..., None]
_CASE_CLOSED_LISTENERS: dict[str, CaseClosedListener] = {}


def case_closed_listener_register(listener: CaseClosedListener) -> CaseClosedListener:
    """Have ``listener(case=, actor=, action=, at=)`` called whenever a case of any kind
    closes (``cases.services.case_transition`` to a terminal status), in the closing
    transaction: what it writes commits or rolls back with the closure, and what it raises
    refuses the closure. For apps above the platform that react to closures without the
    platform knowing them (from an app's ``ready()``)."""
    _CASE_CLOSED_LISTENERS[f"{listener.__module__}.{listener.__qualname__}"] = listener
    return listener


def case_closed_listeners() -> list[CaseClosedListener]:
    """The registered listeners, in registration order."""
    return list(_CASE_CLOSED_LISTENERS.values())


def case_panel_register(panel: CasePanel) -> CasePanel:
    """Add a panel to every case page (from an app's ``ready()``; idempotent by name)."""
    _CASE_PANELS[panel.name] = panel
    return panel


def case_panels_for(case, user) -> list[tuple[str, dict]]:
    """The (template, context) of every registered panel that has something to show."""
    shown = []
    for panel in _CASE_PANELS.values():
        context = panel.context(case, user)
        if context is not None:
            shown.append((panel.template, context))
    return shown


def customer_banner_register(banner: CustomerBanner) -> CustomerBanner:
    """Add a banner to every customer's page (from an app's ``ready()``; idempotent by
    name)."""
    _CUSTOMER_BANNERS[banner.name] = banner
    return banner


def customer_banners_for(customer, user) -> list[tuple[str, dict]]:
    """The (template, context) of every registered banner that has something to show."""
    shown = []
    for banner in _CUSTOMER_BANNERS.values():
        context = banner.context(customer, user)
        if context is not None:
            shown.append((banner.template, context))
    return shown


def account_section_register(section: AccountSection) -> AccountSection:
    """Add a section to every account on the customer's page (from an app's ``ready()``;
    idempotent by name)."""
    _ACCOUNT_SECTIONS[section.name] = section
    return section


def account_sections_for(account, user) -> list[tuple[str, dict]]:
    """The (template, context) of every registered account section with something to show."""
    shown = []
    for section in _ACCOUNT_SECTIONS.values():
        context = section.context(account, user)
        if context is not None:
            shown.append((section.template, context))
    return shown


def register(spec: KindSpec) -> KindSpec:
    """Register a kind (from its app's ``ready()``); a second registration of the same
    kind must be the same specification."""
    known = _REGISTRY.get(spec.kind)
    if known is not None and known is not spec:
        raise ImproperlyConfigured(f"case kind {spec.kind!r} is registered twice")
    if spec.workflow.kind != spec.kind:
        raise ImproperlyConfigured(f"case kind {spec.kind!r} has the workflow of another kind")
    prefixes = {other.number_prefix: other.kind for other in _REGISTRY.values()}
    if prefixes.get(spec.number_prefix, spec.kind) != spec.kind:
        raise ImproperlyConfigured(f"case number prefix {spec.number_prefix!r} is taken")
    _REGISTRY[spec.kind] = spec
    return spec


def kind_spec(kind: str) -> KindSpec:
    try:
        return _REGISTRY[kind]
    except KeyError:
        raise ImproperlyConfigured(f"case kind {kind!r} is not registered") from None


def all_kinds() -> list[KindSpec]:
    return list(_REGISTRY.values())


def kind_choices() -> list[tuple[str, Any]]:
    """The choices of every ``kind`` column: the registered kinds."""
    return [(spec.kind, spec.label) for spec in _REGISTRY.values()]


def kind_check(kind: str) -> None:
    """Refuse a kind nobody registered (the column has no fixed choices)."""
    if kind not in _REGISTRY:
        raise InvalidInput(
            _("未知的业务类型。"), code="unknown_case_kind", field="kind", details={"kind": kind}
        )


def desk_module_register(module: DeskModule) -> DeskModule:
    """Register an app's pages that belong to no kind (from its app's ``ready()``)."""
    known = _MODULES.get(module.name)
    if known is not None and known is not module:
        raise ImproperlyConfigured(f"desk module {module.name!r} is registered twice")
    _MODULES[module.name] = module
    return module


def all_desk_modules() -> list[DeskModule]:
    return list(_MODULES.values())


def url_modules(attribute: str) -> list[str]:
    """The URL modules the kinds and the desk modules name in ``attribute`` ("page_urls",
    "api_urls", "public_urls"), each once, kinds first, in registration order."""
    owners = [*_REGISTRY.values(), *_MODULES.values()]
    return list(
        dict.fromkeys(getattr(owner, attribute) for owner in owners if getattr(owner, attribute))
    )


def desk_pages_for(user) -> list[DeskPage]:
    """The header pages of the kinds and desk modules ``user`` may open, in registration
    order."""
    pages: dict[str, DeskPage] = {}  # a page offered to several permissions shows once
    for owner in [*_REGISTRY.values(), *_MODULES.values()]:
        for page in owner.desk_pages:
            if page.url_name not in pages and user.has_perm(page.permission):
                pages[page.url_name] = page
    return list(pages.values())


def desk_landing_for(user) -> DeskPage | None:
    """Where ``user`` lands among the registered pages: a desk module's landing page first
    (the specialists' own desk: the quality manager holds the incidents' permissions for the
    pollution incidents, yet works from the water-quality overview), then a kind's."""
    owners = [*_MODULES.values(), *_REGISTRY.values()]
    for owner in owners:
        for page in owner.desk_pages:
            if page.landing and user.has_perm(page.permission):
                return page
    return None


def workflow_for(kind: str) -> Workflow:
    return kind_spec(kind).workflow


def all_workflows() -> list[Workflow]:
    return [spec.workflow for spec in _REGISTRY.values()]


def offered_actions():
    """Every (kind, action name, action) that is offered to people: not internal. (Each has
    a page form and an API input; ``tests/test_kinds_registry.py`` checks it.)"""
    for spec in _REGISTRY.values():
        for name, action in spec.actions.items():
            if not action.internal:
                yield spec, name, action


def action_offered(spec: KindSpec, transition: Transition, case, user) -> bool:
    """Whether the pages and the API offer this available transition to this user: not an
    internal move, and the kind's guard (the service's own check) lets the user take it."""
    action = spec.actions.get(transition.action)
    if action is None or action.internal:
        return False
    return action.guard is None or action.guard(case, user)
