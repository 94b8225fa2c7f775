"""Judging a month: every signal on the facts, giving the subjects it fires for (with their
level, evidence, name, county and the units they are routed to), the subjects it could not
judge for want of which figures, and what the run records about itself.

Each signal's verdicts are read the way an identification rule's are
(:func:`mujun.identification.engine.verdicts`) and described by the same subjects
(:func:`mujun.identification.engine.subjects`), departments by the duty table.
"""

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from mujun.analytics.facts import Facts
from mujun.analytics.tables import attach
from mujun.identification.engine import subjects, verdicts
from mujun.identification.judgement import Context
from mujun.monitoring.months import last_day
from mujun.monitoring.routing import routed_to
from mujun.monitoring.signals import DEPARTMENT, Level, Signal, signals
from mujun.policy.duties import DEPARTMENTS
from mujun.policy.profiles import Profile, ProfileError
from mujun.progress import Progress, silent

FIRED_SCHEMA = pa.schema(
    [
        ("signal", pa.string()),
        ("level", pa.string()),
        ("subject_type", pa.string()),
        ("subject_id", pa.string()),
        ("subject_name", pa.string()),
        ("county_code", pa.string()),
        ("routed_to", pa.list_(pa.string())),
        ("evidence", pa.string()),
    ]
)
"""One row per subject a signal fires for; ``evidence`` is a JSON object of the figures
compared, ``routed_to`` the county code and the departments' codes (:mod:`routing`)."""

UNJUDGED_SCHEMA = pa.schema(
    [
        ("signal", pa.string()),
        ("subject_type", pa.string()),
        ("subject_id", pa.string()),
        ("missing", pa.string()),
    ]
)
"""One row per subject a signal could not judge, naming the figures that were unknown."""

ORDER = [("signal", "ascending"), ("subject_type", "ascending"), ("subject_id", "ascending")]
_OF_MONTH = re.compile(r"_\d{4}-\d{2}$")


@dataclass(frozen=True)
class Monitoring:
    """The outcome of judging one month under a profile on one set of facts."""

    profile: Profile
    month: str
    fingerprint: str
    parameters: Mapping[str, str]
    fired: pa.Table
    unjudged: pa.Table

    def unjudged_summary(self) -> list[dict[str, Any]]:
        """Per signal, how many subjects could not be judged and which figures were missing
        (by name, without their months)."""
        counts: dict[str, tuple[int, set[str]]] = {}
        grouped = self.unjudged.group_by(["signal", "missing"]).aggregate([("subject_id", "count")])
        for row in grouped.to_pylist():
            count, names = counts.get(row["signal"], (0, set()))
            named = {_OF_MONTH.sub("", name) for name in row["missing"].split(",")}
            counts[row["signal"]] = (count + row["subject_id_count"], names | named)
        return [
            {"signal": signal, "subjects": count, "missing": sorted(names)}
            for signal, (count, names) in sorted(counts.items())
        ]


def check_profile(profile: Profile) -> None:
    """The profile defines every parameter the signals read, their levels included."""
    wanted = {name for s in signals() for name in (*s.parameters, s.level_parameter)}
    undefined = sorted(wanted - set(profile.parameters))
    if undefined:
        raise ProfileError(
            f"{profile.id} does not define the monitoring parameters {', '.join(undefined)}"
        )


def monitor(
    *,
    facts: Facts,
    profile: Profile,
    month: str,
    only: Collection[str] | None = None,
    on_progress: Progress = silent,
) -> Monitoring:
    """Judge every subject of ``facts`` for ``month`` by every signal (or those ``only``
    names), under ``profile``."""
    check_profile(profile)
    values = profile.values(last_day(month))
    parameters = values.in_force()
    ctx = Context(facts=facts, parameters=values)
    described = _described(facts)
    fired: list[pa.Table] = []
    unjudged: list[pa.Table] = []
    listed = [s for s in signals() if only is None or s.id in only]
    level_of = {s.id: Level(values.text(s.level_parameter)) for s in listed}
    for index, one in enumerate(listed):
        on_progress(one.id, index / len(listed))
        judged = facts.keep("signal_verdicts", verdicts(one.compute(ctx)))
        fired.append(_fired(one, level_of[one.id], judged, described))
        unjudged.append(_unjudged(one, judged))
    on_progress("warnings", 1.0)
    return Monitoring(
        profile=profile,
        month=month,
        fingerprint=facts.fingerprint,
        parameters=parameters,
        fired=pa.concat_tables(fired).cast(FIRED_SCHEMA).sort_by(ORDER),
        unjudged=pa.concat_tables(unjudged).cast(UNJUDGED_SCHEMA).sort_by(ORDER),
    )


def _described(facts: Facts) -> ir.Table:
    """Every subject's name and county: the identification's subjects, and the departments."""
    departments = ibis.memtable(
        pa.table(
            {
                "subject_type": [DEPARTMENT] * len(DEPARTMENTS),
                "subject_id": [d.code for d in DEPARTMENTS],
                "subject_name": [d.label_zh for d in DEPARTMENTS],
                "county_code": pa.nulls(len(DEPARTMENTS), pa.string()),
            }
        )
    )
    columns = ("subject_type", "subject_id", "subject_name", "county_code")
    return facts.derived(
        "monitored_subjects", lambda: subjects(facts).select(*columns).union(departments)
    )


def _fired(one: Signal, level: Level, judged: ir.Table, described: ir.Table) -> pa.Table:
    fired = judged.filter(judged.fires == True)  # noqa: E712 (an Ibis expression)
    t = attach(fired, described, ["subject_type", "subject_id"])
    return t.select(
        signal=ibis.literal(one.id),
        level=ibis.literal(level.value),
        subject_type=t.subject_type,
        subject_id=t.subject_id,
        subject_name=t.subject_name,
        county_code=t.county_code,
        routed_to=routed_to(one.id, t.subject_id, t.county_code),
        evidence=t.evidence,
    ).to_pyarrow()


def _unjudged(one: Signal, judged: ir.Table) -> pa.Table:
    unknown = judged.filter(judged.fires.isnull())
    return unknown.select(
        signal=ibis.literal(one.id),
        subject_type=unknown.subject_type,
        subject_id=unknown.subject_id,
        missing=unknown.missing.fill_null("?"),
    ).to_pyarrow()
