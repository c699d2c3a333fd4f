"""Explicit transition tables: each case kind declares its moves, who may make them, and
which statuses end the case. Services consult the table; nothing else changes a status."""

from dataclasses import dataclass, field

from waterdesk.core.errors import IllegalTransition


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    permission: str  # "app_label.codename"
    label: str


@dataclass
class Workflow:
    kind: str
    transitions: list[Transition]
    terminal: frozenset[str]
    _by_action: dict[str, list[Transition]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_action = {}
        for transition in self.transitions:
            self._by_action.setdefault(transition.action, []).append(transition)

    def get(self, action: str, current_status: str) -> Transition:
        for transition in self._by_action.get(action, []):
            if current_status in transition.sources:
                return transition
        raise IllegalTransition(details={"action": action, "status": current_status})

    def available(self, status: str) -> list[Transition]:
        return [t for t in self.transitions if status in t.sources]

    def statuses_actionable_with(self, permissions: set[str]) -> set[str]:
        return {s for t in self.transitions if t.permission in permissions for s in t.sources}
