"""An enterprise's portrait (企业画像): its land, its indicators and points in a year, its grades
over the years, where it stands in its cohort, its park and its industry, and the differential
policy it now faces. The command line (``mujun enterprise``) and the web's enterprise file both
show this one portrait, each in its own way.

It is read from the kept evaluation runs, never evaluated again: the grades a county publishes
are its runs of record (:mod:`mujun.evaluation.runs`), and a portrait that evaluated the records
afresh would disagree with the notice as soon as a figure was corrected after it. The year shown
is that of a run of record (by default the latest), or the latest published run of a profile
asked for; a what-if run is listed among its grades but never shown as the year's result. Its
standing in its park and its industry is their per-mu tax in the same run
(:func:`mujun.evaluation.rankings.kept_standings`).
"""

import json
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mujun.analytics.land import INDUSTRY_LEVELS, ON_PARCELS_READS, RELATIONS, on_parcels_of
from mujun.evaluation.rankings import kept_standings
from mujun.evaluation.runs import PUBLISHED, runs_of_record
from mujun.interchange.schema import table
from mujun.policy.evaluation import Policy
from mujun.policy.profiles import ProfileError, load_profile
from mujun.records import (
    Enterprise,
    EnterpriseCounty,
    EvaluationRun,
    ExcludedEnterprise,
    Grade,
    Jurisdiction,
    Parcel,
)
from mujun.units import m2_to_mu

"""An industry is compared by its GB/T 4754 division (C34 for C3489)."""


class EnterpriseNotFoundError(LookupError):
    def __init__(self, credit_code: str) -> None:
        super().__init__(f"no enterprise {credit_code}")
        self.credit_code = credit_code


@dataclass(frozen=True)
class Standing:
    """A group's per-mu tax in the run shown (Σ tax / Σ land of its graded enterprises with a
    tax figure), beside the enterprise's own."""

    group: str | None
    enterprises: int
    tax_per_mu_yuan: float | None


@dataclass(frozen=True)
class Portrait:
    enterprise: dict[str, Any]
    """Its registration, the county it is registered in (``county_code``), every county it is
    in (``counties``) and its land in mu (``land_mu``, rules.md)."""
    land: list[dict[str, Any]]
    """Each parcel it is on: ``parcel_id, county_code, relations`` (how it is on it:
    :func:`mujun.analytics.land.on_parcels`), ``area_m2, land_use, actual_use``."""
    year: int | None
    """The year shown (None while no run is kept)."""
    run: int | None
    profile: str | None
    result: dict[str, Any] | None
    """Its grade in the run shown (cohort, rank, cohort size, score, grade, land, indicators and
    points), or None if not graded there."""
    excluded_reason: str | None
    """Why the run shown left it out, if it did."""
    percentile: float | None
    """The share of its cohort it scores above, in percent."""
    history: list[dict[str, Any]]
    """Per year, oldest first, its grade in the year's run of record (of the profile asked
    for): year, run, cohort, grade, score, rank, cohort size."""
    grades: list[dict[str, Any]]
    """Its grades in every kept run, what-ifs among them, latest year and run first: run, year,
    profile, what_if, of_record, cohort, score, grade, rank, cohort size, land."""
    park: Standing | None
    industry: Standing | None
    policy: Policy | None


def portrait(
    *, session: Session, credit_code: str, year: int | None = None, profile: str | None = None
) -> Portrait:
    """The portrait of ``credit_code`` as the kept runs have it: in ``year``'s run of record
    (default: the latest), or in the latest published run of ``profile`` (of ``year``)."""
    enterprise = _enterprise(session, credit_code)
    runs = _runs_shown(profile)
    grades = _grades(session, credit_code, runs)
    shown = _run_shown(session, runs, year)
    result = _result(session, credit_code, shown) if shown else None
    return Portrait(
        enterprise=enterprise,
        land=land_of(session, credit_code),
        year=shown.year if shown else None,
        run=shown.id if shown else None,
        profile=shown.profile if shown else None,
        result=result,
        excluded_reason=_excluded(session, credit_code, shown) if shown and not result else None,
        percentile=_percentile(session, result) if result else None,
        history=[
            {key: g[key] for key in ("year", "run", "cohort", "grade", "score", "rank")}
            | {"cohort_size": g["cohort_size"]}
            for g in reversed(grades)
            if g["shown"]
        ],
        grades=[{key: value for key, value in g.items() if key != "shown"} for g in grades],
        park=_standing(session, result, "park_code"),
        industry=_standing(session, result, "industry_code"),
        policy=_policy(shown.profile, result["grade"]) if shown and result else None,
    )


def _enterprise(session: Session, credit_code: str) -> dict[str, Any]:
    found = session.execute(
        select(Enterprise, Jurisdiction.county_code)
        .outerjoin(Jurisdiction, Jurisdiction.code == Enterprise.jurisdiction_code)
        .where(Enterprise.credit_code == credit_code)
    ).first()
    if found is None:
        raise EnterpriseNotFoundError(credit_code)
    e, county_code = found
    counties = session.scalars(
        select(EnterpriseCounty.county_code)
        .where(EnterpriseCounty.credit_code == credit_code)
        .order_by(EnterpriseCounty.county_code)
    ).all()
    return {
        "credit_code": e.credit_code,
        "name": e.name,
        "industry_code": e.industry_code,
        "above_scale": e.above_scale,
        "status": e.status,
        "jurisdiction_code": e.jurisdiction_code,
        "park_code": e.park_code,
        "county_code": county_code,
        "counties": list(counties),
        "land_mu": None if e.land_m2 is None else m2_to_mu(e.land_m2),
    }


