"""A kept plan is replayed only as it was kept: one that cannot be read is compiled again, and
a statement that reads a variable the run did not set is refused rather than read as null."""

from collections.abc import Iterator
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa
import pytest

from mujun.analytics.facts import Facts, facts_from_arrow
from mujun.analytics.plans import Plan, PlanError, Statement, plan_key, read_plan


@pytest.fixture
def facts() -> Iterator[Facts]:
    facts = facts_from_arrow(
        {"enterprises": pa.table({"credit_code": ["A", "B"], "name": ["甲", "乙"]})}
    )
    yield facts
    facts.close()


def enterprises(facts: Facts) -> ir.Table:
    return facts["enterprises"].select("credit_code").order_by("credit_code")


def test_a_plan_is_kept_and_read_back(plans: Path, facts: Facts) -> None:
    key = plan_key("test", {"what": "enterprises"})
    with facts.planned(key):
        assert facts.read("codes", lambda: enterprises(facts))["credit_code"].to_pylist() == [
            "A",
            "B",
        ]
    [kept] = read_plan(key) or []
    assert (kept.kind, kept.name) == ("query", "codes")
    with facts.planned(key):
        replayed = facts.read("codes", lambda: pytest.fail("a replayed query is not built"))
    assert replayed["credit_code"].to_pylist() == ["A", "B"]


@pytest.mark.parametrize("text", ["not json", '{"format": 0, "statements": []}', "[]"])
def test_a_plan_that_cannot_be_read_is_compiled_again(plans: Path, facts: Facts, text: str) -> None:
    key = plan_key("test", {"what": "enterprises"})
    (plans / f"{key}.json").write_text(text)
    assert read_plan(key) is None
    with facts.planned(key):
        assert facts.read("codes", lambda: enterprises(facts)).num_rows == 2
    assert read_plan(key) is not None


def test_a_statement_reading_a_variable_the_run_did_not_set_is_refused(facts: Facts) -> None:
    facts.plan = Plan(
        key="test", kept=[Statement("query", "day", "SELECT getvariable('nowhere') AS day")]
    )
    with pytest.raises(PlanError, match="nowhere"):
        facts.read("day", lambda: pytest.fail("a replayed query is not built"))


def test_a_plan_that_does_not_follow_the_run_is_refused(facts: Facts) -> None:
    facts.plan = Plan(key="test", kept=[Statement("query", "other", "SELECT 1")])
    with pytest.raises(PlanError, match="other"):
        facts.read("codes", lambda: enterprises(facts))
