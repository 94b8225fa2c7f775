"""A plan's target, judged at the exit evaluation (workflow.md §1: the case closes only if "any
plan target -- e.g. an agreed per-mu tax -- is met").

The target is a per-mu tax (元/亩) agreed in the plan (一地一策). It is judged with the product's
one definition of an enterprise's per-mu tax (rules.md "Per-mu figures",
:mod:`mujun.analytics.land`): the enterprise's net tax of the year over its land, unknown
without land, compared exactly (:func:`~mujun.analytics.land.per_mu_below`), as the
low-efficiency rules compare theirs.

- **The year** is "the year" of the rules (:func:`~mujun.analytics.logic.the_year`): the most
  recent calendar year that ends on or before the evaluation date -- 2025 for an evaluation on
  2026-03-10 (and on 2026-12-31, 2026).
- **Whose** per-mu tax: for an enterprise case, the enterprise's. For a parcel case, that of
  every enterprise holding the parcel (:func:`~mujun.analytics.land.holdings`: its
  ``holder_credit_code``, or an ``owned`` occupancy row), each on all its land: the rules on
  parcels judge their holders' per-mu tax the same way and carry it to the parcels they hold
  (the product computes no per-mu tax of a parcel itself). For a building case, the holders of
  the parcel it stands on. With several holders, every one must reach the target.
- **Unknown is never met**: one holder below the target fails it; otherwise a holder without the
  year's tax or without land, or a parcel without a holder, leaves it unjudged.

A target that fails is kept in the exit verdict beside the criteria that still fire, under
:data:`TAX_PER_MU_TARGET`, with its figures; one that cannot be judged, with what is missing.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from mujun.analytics.facts import Facts
from mujun.analytics.land import area_mu, enterprise_land, holdings, per_mu, per_mu_below
from mujun.analytics.logic import the_year
from mujun.analytics.tables import attach
from mujun.identification.evidence import evidence_label
from mujun.interchange.problems import Language
from mujun.policy.parameters import Unit
from mujun.policy.profiles import SubjectType
from mujun.records import Case

TAX_PER_MU_TARGET = "plan/tax_per_mu"
"""The name the plan's agreed per-mu tax is judged under in an exit verdict."""
NO_HOLDER = "holder"
"""What is missing when no enterprise holds the parcel."""
WAN = Unit.WAN_YUAN_PER_MU.in_yuan
FIGURES = ("credit_code", "name", "tax_yuan", "land_mu", "tax_per_mu_yuan")
"""What the evidence of a target not reached says of each holder below it."""
DIGITS = (2, 4, 6)
"""Decimals of 万元 a figure is written with: two, or more where two would read alike."""


@dataclass(frozen=True)
class TargetJudgement:
    """The target judged: the figures of the holders below it (none when it is met), or the
    figures missing (comma-separated, as a rule's unjudged subject names them)."""

    below: dict[str, Any] | None
    missing: str | None


def judge_tax_per_mu(facts: Facts, case: Case, target_yuan: float, on: dt.date) -> TargetJudgement:
    """Whether the subject of ``case`` reaches ``target_yuan`` per mu in the year of ``on``."""
    year = the_year(on)
    rows = _figures(facts, _holders(facts, case), year, target_yuan)
    below = [row for row in rows if row["below"]]
    if below:
        return TargetJudgement(
            below={
                "year": year,
                "tax_per_mu_target_yuan": target_yuan,
                "enterprises": [{key: row[key] for key in FIGURES} for row in below],
            },
            missing=None,
        )
    missing = sorted({key for row in rows for key in _missing(row, year)})
    if not rows:
        missing = [NO_HOLDER]
    return TargetJudgement(below=None, missing=",".join(missing) or None)


def _holders(facts: Facts, case: Case) -> ir.Table:
    """``credit_code`` of every enterprise whose per-mu tax is judged."""
    if case.subject_type == SubjectType.ENTERPRISE:
        return ibis.memtable(pa.table({"credit_code": pa.array([case.subject_id], pa.string())}))
    held = holdings(facts)
    if case.subject_type == SubjectType.BUILDING:
        b = facts["buildings"]
        held = held.join(
            b.filter(b.building_id == case.subject_id).select("parcel_id"), "parcel_id"
        )
    else:
        held = held.filter(held.parcel_id == case.subject_id)
    return held.select("credit_code").distinct()


def _figures(
    facts: Facts, holders: ir.Table, year: int, target_yuan: float
) -> list[dict[str, Any]]:
    annual = facts["annual_metrics"]
    tax = annual.filter(annual.year == year).select("credit_code", "tax_yuan")
    names = facts["enterprises"].select("credit_code", "name")
    t = attach(holders, names, "credit_code")
    t = attach(attach(t, enterprise_land(facts), "credit_code"), tax, "credit_code")
    line = Fraction(str(target_yuan))
    rows: list[dict[str, Any]] = (
        t.select(
            "credit_code",
            "name",
            "tax_yuan",
            "land_m2",
            land_mu=area_mu(t.land_m2),
            tax_per_mu_yuan=per_mu(t.tax_yuan, t.land_m2),
            below=per_mu_below(t.tax_yuan, t.land_m2, line),
        )
        .order_by("credit_code")
        .to_pyarrow()
        .to_pylist()
    )
    return rows


def _missing(row: Mapping[str, Any], year: int) -> list[str]:
    missing = []
    if row["tax_yuan"] is None:
        missing.append(f"tax_yuan_{year}")
    if row["land_m2"] is None or row["land_m2"] <= 0:
        missing.append("land_m2")
    return missing


# -- in words ------------------------------------------------------------------------------------


def unmet_words(below: Mapping[str, Any], lang: Language) -> str:
    """A target not reached, in 万元/亩 as notices write it: ``2025年亩均税收 5.20 万元/亩
    （甲公司），未达到方案约定的 6.00 万元/亩``; with enough decimals that the two figures never
    read alike."""
    target = float(below["tax_per_mu_target_yuan"])
    year = below["year"]
    parts = []
    for e in below["enterprises"]:
        actual = float(e["tax_per_mu_yuan"])
        digits = next((d for d in DIGITS if _wan(actual, d) != _wan(target, d)), DIGITS[-1])
        who = e["name"] or e["credit_code"]
        if lang == "zh":
            parts.append(
                f"{year}年亩均税收 {_wan(actual, digits)} 万元/亩（{who}），"
                f"未达到方案约定的 {_wan(target, digits)} 万元/亩"
            )
        else:
            parts.append(
                f"tax per mu in {year} {_wan(actual, digits)} (10k yuan/mu, {who}) is below "
                f"the {_wan(target, digits)} the plan agreed"
            )
    return ("；" if lang == "zh" else "; ").join(parts)


def unknown_words(missing: str, lang: Language) -> str:
    """A target that cannot be judged, with what is missing, by name."""
    names = ("、" if lang == "zh" else ", ").join(
        _missing_label(key, lang) for key in missing.split(",") if key
    )
    if lang == "zh":
        return f"方案约定的亩均税收无法判定（缺少{names}）"
    return f"the per-mu tax the plan agreed cannot be judged (missing {names})"


def _missing_label(key: str, lang: Language) -> str:
    if key == NO_HOLDER:
        return "宗地的土地使用权人" if lang == "zh" else "the parcel's holder"
    return evidence_label(key, lang)


def _wan(yuan: float, digits: int) -> str:
    return f"{yuan / WAN:,.{digits}f}"