def land_of(session: Session, credit_code: str) -> list[dict[str, Any]]:
    """Each parcel the enterprise is on, with every way it is on it, by parcel id: the rule
    that also places it (:func:`mujun.analytics.land.on_parcels`), over its own rows alone."""
    rows = {}
    for name, columns in ON_PARCELS_READS.items():
        of = table(name).table
        found = session.execute(
            select(*(of.c[c] for c in columns)).where(of.c[columns[0]] == credit_code)
        )
        rows[name] = pa.Table.from_pylist(
            [r._asdict() for r in found], schema=pa.schema([(c, pa.string()) for c in columns])
        )
    on = on_parcels_of(rows)
    relations: dict[str, list[str]] = {}
    for parcel_id, relation in zip(
        on["parcel_id"].to_pylist(), on["relation"].to_pylist(), strict=True
    ):
        relations.setdefault(parcel_id, []).append(relation)
    order = list(RELATIONS)
    parcels = session.scalars(
        select(Parcel).where(Parcel.parcel_id.in_(sorted(relations))).order_by(Parcel.parcel_id)
    )
    return [
        {
            "parcel_id": p.parcel_id,
            "county_code": p.county_code,
            "relations": sorted(
                relations[p.parcel_id], key=lambda r: order.index(r) if r in order else len(order)
            ),
            "area_m2": p.area_m2,
            "land_use": p.land_use,
            "actual_use": p.actual_use,
        }
        for p in parcels
    ]


def _runs_shown(profile: str | None) -> Select[tuple[int, int]]:
    """``id, year``: per year the run a portrait shows: the run of record, or the latest
    published run of ``profile``."""
    shown = runs_of_record(profile)
    return select(shown.c.id, shown.c.year)


def _grades(
    session: Session, credit_code: str, runs: Select[tuple[int, int]]
) -> list[dict[str, Any]]:
    of_record = Grade.run_id.in_(select(runs_of_record().c.id))
    shown = Grade.run_id.in_(select(runs.subquery().c.id))
    rows = session.execute(
        select(
            Grade,
            EvaluationRun.year,
            EvaluationRun.profile,
            PUBLISHED.label("published"),
            of_record.label("of_record"),
            shown.label("shown"),
        )
        .join(EvaluationRun, EvaluationRun.id == Grade.run_id)
        # each run's grade found by its key (run, credit code): the runs are few, their
        # grades many, and without the runs named SQLite reads every grade to find these
        .where(Grade.run_id.in_(select(EvaluationRun.id)), Grade.credit_code == credit_code)
        .order_by(EvaluationRun.year.desc(), EvaluationRun.id.desc())
    ).all()
    return [
        {
            "run": g.run_id,
            "year": year,
            "profile": run_profile,
            "what_if": not published,
            "of_record": bool(record),
            "cohort": g.cohort,
            "score": g.score,
            "grade": g.grade,
            "rank": g.rank,
            "cohort_size": g.cohort_size,
            "land_mu": g.land_mu,
            "shown": bool(in_shown),
        }
        for g, year, run_profile, published, record, in_shown in rows
    ]


def _run_shown(
    session: Session, runs: Select[tuple[int, int]], year: int | None
) -> EvaluationRun | None:
    shown = runs.subquery()
    query = select(EvaluationRun).join(shown, shown.c.id == EvaluationRun.id)
    if year is not None:
        query = query.where(shown.c.year == year)
    return session.scalars(query.order_by(shown.c.year.desc()).limit(1)).first()


def _result(session: Session, credit_code: str, run: EvaluationRun) -> dict[str, Any] | None:
    grade = session.get(Grade, (run.id, credit_code))
    if grade is None:
        return None
    return {
        "credit_code": grade.credit_code,
        "name": grade.name,
        "cohort": grade.cohort,
        "rank": grade.rank,
        "cohort_size": grade.cohort_size,
        "score": grade.score,
        "grade": grade.grade,
        "land_mu": grade.land_mu,
        "deduction_points": grade.deduction_points,
        "county_code": grade.county_code,
        "park_code": grade.park_code,
        "industry_code": grade.industry_code,
        "indicators": json.loads(grade.indicators),
        "points": json.loads(grade.points),
        "run": run.id,
    }


def _excluded(session: Session, credit_code: str, run: EvaluationRun) -> str | None:
    return session.scalar(
        select(ExcludedEnterprise.reason).where(
            ExcludedEnterprise.run_id == run.id, ExcludedEnterprise.credit_code == credit_code
        )
    )


def _percentile(session: Session, result: dict[str, Any]) -> float | None:
    """The share of the rest of its cohort that it scores above."""
    size: int = result["cohort_size"]
    if size < 2:
        return None
    below = session.scalar(
        select(func.count()).where(
            Grade.run_id == result["run"],
            Grade.cohort == result["cohort"],
            Grade.score < result["score"],
        )
    )
    return 100.0 * int(below or 0) / (size - 1)


def _standing(session: Session, result: dict[str, Any] | None, column: str) -> Standing | None:
    """The per-mu tax of its park (``park_code``) or industry (``industry_code``, by division)
    in the run shown."""
    if result is None or not result[column]:
        return None
    standings = kept_standings(session=session, run=result["run"])
    group = str(result[column])
    if column == "industry_code":
        group = group[: INDUSTRY_LEVELS["division"]]
    tax = (standings.divisions if column == "industry_code" else standings.parks).get(group)
    return None if tax is None else Standing(group, tax.enterprises, tax.tax_per_mu_yuan)


def _policy(profile_id: str, grade: str) -> Policy | None:
    """The differential policy the grade triggers under the run's profile (none for a profile
    no longer shipped)."""
    try:
        spec = load_profile(profile_id).evaluation
    except ProfileError:
        return None
    return None if spec is None else spec.policies.get(grade)
