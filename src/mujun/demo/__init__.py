"""The demo data set: a reproducible synthetic province, city or county in the interchange
format — real Zhejiang counties, towns and parks, and enterprises with plausible names, land,
buildings, figures and troubles. It holds nothing planted: the tests add their own rule cases
(``tests/planted``).

>>> tables = generate(enterprises=2000, seed=1)   # one pa.Table per interchange table
>>> summary(tables)["enterprises"]                # doctest: +SKIP
"""

from mujun.demo.calendar import DEMO_AS_OF
from mujun.demo.generate import generate, summary

__all__ = ["DEMO_AS_OF", "generate", "summary"]
