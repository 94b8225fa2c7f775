"""Running a profile: every rule's formula on the facts as of a date, giving the findings, the
subjects that could not be judged, and what a run records about itself.

Each rule's verdicts that fire or are unknown are computed in DuckDB and read out once, in
subject order, as Arrow; its findings and its unjudged subjects are split from them there. A
subject judged through several rows (a parcel held by two enterprises) gets one finding: its
firing row, the first by evidence.
"""

import datetime as dt
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from mujun.analytics.facts import Facts
from mujun.analytics.land import counties, enterprise_land
from mujun.analytics.logic import the_year
from mujun.analytics.plans import plan_key
from mujun.analytics.tables import attach, attach_by
from mujun.arrays import empty, positions, repeated_text
from mujun.identification import formulas  # noqa: F401 (registers every formula)
from mujun.identification.judgement import FORMULAS, Context, Judgement, missing_among
from mujun.policy.parameters import ParameterValues
from mujun.policy.profiles import Profile, ProfileError, Rule, SubjectType
from mujun.progress import Progress, silent

FINDINGS_SCHEMA = pa.schema(
    [
        ("criterion", pa.string()),
        ("category", pa.string()),
        ("subject_type", pa.string()),
        ("subject_id", pa.string()),
        ("subject_name", pa.string()),
        ("area_m2", pa.float64()),
        ("county_code", pa.string()),
        ("key", pa.bool_()),
        ("evidence", pa.string()),
        ("source", pa.string()),
    ]
)
"""One row per finding. ``evidence`` is a JSON object of the figures compared; ``subject_name``
is the enterprise's name (for parcels and buildings, their holder's or owner's); ``area_m2`` is
the parcel's area, the building's floor area, the enterprise's land or the approval's
unsupplied area; ``county_code`` the county the subject lies in."""

DESCRIBED = ("subject_name", "area_m2", "county_code")
"""The columns of a finding that describe its subject (:func:`subjects`)."""

FOUND_SUBJECTS = "found_subjects"
"""The subjects of a run's findings, with their position, as :func:`_described` hands them to
DuckDB."""

FOUND_SCHEMA = pa.schema(
    [FINDINGS_SCHEMA.field(name) for name in FINDINGS_SCHEMA.names if name not in DESCRIBED]
)
"""A rule's findings before their subjects are described."""

FINDING_KEY = ["criterion", "subject_type", "subject_id"]
"""What names a finding in a run (a rule and a subject), and the order of a run's findings and
unjudged subjects."""

UNJUDGED_SCHEMA = pa.schema(
    [
        ("criterion", pa.string()),
        ("subject_type", pa.string()),
        ("subject_id", pa.string()),
        ("missing", pa.string()),
    ]
)
"""One row per subject a rule could not judge, naming the figures that were unknown."""


@dataclass(frozen=True)
class RuleTally:
    """What one rule of a run found, and what it could not judge for want of which figures."""

    found: int = 0
    key: int = 0
    unjudged: int = 0
    missing: tuple[str, ...] = ()


@dataclass(frozen=True)
class Identification:
    """The outcome of running a profile as of a date on one set of facts."""

    profile: Profile
    as_of: dt.date
    fingerprint: str
    parameters: Mapping[str, str]
    findings: pa.Table
    unjudged: pa.Table

    def tallies(self) -> dict[str, RuleTally]:
        """Per rule of the profile: findings, key findings, subjects not judged, and the
        figures missing for them."""
        found = {
            criterion: (rows.num_rows, pc.sum(rows["key"]).as_py() or 0)
            for criterion, rows in _by_rule(self.findings)
        }
        unjudged: dict[str, tuple[int, set[str]]] = {}
        for line in self.unjudged_summary():
            count, names = unjudged.get(line["criterion"], (0, set()))
            unjudged[line["criterion"]] = (
                count + line["subjects"],
                names | set(line["missing"].split(",")),
            )
        return {
            rule: RuleTally(
                *found.get(rule, (0, 0)),
                unjudged.get(rule, (0, set()))[0],
                tuple(sorted(unjudged.get(rule, (0, set()))[1])),
            )
            for rule in self.profile.rules
        }

    def unjudged_summary(self) -> list[dict[str, Any]]:
        """Per rule and missing figure, how many subjects could not be judged."""
        counts = [
            {"criterion": criterion, "missing": count["values"], "subjects": count["counts"]}
            for criterion, rows in _by_rule(self.unjudged)
            for count in pc.value_counts(rows["missing"]).to_pylist()
        ]
        return sorted(counts, key=lambda count: (count["criterion"], count["missing"]))


def _by_rule(rows: pa.Table) -> Iterator[tuple[str, pa.Table]]:
    """Each rule's rows of a run's findings or unjudged subjects, which come rule by rule
    (:data:`FINDING_KEY`). Counted without grouping: pyarrow groups through its query engine,
    whose module imports pandas."""
    start = 0
    for count in pc.value_counts(rows["criterion"]).to_pylist():
        yield count["values"], rows.slice(start, count["counts"])
        start += count["counts"]


