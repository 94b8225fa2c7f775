"""The demo data set: a reproducible synthetic province, city or county in the interchange
format, with planted cases on both sides of every identification rule's thresholds.

>>> tables = generate(enterprises=2000, seed=1)   # one pa.Table per interchange table
>>> summary(tables)["enterprises"]                # doctest: +SKIP
"""

from mujun.demo.calendar import DEMO_AS_OF
from mujun.demo.generate import generate, summary
from mujun.demo.scenarios import SCENARIOS, Case

__all__ = ["DEMO_AS_OF", "SCENARIOS", "Case", "generate", "summary"]
