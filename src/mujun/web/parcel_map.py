"""挂图作战: parcels for the map, only those the view needs.

The first map request builds an index of every parcel's shape (Shapely's STRtree) from the
records; each request then takes the parcels within the view's bounding box and the account's
area, simplified to the view's zoom, at most :data:`MOST_FEATURES` of them. The index is kept
until the data change (another database, a new import or change, another parcel count).
Parcels are coloured by the category the latest identification run found them in.
"""

import json
import threading
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, HTTPException, Query
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from mujun.records import Change, DataImport, Finding, Parcel
from mujun.units import m2_to_mu
from mujun.web.dependencies import Current, Database, gate
from mujun.web.findings import latest_run
from mujun.web.geography import county_of_each
from mujun.web.permissions import Action

router = APIRouter(prefix="/api/map", tags=["map"])
MOST_FEATURES = 5_000
CATEGORY_ORDER = ("non_industrial_use", "idle_land", "low_efficiency_land")
"""Where a parcel is found in several land categories, the first of these colours it."""


@dataclass(frozen=True)
class ParcelIndex:
    version: tuple[str, int | None, int | None, int]
    parcel_ids: np.ndarray[Any, Any]
    counties: np.ndarray[Any, Any]
    areas_m2: np.ndarray[Any, Any]
    shapes: np.ndarray[Any, Any]
    tree: shapely.STRtree


_INDEX: dict[str, ParcelIndex] = {}
_LOCK = threading.Lock()


def parcel_index(db: Session) -> ParcelIndex:
    """The index of the current data, built on first use and after each import."""
    version = (
        str(db.get_bind().engine.url),
        db.scalar(select(func.max(DataImport.id))),
        db.scalar(select(func.max(Change.id))),
        db.scalar(select(func.count()).select_from(Parcel)) or 0,
    )
    with _LOCK:
        cached = _INDEX.get("parcels")
        if cached is not None and cached.version == version:
            return cached
        rows = db.execute(
            select(Parcel.parcel_id, Parcel.jurisdiction_code, Parcel.area_m2, Parcel.geometry_wkt)
            .where(Parcel.geometry_wkt.is_not(None))
            .order_by(Parcel.parcel_id)
        ).all()
        county_of = county_of_each(db)
        shapes = shapely.from_wkt([r.geometry_wkt for r in rows], on_invalid="ignore")
        index = ParcelIndex(
            version=version,
            parcel_ids=np.array([r.parcel_id for r in rows], dtype=object),
            counties=np.array(
                [county_of.get(r.jurisdiction_code or "") for r in rows], dtype=object
            ),
            areas_m2=np.array([r.area_m2 for r in rows], dtype=float),
            shapes=shapes,
            tree=shapely.STRtree(shapes),
        )
        _INDEX["parcels"] = index
        return index


@router.get("/parcels", summary="地图上的宗地 / parcels in view (GeoJSON)")
def parcels_in_view(
    current: Annotated[Current, Depends(gate(Action.READ))],
    db: Database,
    bbox: Annotated[str, Query(description="minLon,minLat,maxLon,maxLat（CGCS2000）")],
    zoom: Annotated[float, Query(ge=0, le=24)] = 12,
) -> dict[str, Any]:
    """The parcels of the account's area within the box, simplified for the zoom."""
    box = _box(bbox)
    index = parcel_index(db)
    hits = _in_scope(index, current, index.tree.query(shapely.box(*box), predicate="intersects"))
    truncated = len(hits) > MOST_FEATURES
    hits = np.sort(hits)[:MOST_FEATURES]
    tolerance = 360 / (256 * 2**zoom) / 2  # about half a screen pixel, in degrees
    shapes = shapely.simplify(index.shapes[hits], tolerance, preserve_topology=True)
    categories = _categories(db, [str(p) for p in index.parcel_ids[hits]])
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(shape)),
            "properties": {
                "parcel_id": parcel_id,
                "county_code": county,
                "area_mu": round(m2_to_mu(float(area)), 2),
                "category": categories.get(parcel_id, "none"),
            },
        }
        for parcel_id, county, area, shape in zip(
            index.parcel_ids[hits], index.counties[hits], index.areas_m2[hits], shapes, strict=True
        )
    ]
    return {"type": "FeatureCollection", "features": features, "truncated": truncated}


def _box(text: str) -> tuple[float, float, float, float]:
    wrong = HTTPException(
        status_code=422, detail="bbox 应为 最小经度,最小纬度,最大经度,最大纬度 / bbox is W,S,E,N"
    )
    try:
        west, south, east, north = (float(part) for part in text.split(","))
    except ValueError:
        raise wrong from None
    if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
        raise wrong
    return west, south, east, north


def _categories(db: Session, parcel_ids: list[str]) -> dict[str, str]:
    """Each parcel's land category in the latest run (the first of :data:`CATEGORY_ORDER`)."""
    run = latest_run(db)
    if run is None or not parcel_ids:
        return {}
    rank = case(
        *((Finding.category == category, index) for index, category in enumerate(CATEGORY_ORDER))
    )
    found = db.execute(
        select(Finding.subject_id, func.min(rank))
        .where(
            Finding.run_id == run.id,
            Finding.subject_type == "parcel",
            Finding.subject_id.in_(parcel_ids),
            Finding.category.in_(CATEGORY_ORDER),
        )
        .group_by(Finding.subject_id)
    ).all()
    return {parcel_id: CATEGORY_ORDER[best] for parcel_id, best in found}


@router.get("/extent", summary="可见范围 / the extent of one's parcels")
def extent(
    current: Annotated[Current, Depends(gate(Action.READ))], db: Database
) -> dict[str, list[float] | None]:
    """The bounding box of the parcels of the account's area (None without any)."""
    index = parcel_index(db)
    mine = _in_scope(index, current, np.arange(len(index.parcel_ids)))
    if len(mine) == 0:
        return {"bbox": None}
    return {"bbox": [float(v) for v in shapely.total_bounds(index.shapes[mine])]}


@router.get("/parcels/{parcel_id}", summary="宗地位置 / where one parcel is")
def parcel_bounds(
    parcel_id: str, current: Annotated[Current, Depends(gate(Action.READ))], db: Database
) -> dict[str, Any]:
    """One parcel's bounding box, to fly the map to it; refused outside one's area."""
    index = parcel_index(db)
    where = np.flatnonzero(index.parcel_ids == parcel_id)
    if len(where) == 0:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    current.scope.require(index.counties[where[0]], f"宗地 {parcel_id}")
    return {
        "parcel_id": parcel_id,
        "bbox": [float(v) for v in shapely.bounds(index.shapes[where[0]])],
    }


def _in_scope(
    index: ParcelIndex, current: Current, hits: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    if current.scope.counties is None:
        return hits
    return hits[np.isin(index.counties[hits], list(current.scope.counties))]