def check_profile(profile: Profile) -> None:
    """Every rule of ``profile`` has a formula, and every parameter it reads is defined."""
    for rule_id in profile.rules:
        entry = FORMULAS.get(rule_id)
        if entry is None:
            raise ProfileError(f"{profile.id}: no formula implements {rule_id}")
        undefined = [name for name in entry.parameters if name not in profile.parameters]
        if undefined:
            raise ProfileError(f"{profile.id}: {rule_id} reads undefined {', '.join(undefined)}")


def rule_parameters(rule_id: str) -> tuple[str, ...]:
    return FORMULAS[rule_id].parameters


def monthly_columns(profile: Profile) -> tuple[str, ...]:
    """The columns of the monthly metrics that ``profile``'s rules read."""
    return tuple(sorted({c for rule in profile.rules for c in FORMULAS[rule].monthly}))


def identify(
    *, facts: Facts, profile: Profile, as_of: dt.date, on_progress: Progress = silent
) -> Identification:
    """Run every rule of ``profile`` on ``facts`` as of ``as_of``, following the plan of its
    statements kept by an earlier run where there is one (:func:`plan_of`)."""
    check_profile(profile)
    values = profile.values(as_of)
    parameters = values.in_force()  # fails at once if the profile is not in force yet
    ctx = Context(facts=facts, parameters=values)
    found: list[pa.Table] = [empty(FOUND_SCHEMA)]
    unjudged: list[pa.Table] = [empty(UNJUDGED_SCHEMA)]
    rules = sorted(profile.rules.values(), key=lambda r: r.id)
    key, forbidden = plan_of(facts, profile, values)
    with facts.planned(key, forbidden=forbidden):
        for index, rule in enumerate(rules):  # rule by rule, each by subject: FINDING_KEY order
            on_progress(rule.id, index / len(rules))
            prepare = FORMULAS[rule.id].prepare
            if prepare is not None:
                prepare(ctx)
            judged = facts.read(f"verdicts {rule.id}", partial(_judged, ctx, rule.id))
            found.append(_findings(rule, judged))
            unjudged.append(_unjudged(rule, judged))
        findings = _described(
            facts, pa.concat_tables(found), {s for r in rules for s in r.subjects}
        )
    on_progress("findings", 1.0)
    return Identification(
        profile=profile,
        as_of=as_of,
        fingerprint=facts.fingerprint,
        parameters=parameters,
        findings=findings,
        unjudged=pa.concat_tables(unjudged),
    )


def _judged(ctx: Context, rule_id: str) -> ir.Table:
    """The verdicts of the rule ``rule_id``, by subject (the order of FINDING_KEY)."""
    return verdicts(FORMULAS[rule_id].compute(ctx)).order_by(FINDING_KEY[1:])


def plan_of(facts: Facts, profile: Profile, values: ParameterValues) -> tuple[str, tuple[str, ...]]:
    """The key of the plan of a run of ``profile`` with ``values`` on ``facts``, and what its
    statements may not hold. All they depend on is the rules (and the kinds of subject each
    judges), their parameters' values, the year whose figures count and the facts' columns;
    the day judged they read as a variable, so they may not name it (where a parameter's
    value is that very day, they may)."""
    parameters = values.in_force()
    key = plan_key(
        "identify",
        {
            "rules": {r.id: sorted(r.subjects) for r in profile.rules.values()},
            "parameters": parameters,
            "year": the_year(values.as_of),
            "facts": facts.offered,
        },
    )
    day = values.as_of.isoformat()
    return key, () if day in parameters.values() else (day,)


def verdicts(judgement: Judgement) -> ir.Table:
    """One row per subject that fires or could not be judged: its verdict, 重点 flag, evidence
    as JSON where it fires and missing figures where it could not be judged (a subject not
    judged keeps no evidence). A subject judged through several rows is judged by its first
    row that fires (first by evidence), else by its first unknown one (first by the figures
    missing); subjects whose every row does not fire are left out before any evidence is
    written."""
    t = judgement.table
    if judgement.subject_type is not None:
        t = t.mutate(subject_type=ibis.literal(judgement.subject_type.value))
    t = t.filter(t.fires.isnull() | t.fires)
    evidence = ibis.struct({name: t[name] for name in judgement.evidence}).cast("json")
    missing = judgement.missing
    if missing is None:
        missing = missing_among(t, judgement.inputs)
    t = t.select(
        subject_type=t.subject_type,
        subject_id=t.subject_id.cast("string"),
        fires=t.fires,
        key=t.key.fill_null(False),
        evidence=ibis.ifelse(t.fires, evidence.cast("string"), ibis.null("string")),
        missing=ibis.ifelse(t.fires.isnull(), missing, ibis.null("string")),
    )
    order = ibis.ifelse(t.fires, 0, 1)
    ranked = t.mutate(
        rank=ibis.row_number().over(
            group_by=[t.subject_type, t.subject_id], order_by=[order, t.evidence, t.missing]
        )
    )
    return ranked.filter(ranked.rank == 0).drop("rank")


