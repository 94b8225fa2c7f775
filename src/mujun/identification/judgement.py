"""What a rule formula is and returns.

A formula is a function of the run's :class:`Context` (the records as Ibis tables and the
parameters in force) that returns a :class:`Judgement`: one row per subject it looked at, with

- ``subject_id`` (and ``subject_type`` where the rule names more than one kind of subject),
- ``fires``: true, false, or null when a figure it needs is unknown,
- ``key``: the 重点 flag where the rule defines one,
- the figures it compared, by name (the finding's evidence).

Formulas register themselves by rule id with :func:`formula`, declaring the parameters they
read, so a profile can be checked for completeness before anything runs.
"""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir

from mujun.analytics.facts import Facts
from mujun.analytics.variables import AS_OF
from mujun.policy.parameters import ParameterValues
from mujun.policy.profiles import SubjectType


@dataclass
class Context:
    """One run's records, parameters, and the intermediate tables its rules share."""

    facts: Facts
    parameters: ParameterValues
    shared: dict[str, ir.Table] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.facts.set_variable(AS_OF.get_name(), self.as_of)

    @property
    def as_of(self) -> dt.date:
        """The day judged, for what depends on it in Python (the year whose figures count)."""
        return self.parameters.as_of

    @property
    def day(self) -> ir.DateValue:
        """The day judged, as the statements read it (:data:`~mujun.analytics.variables.AS_OF`)."""
        return AS_OF

    def once(self, name: str, build: Callable[["Context"], ir.Table]) -> ir.Table:
        """An intermediate table (the idle verdict of every parcel, say), computed once a run."""
        if name not in self.shared:
            self.shared[name] = self.facts.keep(f"shared_{name}", build(self))
        return self.shared[name]


@dataclass(frozen=True)
class Judgement:
    """A formula's verdict on every subject it looked at."""

    table: ir.Table
    evidence: tuple[str, ...]
    """The columns a person needs to check the verdict by hand, in reading order."""
    inputs: tuple[str, ...]
    """The recorded figures the verdict needs: where it is unknown, the null ones are named as
    missing, so officials know what to collect."""
    subject_type: SubjectType | None = None
    """The kind of every subject, or None when the table has a ``subject_type`` column."""
    missing: ir.StringValue | None = None
    """Where the unknown figures are not columns of the table (a verdict over many rows), an
    expression naming them, comma-separated; it replaces the reading of ``inputs``."""


def missing_among(table: ir.Table, names: tuple[str, ...]) -> ir.StringValue:
    """The names of ``table``'s columns among ``names`` that are null, comma-separated (null
    when none is)."""
    return names_of_missing(
        *(ibis.ifelse(table[n].isnull(), n, ibis.null("string")) for n in names)
    )


def names_of_missing(*parts: ir.StringValue) -> ir.StringValue:
    """Lists of missing figures joined into one (null when all are null or empty)."""
    return ibis.literal(",").join([*parts] or [ibis.null("string")]).nullif("")


Formula = Callable[[Context], Judgement]
Preparation = Callable[[Context], None]
"""What makes, in Python, a table a formula reads (tonglu/other's grades: an evaluation),
registered on the facts' connection under a name of its own."""


@dataclass(frozen=True)
class FormulaEntry:
    rule_id: str
    parameters: tuple[str, ...]
    compute: Formula
    monthly: tuple[str, ...] = ()
    """Columns of the monthly metrics the formula reads (most read none)."""
    prepare: Preparation | None = None
    """Run before the formula's verdicts are read, whether they are compiled or replayed from
    a plan (:mod:`mujun.analytics.plans`), which builds no formula."""


FORMULAS: dict[str, FormulaEntry] = {}


def formula(
    rule_id: str,
    *,
    parameters: tuple[str, ...] = (),
    monthly: tuple[str, ...] = (),
    prepare: Preparation | None = None,
) -> Callable[[Formula], Formula]:
    """Register the formula of ``rule_id``, which reads ``parameters`` (and the ``monthly``
    columns of the monthly metrics, and the tables ``prepare`` makes)."""

    def register(compute: Formula) -> Formula:
        if rule_id in FORMULAS:
            raise ValueError(f"two formulas for {rule_id}")
        FORMULAS[rule_id] = FormulaEntry(rule_id, parameters, compute, monthly, prepare)
        return compute

    return register
