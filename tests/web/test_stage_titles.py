"""A job's stage by name, never a code: the table read, the rule or signal judged, the cohort
graded."""

import pytest

from mujun.interchange import schema
from mujun.web.formatting import TABLES_EN, stage_titles


@pytest.mark.parametrize(
    ("stage", "profile", "titles"),
    [
        ("read parcels", None, ("读取「宗地」", "reading parcels")),
        ("read annual_metrics", None, ("读取「年度指标」", "reading annual figures")),
        ("read", None, ("数据已读取", "records read")),
        (
            "idle/not-started",
            "cn-idle-2012",
            (
                "判定：超过约定动工开发日期满一年未动工开发",
                "judging: Not started a year or more after the agreed start date",
            ),
        ),
        (
            "monitor/tax-zero",
            "yancheng-2021",
            ("判定：连续零税收", "judging: No tax paid, months in a row"),
        ),
        (
            "above_scale",
            "huangyan-2022",
            ("评价：规上工业企业", "grading: Above-scale industrial enterprises"),
        ),
        ("findings", None, ("汇总认定结果", "collecting the findings")),
        ("above_scale", None, ("above_scale", "above_scale")),
        (None, None, None),
    ],
)
def test_a_stage_is_named(
    stage: str | None, profile: str | None, titles: tuple[str, str] | None
) -> None:
    assert stage_titles(stage, profile) == titles


def test_every_table_has_an_english_name() -> None:
    """No table of the records is shown to an English reader by its code (annual_metrics)."""
    assert set(TABLES_EN) == {spec.name for spec in schema.tables()}
    assert all("_" not in title for title in TABLES_EN.values())
