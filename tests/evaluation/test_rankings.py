"""Per-mu figures of groups of graded enterprises: one rule (analytics.land.group_per_mu),
whether the grades were just evaluated (mujun rankings) or read from a kept run (the cockpit,
an enterprise's portrait); the two agree on the same run."""

from pathlib import Path
from typing import Any

import ibis
import pyarrow as pa
import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from mujun.analytics.land import group_per_mu
from mujun.demo import generate
from mujun.evaluation.rankings import group_figures, kept_tax_by_park, kept_tax_by_year
from mujun.evaluation.service import evaluate_and_keep, load_evaluation_facts
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.policy.profiles import load_profile

YEAR = 2025


def _whole(query: Any) -> Any:
    return query


def test_a_group_counts_the_members_with_the_figure_and_land() -> None:
    members = ibis.memtable(
        pa.table(
            {
                "park": ["P", "P", "P", "P", "Q"],
                "land_mu": [10.0, 30.0, 5.0, 0.0, 2.0],
                "tax_yuan": [100_000.0, 500_000.0, None, 70_000.0, None],
            }
        )
    )
    found = {
        row["park"]: row
        for row in group_per_mu(members, "park", amounts=["tax_yuan"]).to_pyarrow().to_pylist()
    }
    assert (found["P"]["enterprises"], found["P"]["land_mu"]) == (4, 45.0)
    assert (found["P"]["tax_enterprises"], found["P"]["tax_land_mu"]) == (2, 40.0)
    assert found["P"]["tax_per_mu_yuan"] == 15_000.0  # 600,000 / 40, never a mean of ratios
    assert found["Q"]["tax_enterprises"] == 0 and found["Q"]["tax_per_mu_yuan"] is None


def test_a_kept_run_and_its_evaluation_agree(engine: Engine, tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "city", generate(enterprises=120, seed=7))
    assert import_data_set(engine=engine, path=tmp_path / "city", actor="test").committed
    kept = evaluate_and_keep(
        engine=engine, profile=load_profile("huangyan-2022"), year=YEAR, actor="test"
    )
    facts = load_evaluation_facts(engine)
    try:
        evaluated = group_figures(facts, kept.evaluation, "park").to_pylist()
    finally:
        facts.close()
    with Session(engine) as session:
        parks = dict(kept_tax_by_park(session=session, run=kept.run_id, within=_whole))
        ((year, whole),) = kept_tax_by_year(session=session, years=5, within=_whole)
    taxed = {g["group"]: g for g in evaluated if g["tax_per_mu_yuan"] is not None and g["group"]}
    assert parks and set(parks) == set(taxed)
    for park, tax in parks.items():
        assert tax.tax_per_mu_yuan == pytest.approx(taxed[park]["tax_per_mu_yuan"], rel=1e-9)
        assert tax.land_mu <= taxed[park]["land_mu"] + 1e-9
    assert year == YEAR and whole.run == kept.run_id
    land = sum(g["land_mu"] for g in evaluated)
    assert whole.land_mu <= land + 1e-9 and whole.enterprises <= sum(
        g["enterprises"] for g in evaluated
    )
