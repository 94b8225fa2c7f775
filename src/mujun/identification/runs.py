"""Kept runs: storing an identification with its findings, listing runs, and comparing two
(quarter against quarter, or the published profile against a what-if).

The run of record, whose findings every page shows without a run asked for, is the most recent
run of a profile as published. A what-if run (one with overrides) is never of record: it is
seen only when asked for by its id.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Engine, Text, and_, cast, select
from sqlalchemy.orm import Session

from mujun.identification.engine import (
    FINDING_KEY,
    FINDINGS_SCHEMA,
    UNJUDGED_SCHEMA,
    Identification,
)
from mujun.records import Finding, IdentificationRun, UnjudgedSubject
from mujun.records.kept import Produced, forget_run, keep_run, kept_run, produced_rows, recent_runs

PUBLISHED = and_(cast(IdentificationRun.overrides, Text) == "{}", IdentificationRun.rules.is_(None))
"""A run of a profile as published: no what-if values (stored as the JSON ``{}``), every rule
judged (``rules`` null)."""


class RunNotFoundError(LookupError):
    """No run has the id asked for."""

    def __init__(self, run_id: int) -> None:
        super().__init__(f"no identification run {run_id}")
        self.run_id = run_id


@dataclass(frozen=True)
class RunDifference:
    """What run ``b`` finds that run ``a`` does not (added), what it no longer finds
    (dropped), and the findings of both whose 重点 flag or evidence differ (changed)."""

    a: int
    b: int
    added: pa.Table
    dropped: pa.Table
    changed: pa.Table

    def counts(self) -> dict[str, int]:
        return {
            "added": self.added.num_rows,
            "dropped": self.dropped.num_rows,
            "changed": self.changed.num_rows,
        }


def run_of_record(*, session: Session) -> IdentificationRun | None:
    """The run of record (see the module's docstring); None while no published run is kept."""
    return session.scalars(
        select(IdentificationRun).where(PUBLISHED).order_by(IdentificationRun.id.desc()).limit(1)
    ).first()


def save_run(
    engine: Engine,
    identification: Identification,
    *,
    started_at: dt.datetime,
    actor: str,
    rules: Sequence[str] | None = None,
) -> int:
    """Store a run and its findings in one transaction; return the run's id. ``rules`` names
    the rules judged when the run judged only some of its profile's (``identify --only``)."""
    profile = identification.profile
    return keep_run(
        engine,
        IdentificationRun,
        {
            "profile": profile.id,
            "profile_version": profile.version,
            "as_of": identification.as_of,
            "parameters": dict(identification.parameters),
            "overrides": dict(profile.overrides),
            "fingerprint": identification.fingerprint,
            "started_at": started_at,
            "finished_at": dt.datetime.now(dt.UTC),
            "actor": actor,
            "finding_count": identification.findings.num_rows,
            "unjudged": identification.unjudged_summary(),
            "rules": None if rules is None else sorted(rules),
        },
        [
            Produced(Finding, identification.findings),
            Produced(UnjudgedSubject, identification.unjudged),
        ],
    )


def list_runs(engine: Engine, *, limit: int = 50) -> list[IdentificationRun]:
    """The most recent runs first."""
    return recent_runs(engine, IdentificationRun, limit=limit)


def get_run(engine: Engine, run_id: int) -> IdentificationRun:
    run = kept_run(engine, IdentificationRun, run_id)
    if run is None:
        raise RunNotFoundError(run_id)
    return run


def run_findings(engine: Engine, run_id: int) -> pa.Table:
    """A stored run's findings, in the order a run gives them."""
    get_run(engine, run_id)
    return produced_rows(engine, Finding, run_id, FINDINGS_SCHEMA, FINDING_KEY)


def run_unjudged(engine: Engine, run_id: int) -> pa.Table:
    return produced_rows(engine, UnjudgedSubject, run_id, UNJUDGED_SCHEMA)


def same_run(
    engine: Engine,
    *,
    profile: str,
    as_of: dt.date,
    fingerprint: str,
    overrides: dict[str, str],
    rules: Sequence[str] | None = None,
) -> int | None:
    """The latest stored run of ``profile`` as of ``as_of`` on the same data and parameters,
    judging the same rules (``None``: all of them)."""
    wanted = None if rules is None else sorted(rules)
    with engine.connect() as conn:
        rows = conn.execute(
            select(IdentificationRun.id, IdentificationRun.overrides, IdentificationRun.rules)
            .where(
                IdentificationRun.profile == profile,
                IdentificationRun.as_of == as_of,
                IdentificationRun.fingerprint == fingerprint,
            )
            .order_by(IdentificationRun.id.desc())
        ).all()
    return next(
        (row.id for row in rows if row.overrides == overrides and row.rules == wanted), None
    )


def delete_run(engine: Engine, run_id: int) -> None:
    get_run(engine, run_id)
    forget_run(engine, IdentificationRun, run_id)


def diff_runs(engine: Engine, a: int, b: int) -> RunDifference:
    """Compare two stored runs finding by finding (by rule, subject type and subject)."""
    return compare(a, run_findings(engine, a), b, run_findings(engine, b))


def compare(a: int, before: pa.Table, b: int, after: pa.Table) -> RunDifference:
    added = after.join(before.select(FINDING_KEY), FINDING_KEY, join_type="left anti")
    dropped = before.join(after.select(FINDING_KEY), FINDING_KEY, join_type="left anti")
    pairs = after.join(
        before.select([*FINDING_KEY, "key", "evidence"]).rename_columns(
            [*FINDING_KEY, "key_before", "evidence_before"]
        ),
        FINDING_KEY,
        join_type="inner",
    )
    differs = pa.compute.or_(
        pa.compute.not_equal(pairs["key"], pairs["key_before"]),
        pa.compute.not_equal(pairs["evidence"], pairs["evidence_before"]),
    )
    return RunDifference(
        a=a,
        b=b,
        added=_ordered(added),
        dropped=_ordered(dropped),
        changed=_ordered(pairs.filter(differs)),
    )


def _ordered(table: pa.Table) -> pa.Table:
    return table.sort_by([(name, "ascending") for name in FINDING_KEY])
