"""Where a warning goes (workflow.md §3): to the county its subject lies in and to the
departments concerned, named by the duty table's codes (:mod:`mujun.policy.duties`); a
feed-missing warning to the department whose figures stopped. One not received in time
escalates to the city above the county."""

from collections.abc import Mapping

import ibis
import ibis.expr.types as ir
from sqlalchemy import select
from sqlalchemy.orm import Session

from mujun.policy.duties import department
from mujun.records import Jurisdiction

ROUTES: Mapping[str, tuple[str, ...]] = {
    "monitor/electricity-drop": ("power",),
    "monitor/electricity-stopped": ("power",),
    "monitor/sales-drop": ("tax",),
    "monitor/tax-zero": ("tax",),
    "monitor/loan-overdue": ("finance_regulator",),
    "monitor/loan-withdrawn": ("finance_regulator",),
    "monitor/litigation": ("court",),
    "monitor/start-due": ("natural_resources", "commerce"),
    "monitor/idle-imminent": ("natural_resources", "commerce"),
    "monitor/completion-overdue": ("natural_resources", "commerce"),
    "monitor/feed-missing": (),
}
"""The departments concerned by each signal (electricity: the power company; loans: the
financial regulator; sales and tax: the tax bureau; litigation: the court; land: natural
resources and commerce). A feed-missing warning goes to the department it is about."""

_UNKNOWN = sorted({code for codes in ROUTES.values() for code in codes if department(code) is None})
if _UNKNOWN:
    raise ValueError(f"routes name departments the duty table lacks: {', '.join(_UNKNOWN)}")


def departments_of(signal_id: str) -> tuple[str, ...]:
    return ROUTES[signal_id]


def routed_to(
    signal_id: str, subject_id: ir.StringValue, county_code: ir.StringValue
) -> ir.ArrayValue:
    """The codes a warning of ``signal_id`` goes to: the subject's county (where it has one)
    and the departments concerned; for a department's own warning, that department."""
    concerned = [ibis.literal(code) for code in departments_of(signal_id)]
    if not concerned:
        return ibis.array([subject_id])
    return ibis.ifelse(
        county_code.isnull(), ibis.array(concerned), ibis.array([county_code, *concerned])
    )


def city_of(db: Session, county_code: str | None) -> str | None:
    """The city a county belongs to (its parent of level ``city``), where a warning not
    received in time escalates."""
    if county_code is None:
        return None
    parent = db.scalar(select(Jurisdiction.parent_code).where(Jurisdiction.code == county_code))
    if parent is None:
        return None
    level = db.scalar(select(Jurisdiction.level).where(Jurisdiction.code == parent))
    return parent if level == "city" else None
