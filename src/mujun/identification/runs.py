"""Kept runs: storing an identification with its findings, listing runs, and comparing two
(quarter against quarter, or the published profile against a what-if)."""

import datetime as dt
from dataclasses import dataclass

import pyarrow as pa
from sqlalchemy import Engine, delete, insert, select
from sqlalchemy.orm import Session

from mujun.identification.engine import FINDINGS_SCHEMA, UNJUDGED_SCHEMA, Identification
from mujun.records import Finding, IdentificationRun, UnjudgedSubject, table_of
from mujun.records.bulk import BATCH_ROWS, insert_rows

SUBJECT_KEY = ["criterion", "subject_type", "subject_id"]


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


def save_run(
    engine: Engine, identification: Identification, *, started_at: dt.datetime, actor: str
) -> int:
    """Store a run and its findings in one transaction; return the run's id."""
    profile = identification.profile
    with engine.begin() as conn:
        run_id: int = conn.execute(
            insert(IdentificationRun)
            .values(
                profile=profile.id,
                profile_version=profile.version,
                as_of=identification.as_of,
                parameters=dict(identification.parameters),
                overrides=dict(profile.overrides),
                fingerprint=identification.fingerprint,
                started_at=started_at,
                finished_at=dt.datetime.now(dt.UTC),
                actor=actor,
                finding_count=identification.findings.num_rows,
                unjudged=identification.unjudged_summary(),
            )
            .returning(IdentificationRun.id)
        ).scalar_one()
        for model, rows in (
            (Finding, identification.findings),
            (UnjudgedSubject, identification.unjudged),
        ):
            numbered = rows.add_column(0, "run_id", pa.repeat(run_id, rows.num_rows))
            insert_rows(conn, table_of(model), numbered.to_batches(BATCH_ROWS))
    return run_id


def list_runs(engine: Engine, *, limit: int = 50) -> list[IdentificationRun]:
    """The most recent runs first."""
    with Session(engine, expire_on_commit=False) as session:
        query = select(IdentificationRun).order_by(IdentificationRun.id.desc()).limit(limit)
        return list(session.scalars(query))


def get_run(engine: Engine, run_id: int) -> IdentificationRun:
    with Session(engine, expire_on_commit=False) as session:
        run = session.get(IdentificationRun, run_id)
    if run is None:
        raise RunNotFoundError(run_id)
    return run


def run_findings(engine: Engine, run_id: int) -> pa.Table:
    """A stored run's findings, in the order a run gives them."""
    get_run(engine, run_id)
    columns = [Finding.__table__.c[name] for name in FINDINGS_SCHEMA.names]
    with engine.connect() as conn:
        rows = conn.execute(
            select(*columns)
            .where(Finding.run_id == run_id)
            .order_by(Finding.criterion, Finding.subject_type, Finding.subject_id)
        ).all()
    return pa.Table.from_pylist([dict(row._mapping) for row in rows], schema=FINDINGS_SCHEMA)


def run_unjudged(engine: Engine, run_id: int) -> pa.Table:
    columns = [UnjudgedSubject.__table__.c[name] for name in UNJUDGED_SCHEMA.names]
    with engine.connect() as conn:
        rows = conn.execute(select(*columns).where(UnjudgedSubject.run_id == run_id)).all()
    return pa.Table.from_pylist([dict(row._mapping) for row in rows], schema=UNJUDGED_SCHEMA)


def same_run(
    engine: Engine, *, profile: str, as_of: dt.date, fingerprint: str, overrides: dict[str, str]
) -> int | None:
    """The latest stored run of ``profile`` as of ``as_of`` on the same data and parameters."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(IdentificationRun.id, IdentificationRun.overrides)
            .where(
                IdentificationRun.profile == profile,
                IdentificationRun.as_of == as_of,
                IdentificationRun.fingerprint == fingerprint,
            )
            .order_by(IdentificationRun.id.desc())
        ).all()
    return next((row.id for row in rows if row.overrides == overrides), None)


def delete_run(engine: Engine, run_id: int) -> None:
    get_run(engine, run_id)
    with engine.begin() as conn:
        for model in (Finding, UnjudgedSubject):
            conn.execute(delete(model).where(model.run_id == run_id))
        conn.execute(delete(IdentificationRun).where(IdentificationRun.id == run_id))


def diff_runs(engine: Engine, a: int, b: int) -> RunDifference:
    """Compare two stored runs finding by finding (by rule, subject type and subject)."""
    return compare(a, run_findings(engine, a), b, run_findings(engine, b))


def compare(a: int, before: pa.Table, b: int, after: pa.Table) -> RunDifference:
    added = after.join(before.select(SUBJECT_KEY), SUBJECT_KEY, join_type="left anti")
    dropped = before.join(after.select(SUBJECT_KEY), SUBJECT_KEY, join_type="left anti")
    pairs = after.join(
        before.select([*SUBJECT_KEY, "key", "evidence"]).rename_columns(
            [*SUBJECT_KEY, "key_before", "evidence_before"]
        ),
        SUBJECT_KEY,
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
    return table.sort_by([(name, "ascending") for name in SUBJECT_KEY])
