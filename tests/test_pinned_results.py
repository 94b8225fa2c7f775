"""What mujun finds and grades in a demo city, pinned: work on speed (issue 14) must leave every
finding, its 重点 flag and evidence, every unjudged subject, and every score (to a millionth of
a point), rank and grade as they were (pinned at commit 3b1b053). The city is imported and
judged end to end from the records database, on SQLite and on PostgreSQL.

A change of a rule's reading, of a profile or of the demo data changes these pins on purpose:
set them anew (the values are printed on failure) and say why in the commit.
"""

import datetime as dt
import hashlib
from collections import Counter
from pathlib import Path

import pyarrow as pa
from sqlalchemy import Engine

from mujun.demo import generate
from mujun.evaluation.service import evaluate_and_keep
from mujun.identification.service import identify_and_keep
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.importer import import_data_set
from mujun.policy.profiles import load_profile

AS_OF = dt.date(2025, 12, 31)
YEAR = 2025

FOUND = {
    "idle/not-started": (23, 0),
    "idle/stalled": (22, 0),
    "ankang/low/1": (31, 0),
    "ankang/low/2": (41, 0),
    "ankang/low/3": (46, 0),
    "ankang/low/4": (59, 0),
    "ankang/low/5": (668, 369),
    "ankang/building/1": (198, 194),
    "ankang/building/2": (757, 0),
    "ankang/abnormal/1": (0, 0),
    "ankang/abnormal/2": (6, 0),
    "ankang/abnormal/3": (19, 0),
    "ankang/abnormal/4": (50, 0),
    "ankang/abnormal/5": (5, 0),
}
"""Per rule of ``ankang-2024``: findings and key findings."""
FINDINGS_DIGEST = "02dd6ca2b9f344be9f676073d9e98df48c047450eec8f23c7fea150d8e39869e"
UNJUDGED_DIGEST = "5f714a3844b324ca020a98e999cea730f4cff22d0fff1a98a727fe5464c9cb7a"
GRADES = {"A": 123, "B": 847, "C": 234, "D": 64}
GRADES_DIGEST = "c03c209ba74615335564c4cc55b3caaa63c86e44cd92853ec10a81764c1fd083"


def _digest(rows: pa.Table, columns: list[str]) -> str:
    """SHA-256 over the rows' ``columns``, one line each, in the rows' order."""
    digest = hashlib.sha256()
    for row in rows.select(columns).to_pylist():
        digest.update(repr([row[c] for c in columns]).encode() + b"\n")
    return digest.hexdigest()


def test_a_demo_city_is_judged_and_graded_as_pinned(engine: Engine, tmp_path: Path) -> None:
    write_csv_folder(tmp_path / "city", generate(enterprises=1_500, seed=11))
    assert import_data_set(engine=engine, path=tmp_path / "city", actor="test").committed

    kept = identify_and_keep(
        engine=engine, profile=load_profile("ankang-2024"), as_of=AS_OF, actor="test"
    )
    findings, unjudged = kept.identification.findings, kept.identification.unjudged
    found = {
        rule: (tally.found, tally.key) for rule, tally in kept.identification.tallies().items()
    }
    graded = evaluate_and_keep(
        engine=engine, profile=load_profile("huangyan-2022"), year=YEAR, actor="test"
    ).evaluation.results
    results = graded.append_column(
        "score_rounded", pa.array([round(s, 6) for s in graded["score"].to_pylist()])
    )

    assert (
        found,
        _digest(findings, [*findings.column_names]),
        _digest(unjudged, [*unjudged.column_names]),
        dict(Counter(graded["grade"].to_pylist())),
        _digest(results, ["credit_code", "cohort", "rank", "score_rounded", "grade"]),
    ) == (FOUND, FINDINGS_DIGEST, UNJUDGED_DIGEST, GRADES, GRADES_DIGEST)
