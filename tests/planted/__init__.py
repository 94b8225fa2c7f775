"""The planted rule cases: the tests' own data on both sides of every identification rule's
thresholds, added to a demo city.

The demo city (:func:`mujun.demo.generate`) is a plausible city and nothing else. The tests
that check each rule at its thresholds add two scenario counties to it — 规则样例一区 (330191)
and 规则样例二区 (330192) under 杭州市 — whose subjects are indexed by rule id in
:data:`SCENARIOS` (:mod:`.scenarios`, built with :mod:`.planting`).

>>> tables = planted_city(enterprises=300, seed=3)   # a demo city plus the planted cases
>>> [case.subject_id for case in SCENARIOS["tonglu/low"]][:1]  # doctest: +SKIP
"""

import pyarrow as pa

from mujun.demo import generate
from tests.planted.planting import Case
from tests.planted.scenarios import SCENARIOS, planted_tables, with_planted_cases

__all__ = ["SCENARIOS", "Case", "planted_city", "planted_tables", "with_planted_cases"]


def planted_city(*, enterprises: int, seed: int) -> dict[str, pa.Table]:
    """The demo city of ``enterprises`` enterprises and ``seed`` with the planted cases."""
    return with_planted_cases(generate(enterprises=enterprises, seed=seed))
