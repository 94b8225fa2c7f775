"""一地一档: everything known about one parcel on one page, each table as the interchange format
names its columns (in Chinese), the holder's figures over the years, the parcel's findings in
the latest run, and the parcel's change history."""

import json
from typing import Any

import shapely
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel

from mujun.interchange.history import Entry, history_of
from mujun.interchange.schema import table
from mujun.records import Parcel
from mujun.web.dependencies import Database, Reader
from mujun.web.gate import require
from mujun.web.record_file import Section, annual_figures, findings_about, section

router = APIRouter(prefix="/api/parcels", tags=["parcels"])
CHART_FIGURES = ("tax_yuan", "revenue_yuan")


class ParcelFile(BaseModel):
    parcel_id: str
    county_code: str | None
    geometry: dict[str, Any] | None
    """Its shape as GeoJSON (CGCS2000 longitude and latitude), for the page's map."""
    sections: list[Section]
    years: list[int]
    """The holder's figures by year, for the chart: ``figures[name][i]`` is of ``years[i]``."""
    figures: dict[str, list[float | None]]
    findings: list[dict[str, Any]]
    history: list[Entry]


@router.get("/{parcel_id}/file", response_model=ParcelFile, summary="一地一档 / parcel file")
def get_parcel_file(parcel_id: str, current: Reader, db: Database) -> ParcelFile:
    """Everything about one parcel; refused (403) outside the account's area."""
    parcel = db.get(Parcel, parcel_id)
    if parcel is None:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    require(db, current.scope, Parcel, parcel_id)
    holder = parcel.holder_credit_code
    sections = [
        section(db, "parcels", table("parcels").table.c.parcel_id == parcel_id),
        section(db, "land_occupancy", table("land_occupancy").table.c.parcel_id == parcel_id),
        section(db, "land_contracts", table("land_contracts").table.c.parcel_id == parcel_id),
        section(db, "construction", table("construction").table.c.parcel_id == parcel_id),
        section(db, "buildings", table("buildings").table.c.parcel_id == parcel_id),
    ]
    if holder is not None:
        sections.append(
            section(db, "annual_metrics", table("annual_metrics").table.c.credit_code == holder)
        )
    years, figures = annual_figures(db, holder, CHART_FIGURES)
    return ParcelFile(
        parcel_id=parcel_id,
        county_code=parcel.county_code,
        geometry=_geojson(parcel.geometry_wkt),
        sections=sections,
        years=years,
        figures=figures,
        findings=findings_about(db, {"parcel": [parcel_id]}),
        history=history_of(db, "parcels", parcel_id),
    )


def _geojson(wkt: str | None) -> dict[str, Any] | None:
    if wkt is None:
        return None
    shape = shapely.from_wkt(wkt, on_invalid="ignore")
    return None if shape is None else dict(json.loads(shapely.to_geojson(shape)))
