"""一地一档: everything known about one parcel on one page, each table as the interchange format
names its columns (in Chinese), the holder's figures over the years, the parcel's findings in
the latest run, and the parcel's change history."""

import datetime as dt
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from pydantic import BaseModel
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from mujun.interchange.schema import ColumnSpec, table
from mujun.records import AnnualMetric, Change, Finding, Parcel
from mujun.records.changes import KEY_SEPARATOR
from mujun.web.dependencies import Current, Database, gate
from mujun.web.findings import latest_run
from mujun.web.geography import county_of_each
from mujun.web.permissions import Action

router = APIRouter(prefix="/api/parcels", tags=["parcels"])
CHART_FIGURES = ("tax_yuan", "revenue_yuan")


class Section(BaseModel):
    title: str
    headers: list[str]
    rows: list[list[str]]


class ParcelFile(BaseModel):
    parcel_id: str
    county_code: str | None
    sections: list[Section]
    years: list[int]
    """The holder's figures by year, for the chart: ``figures[name][i]`` is of ``years[i]``."""
    figures: dict[str, list[float | None]]
    findings: list[dict[str, Any]]
    history: list[dict[str, Any]]


@router.get("/{parcel_id}/file", response_model=ParcelFile, summary="一地一档 / parcel file")
def get_parcel_file(
    parcel_id: str, current: Annotated[Current, Depends(gate(Action.READ))], db: Database
) -> ParcelFile:
    """Everything about one parcel; refused (403) outside the account's area."""
    parcel = db.get(Parcel, parcel_id)
    if parcel is None:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    county = county_of_each(db).get(parcel.jurisdiction_code or "")
    current.scope.require(county, f"宗地 {parcel_id}")
    holder = parcel.holder_credit_code
    sections = [
        _section(db, "parcels", table("parcels").table.c.parcel_id == parcel_id),
        _section(db, "land_occupancy", table("land_occupancy").table.c.parcel_id == parcel_id),
        _section(db, "land_contracts", table("land_contracts").table.c.parcel_id == parcel_id),
        _section(db, "construction", table("construction").table.c.parcel_id == parcel_id),
        _section(db, "buildings", table("buildings").table.c.parcel_id == parcel_id),
    ]
    if holder is not None:
        sections.append(
            _section(db, "annual_metrics", table("annual_metrics").table.c.credit_code == holder)
        )
    years, figures = _figures(db, holder)
    return ParcelFile(
        parcel_id=parcel_id,
        county_code=county,
        sections=sections,
        years=years,
        figures=figures,
        findings=_findings(db, parcel_id),
        history=_history(db, parcel_id),
    )


def _section(db: Session, name: str, where: ColumnElement[bool]) -> Section:
    spec = table(name)
    rows = db.execute(select(spec.table).where(where)).mappings().all()
    return Section(
        title=spec.label_zh,
        headers=[column.label_zh for column in spec.columns],
        rows=[[_shown(column, row[column.name]) for column in spec.columns] for row in rows],
    )


def _shown(column: ColumnSpec, value: Any) -> str:
    """A value as a bureau reads it: codes by their Chinese name, 是/否, numbers grouped."""
    if value is None:
        return ""
    if column.field.choices is not None:
        try:
            return str(column.field.choices(value).label_zh)
        except ValueError:
            return str(value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _figures(db: Session, holder: str | None) -> tuple[list[int], dict[str, list[float | None]]]:
    if holder is None:
        return [], {}
    rows = (
        db.execute(
            select(AnnualMetric)
            .where(AnnualMetric.credit_code == holder)
            .order_by(AnnualMetric.year)
        )
        .scalars()
        .all()
    )
    return [r.year for r in rows], {
        name: [getattr(r, name) for r in rows] for name in CHART_FIGURES
    }


def _findings(db: Session, parcel_id: str) -> list[dict[str, Any]]:
    run = latest_run(db)
    if run is None:
        return []
    found = db.scalars(
        select(Finding).where(
            Finding.run_id == run.id,
            Finding.subject_type == "parcel",
            Finding.subject_id == parcel_id,
        )
    ).all()
    return [
        {
            "run": run.id,
            "criterion": f.criterion,
            "category": f.category,
            "key": f.key,
            "evidence": json.loads(f.evidence),
            "source": f.source,
        }
        for f in found
    ]


def _history(db: Session, parcel_id: str) -> list[dict[str, Any]]:
    """Changes of the parcel and of the records keyed by it (contracts by their own id are
    not), newest first."""
    changes = db.scalars(
        select(Change)
        .where(
            or_(
                (Change.table_name == "parcels") & (Change.object_key == parcel_id),
                Change.object_key.startswith(f"{parcel_id}{KEY_SEPARATOR}", autoescape=True),
            )
        )
        .order_by(Change.id.desc())
        .limit(200)
    ).all()
    return [
        {
            "at": c.changed_at.isoformat(timespec="seconds"),
            "actor": c.actor,
            "table": table(c.table_name).label_zh,
            "action": c.action,
            "reason": c.reason or "",
        }
        for c in changes
    ]