def _findings(rule: Rule, judged: pa.Table) -> pa.Table:
    fired = judged.filter(judged["fires"])
    return pa.table(
        {
            "criterion": repeated_text(rule.id, fired.num_rows),
            "category": repeated_text(rule.category.value, fired.num_rows),
            "subject_type": fired["subject_type"],
            "subject_id": fired["subject_id"],
            "key": fired["key"],
            "evidence": fired["evidence"],
            "source": repeated_text(rule.source, fired.num_rows),
        }
    ).cast(FOUND_SCHEMA)


def _unjudged(rule: Rule, judged: pa.Table) -> pa.Table:
    unknown = judged.filter(pc.is_null(judged["fires"]))
    return pa.table(
        {
            "criterion": repeated_text(rule.id, unknown.num_rows),
            "subject_type": unknown["subject_type"],
            "subject_id": unknown["subject_id"],
            "missing": pc.coalesce(unknown["missing"], repeated_text("?", unknown.num_rows)),
        }
    ).cast(UNJUDGED_SCHEMA)


def _described(facts: Facts, found: pa.Table, types: Collection[SubjectType]) -> pa.Table:
    """The findings with each subject's name, area and county, in their order (subjects of
    ``types``: those the rules judge, whatever they find). Only the subjects go to DuckDB (as
    the table ``found_subjects``) and only their descriptions come back, by position: the
    findings' evidence is neither copied nor sorted again. A run without findings asks too,
    so that every run sends the same statements (a plan's)."""
    subject = ["subject_type", "subject_id"]
    found_subjects = found.select(subject).append_column("position", positions(found.num_rows))
    facts.con.register(FOUND_SUBJECTS, found_subjects)
    try:
        descriptions = facts.read(
            "described",
            lambda: (
                attach(facts.backend.table(FOUND_SUBJECTS), subjects(facts), subject)
                .order_by("position")
                .select(*DESCRIBED)
            ),
        )
    finally:
        facts.con.unregister(FOUND_SUBJECTS)
    whole = pa.Table.from_arrays(
        [*found.columns, *descriptions.columns],
        names=[*found.column_names, *descriptions.column_names],
    )
    return whole.select(FINDINGS_SCHEMA.names).cast(FINDINGS_SCHEMA)


def subjects(facts: Facts, types: Collection[str] = tuple(SubjectType)) -> ir.Table:
    """Every subject of ``types`` (all by default): its type, id, name, area and county."""
    county = counties(facts)
    names = facts["enterprises"].select(
        credit_code="credit_code", name="name", home="jurisdiction_code"
    )
    parcels = attach_by(
        attach_by(facts["parcels"], names, "holder_credit_code", "credit_code"),
        county,
        "jurisdiction_code",
        "code",
    )
    buildings = attach_by(
        attach_by(facts["buildings"], names, "owner_credit_code", "credit_code"),
        parcels.select(parcel_id="parcel_id", parcel_county="county_code"),
        "parcel_id",
        "parcel_id",
    )
    enterprises = attach_by(
        attach(facts["enterprises"], enterprise_land(facts), "credit_code"),
        county,
        "jurisdiction_code",
        "code",
    )
    approvals = attach_by(facts["land_approvals"], county, "jurisdiction_code", "code")
    described = [
        _described_as(
            SubjectType.PARCEL,
            parcels,
            "parcel_id",
            name=parcels.name,
            area_m2=parcels.area_m2,
            county_code=parcels.county_code,
        ),
        _described_as(
            SubjectType.BUILDING,
            buildings,
            "building_id",
            name=buildings.name,
            area_m2=buildings.floor_area_m2,
            county_code=buildings.parcel_county,
        ),
        _described_as(
            SubjectType.ENTERPRISE,
            enterprises,
            "credit_code",
            name=enterprises.name,
            area_m2=enterprises.land_m2,
            county_code=enterprises.county_code,
        ),
        _described_as(
            SubjectType.APPROVAL,
            approvals,
            "approval_id",
            name=ibis.null("string"),
            area_m2=approvals.approved_area_m2 - approvals.supplied_area_m2,
            county_code=approvals.county_code,
        ),
    ]
    return ibis.union(*(table for kind, table in described if kind in types))


def _described_as(
    subject_type: SubjectType,
    table: ir.Table,
    key: str,
    *,
    name: ir.Value,
    area_m2: ir.Value,
    county_code: ir.Value,
) -> tuple[SubjectType, ir.Table]:
    """``table``'s rows as subjects of ``subject_type``, named by the column ``key``."""
    return subject_type, table.select(
        subject_type=ibis.literal(subject_type.value),
        subject_id=table[key],
        subject_name=name.cast("string"),
        area_m2=area_m2,
        county_code=county_code,
    )
