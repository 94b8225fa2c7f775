"""The national idle-land rules (闲置土地处置办法 2012, art. 2 and 14; restated in Ankang §二(一)
and §三(一)).

Idle is judged per parcel from its land contract's agreed start date and its latest
construction record on or before the as-of date. The evidence says since when the land has been
idle, for how many days, and the consequence that length of idleness has reached: the idle-land
fee (a share of the land price) after one year, revocation without compensation after two.
"""

import ibis
import ibis.expr.types as ir

from mujun.analytics.logic import below_share, years_after
from mujun.analytics.tables import attach
from mujun.identification.formulas.subjects import land_contract, latest_construction
from mujun.identification.judgement import (
    Context,
    Judgement,
    formula,
    missing_among,
    names_of_missing,
)
from mujun.policy.profiles import SubjectType

WITHOUT_RECORD = "idle.without_construction_record"
PARAMETERS = (
    "idle.after_years",
    WITHOUT_RECORD,
    "idle.developed_share",
    "idle.invested_share",
    "idle.fee_share",
    "idle.fee_after_years",
    "idle.revocation_after_years",
)
NOT_STARTED_EVIDENCE = ("agreed_start_date", "record_as_of", "started_date")
STALLED_INPUTS = (
    "developed_area_m2",
    "area_to_develop_m2",
    "invested_yuan",
    "total_investment_yuan",
)
STALLED_EVIDENCE = (
    "started_date",
    "developed_area_m2",
    "area_to_develop_m2",
    "invested_yuan",
    "total_investment_yuan",
    "suspended_since",
)
CONSEQUENCE_EVIDENCE = (
    "idle_since",
    "idle_days",
    "consequence",
    "land_price_yuan",
    "idle_fee_yuan",
)


def idle_parcels(ctx: Context) -> ir.Table:
    """Every parcel with both idle verdicts, ``idle`` (either), the figures missing where
    ``idle`` or ``not_started`` is unknown (``idle_missing``, ``not_started_missing``), and the
    consequence reached; with the readings they rest on (``started``, ``unrecorded``: no
    record read as unknown, ``developed_little``, ``start_missing``: what whether it started
    lacks) and the agreed and actual completion dates, which monitoring reads. A parcel
    without a construction record on or before the as-of date has not started, or is not
    judged, as the parameter ``idle.without_construction_record`` reads it."""
    return ctx.once("idle", _idle_parcels)


def _idle_parcels(ctx: Context) -> ir.Table:
    p = ctx.parameters
    after = p.whole("idle.after_years")
    parcels = ctx.facts["parcels"].select("parcel_id", "land_use", "area_m2")
    joined = attach(
        attach(parcels, land_contract(ctx), "parcel_id"), latest_construction(ctx), "parcel_id"
    )
    t = joined.select(
        "parcel_id",
        "land_use",
        "area_m2",
        "agreed_start_date",
        "agreed_completion_date",
        "land_price_yuan",
        "total_investment_yuan",
        "committed_investment_per_mu_yuan",
        "record_as_of",
        "started_date",
        "developed_area_m2",
        "area_to_develop_m2",
        "invested_yuan",
        "suspended_since",
        "completed_date",
    )
    as_of = ctx.day
    started = t.started_date.notnull() & (t.started_date <= as_of)
    unrecorded = t.record_as_of.isnull() & (p.text(WITHOUT_RECORD) == "unknown")
    started = ibis.ifelse(unrecorded, ibis.null("boolean"), started)
    little = below_share(
        t.developed_area_m2, t.area_to_develop_m2, p.number("idle.developed_share")
    ) | below_share(t.invested_yuan, t.total_investment_yuan, p.number("idle.invested_share"))
    t = t.mutate(
        started=started,
        unrecorded=unrecorded,
        developed_little=little,
        not_started=(as_of >= years_after(t.agreed_start_date, after)) & ~started,
        stalled=started
        & t.suspended_since.notnull()
        & (as_of >= years_after(t.suspended_since, after))
        & little,
    )
    not_started_missing = names_of_missing(
        missing_among(t, ("agreed_start_date",)),
        ibis.ifelse(unrecorded, "record_as_of", ibis.null("string")),
    )
    t = t.mutate(
        idle=t.not_started | t.stalled,
        start_missing=not_started_missing,
        not_started_missing=ibis.ifelse(
            t.not_started.isnull(), not_started_missing, ibis.null("string")
        ),
        idle_missing=names_of_missing(
            ibis.ifelse(t.not_started.isnull(), not_started_missing, ibis.null("string")),
            ibis.ifelse(t.stalled.isnull(), missing_among(t, STALLED_INPUTS), ibis.null("string")),
        ),
        idle_since=ibis.cases(
            (t.not_started, t.agreed_start_date),
            (t.stalled, t.suspended_since),
            else_=ibis.null("date"),
        ),
    )
    revoked = as_of >= years_after(t.idle_since, p.whole("idle.revocation_after_years"))
    fee_due = as_of >= years_after(t.idle_since, p.whole("idle.fee_after_years"))
    fee_share = p.number("idle.fee_share")
    return t.mutate(
        idle_days=(as_of - t.idle_since).cast("int64"),
        consequence=ibis.cases(
            (revoked, "revocation"), (fee_due, "idle_fee"), else_=ibis.null("string")
        ),
        idle_fee_yuan=ibis.ifelse(
            fee_due,
            t.land_price_yuan * fee_share.numerator / fee_share.denominator,
            ibis.null("float64"),
        ),
    )


@formula("idle/not-started", parameters=PARAMETERS)
def not_started(ctx: Context) -> Judgement:
    """Not started, and the as-of date at least a year after the agreed start date."""
    t = idle_parcels(ctx)
    return Judgement(
        table=t.mutate(subject_id=t.parcel_id, fires=t.not_started, key=ibis.null("boolean")),
        evidence=(*NOT_STARTED_EVIDENCE, *CONSEQUENCE_EVIDENCE),
        inputs=("agreed_start_date",),
        subject_type=SubjectType.PARCEL,
        missing=t.not_started_missing,
    )


@formula("idle/stalled", parameters=PARAMETERS)
def stalled(ctx: Context) -> Judgement:
    """Started, developed < 1/3 or invested < 25 %, and suspended at least a year."""
    t = idle_parcels(ctx)
    return Judgement(
        table=t.mutate(subject_id=t.parcel_id, fires=t.stalled, key=ibis.null("boolean")),
        evidence=(*STALLED_EVIDENCE, *CONSEQUENCE_EVIDENCE),
        inputs=STALLED_INPUTS,
        subject_type=SubjectType.PARCEL,
    )
