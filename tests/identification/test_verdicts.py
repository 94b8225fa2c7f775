"""A subject judged through several rows gets one verdict, chosen the same way on every run."""

import ibis
import pyarrow as pa

from mujun.identification.engine import verdicts
from mujun.identification.judgement import Judgement
from mujun.policy.profiles import SubjectType


def test_a_subject_is_judged_by_its_first_firing_row_else_by_its_first_unknown_one() -> None:
    rows = pa.table(
        {
            "subject_id": ["P1", "P1", "P1", "P2", "P2", "P2", "P3"],
            "fires": [False, True, True, None, None, False, False],
            "key": [None, False, True, None, None, None, None],
            "area_m2": [1.0, 20.0, 10.0, None, 5.0, 6.0, 7.0],
            "idle_days": [None, 800, 900, 700, None, 100, 100],
        }
    )
    judgement = Judgement(
        table=ibis.memtable(rows),
        evidence=("area_m2", "idle_days"),
        inputs=("area_m2", "idle_days"),
        subject_type=SubjectType.PARCEL,
    )
    found = ibis.duckdb.connect().to_pyarrow(verdicts(judgement).order_by("subject_id"))
    assert found.select(["subject_id", "fires", "key", "evidence", "missing"]).to_pylist() == [
        # Of two firing rows, the first by evidence (as JSON text: "10.0" before "20.0")
        {
            "subject_id": "P1",
            "fires": True,
            "key": True,
            "evidence": '{"area_m2":10.0,"idle_days":900}',
            "missing": None,
        },
        # Of two unknown rows, the first by the figures missing; no evidence is written
        {
            "subject_id": "P2",
            "fires": None,
            "key": False,
            "evidence": None,
            "missing": "area_m2",
        },
        # P3 never fires: left out
    ]
