"""The states of a case and the moves between them (workflow.md §1; Tonglu §六's five steps),
as a state machine (python-statemachine) bound to the case's ``state`` column: a move the
machine does not have is refused, whatever asks for it."""

from enum import StrEnum

from statemachine import State, StateMachine


class CaseState(StrEnum):
    SURVEYED = "surveyed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    EVALUATING = "evaluating"
    CLOSED = "closed"

    @property
    def label_zh(self) -> str:
        return _STATE_ZH[self]

    @property
    def label_en(self) -> str:
        return _STATE_EN[self]

    @property
    def is_open(self) -> bool:
        return self not in (CaseState.CLOSED, CaseState.DISMISSED)


_STATE_ZH = {
    CaseState.SURVEYED: "调查核实",
    CaseState.CONFIRMED: "审核认定",
    CaseState.DISMISSED: "核实不予认定",
    CaseState.PLANNED: "一地一策",
    CaseState.IN_PROGRESS: "整治提升",
    CaseState.EVALUATING: "评估出库",
    CaseState.CLOSED: "出库销号",
}
_STATE_EN = {
    CaseState.SURVEYED: "Surveyed",
    CaseState.CONFIRMED: "Confirmed",
    CaseState.DISMISSED: "Dismissed",
    CaseState.PLANNED: "Planned",
    CaseState.IN_PROGRESS: "In progress",
    CaseState.EVALUATING: "Exit evaluation",
    CaseState.CLOSED: "Closed",
}


class Lifecycle(StateMachine):
    """The allowed moves. Each event is named after what the official does."""

    surveyed = State(initial=True, value=CaseState.SURVEYED.value)
    confirmed = State(value=CaseState.CONFIRMED.value)
    dismissed = State(final=True, value=CaseState.DISMISSED.value)
    planned = State(value=CaseState.PLANNED.value)
    in_progress = State(value=CaseState.IN_PROGRESS.value)
    evaluating = State(value=CaseState.EVALUATING.value)
    closed = State(final=True, value=CaseState.CLOSED.value)

    confirm = surveyed.to(confirmed)
    dismiss = surveyed.to(dismissed)
    approve_plan = confirmed.to(planned)
    start_work = planned.to(in_progress)
    ask_exit = in_progress.to(evaluating)
    close = evaluating.to(closed)
    continue_work = evaluating.to(in_progress)


DECIDED_BY_TASK_FORCE = frozenset({CaseState.CONFIRMED, CaseState.PLANNED, CaseState.CLOSED})
"""The moves only the city's task force makes (confirm, approve a plan, close); the county
officer makes the others on its county's cases."""


def event_to(current: CaseState, target: CaseState) -> str | None:
    """The machine's event moving a case from ``current`` to ``target``, or None."""
    for transition in _state(current).transitions:
        if transition.target.value == target.value:
            return str(transition.event)
    return None


def next_states(current: CaseState) -> list[CaseState]:
    """The states a case in ``current`` may move to."""
    return [CaseState(t.target.value) for t in _state(current).transitions]


def _state(value: CaseState) -> State:
    found: State = next(s for s in Lifecycle.states if s.value == value.value)
    return found
