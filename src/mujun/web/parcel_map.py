"""挂图作战: parcels for the map, only those the view needs.

An index of every parcel's shape (Shapely's STRtree) is built from the records when the
application starts, in the background (or by the first map request, if that comes first); each
request then takes the parcels within the view's bounding box and the account's
area, simplified to the view's zoom, at most :data:`MOST_FEATURES` of them. The index is kept
until the data change (another database, a new import or change, another parcel count).
Parcels are coloured by the category the latest identification run found them in, or by
the grade their holder took in the latest kept evaluation. A search by parcel id or enterprise
name lists the matching parcels of the account's area, to fly the map to one.
"""

import json
import logging
import threading
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel
from sqlalchemy import Engine, case, func, or_, select
from sqlalchemy.orm import Session

from mujun.records import Change, DataImport, Enterprise, EvaluationRun, Finding, Grade, Parcel
from mujun.units import m2_to_mu
from mujun.web.dependencies import Current, Database, gate
from mujun.web.findings import latest_run
from mujun.web.geography import codes_in, county_of_each
from mujun.web.permissions import Action

router = APIRouter(prefix="/api/map", tags=["map"])
logger = logging.getLogger(__name__)
MOST_FEATURES = 5_000
MOST_HITS = 20
CATEGORY_ORDER = ("non_industrial_use", "idle_land", "low_efficiency_land")
"""Where a parcel is found in several land categories, the first of these colours it."""


@dataclass(frozen=True)
class ParcelIndex:
    version: tuple[str, int | None, int | None, int]
    parcel_ids: np.ndarray[Any, Any]
    holders: np.ndarray[Any, Any]
    counties: np.ndarray[Any, Any]
    areas_m2: np.ndarray[Any, Any]
    shapes: np.ndarray[Any, Any]
    tree: shapely.STRtree
    position: dict[str, int]
    """Where each parcel id is in the arrays."""


_INDEX: dict[str, ParcelIndex] = {}
_LOCK = threading.Lock()


def build_index(engine: Engine) -> None:
    """Build the index ahead of the first map request (when the application starts); a
    failure is logged, and the first request tries again."""
    try:
        with Session(engine) as db:
            parcel_index(db)
    except Exception:
        logger.exception("building the map's parcel index failed")


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
            select(
                Parcel.parcel_id,
                Parcel.holder_credit_code,
                Parcel.jurisdiction_code,
                Parcel.area_m2,
                Parcel.geometry_wkt,
            )
            .where(Parcel.geometry_wkt.is_not(None))
            .order_by(Parcel.parcel_id)
        ).all()
        county_of = county_of_each(db)
        shapes = shapely.from_wkt([r.geometry_wkt for r in rows], on_invalid="ignore")
        index = ParcelIndex(
            version=version,
            parcel_ids=np.array([r.parcel_id for r in rows], dtype=object),
            holders=np.array([r.holder_credit_code for r in rows], dtype=object),
            counties=np.array(
                [county_of.get(r.jurisdiction_code or "") for r in rows], dtype=object
            ),
            areas_m2=np.array([r.area_m2 for r in rows], dtype=float),
            shapes=shapes,
            tree=shapely.STRtree(shapes),
            position={r.parcel_id: i for i, r in enumerate(rows)},
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
    grades = _grades(db, {str(h) for h in index.holders[hits] if h is not None})
    features = [
        {
            "type": "Feature",
            "geometry": json.loads(shapely.to_geojson(shape)),
            "properties": {
                "parcel_id": parcel_id,
                "county_code": county,
                "area_mu": round(m2_to_mu(float(area)), 2),
                "category": categories.get(parcel_id, "none"),
                "holder": holder,
                "grade": grades.get(holder, "none"),
            },
        }
        for parcel_id, holder, county, area, shape in zip(
            index.parcel_ids[hits],
            index.holders[hits],
            index.counties[hits],
            index.areas_m2[hits],
            shapes,
            strict=True,
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


def _grades(db: Session, credit_codes: set[str]) -> dict[str, str]:
    """Each enterprise's grade in the latest kept evaluation run."""
    run = db.scalar(select(func.max(EvaluationRun.id)))
    if run is None or not credit_codes:
        return {}
    found = db.execute(
        select(Grade.credit_code, Grade.grade).where(
            Grade.run_id == run, Grade.credit_code.in_(credit_codes)
        )
    )
    return {code: grade for code, grade in found}


class SearchHit(BaseModel):
    parcel_id: str
    holder_name: str | None
    area_mu: float
    bbox: list[float]


@router.get("/search", summary="查找宗地 / find parcels by id or enterprise name")
def search(
    current: Annotated[Current, Depends(gate(Action.READ))],
    db: Database,
    q: Annotated[str, Query(min_length=1, max_length=64, description="宗地号开头或企业名称")],
) -> list[SearchHit]:
    """The first :data:`MOST_HITS` parcels of the account's area whose id begins with ``q``
    or whose holder's name contains it, with where each lies."""
    query = (
        select(Parcel.parcel_id, Enterprise.name)
        .outerjoin(Enterprise, Enterprise.credit_code == Parcel.holder_credit_code)
        .where(
            Parcel.geometry_wkt.is_not(None),
            or_(
                Parcel.parcel_id.startswith(q, autoescape=True),
                Enterprise.name.contains(q, autoescape=True),
            ),
        )
        .order_by(Parcel.parcel_id)
        .limit(MOST_HITS)
    )
    if current.scope.counties is not None:
        query = query.where(Parcel.jurisdiction_code.in_(codes_in(db, current.scope.counties)))
    index = parcel_index(db)
    hits = []
    for parcel_id, name in db.execute(query):
        at = index.position.get(parcel_id)
        if at is not None:
            hits.append(
                SearchHit(
                    parcel_id=parcel_id,
                    holder_name=name,
                    area_mu=round(m2_to_mu(float(index.areas_m2[at])), 2),
                    bbox=[float(v) for v in shapely.bounds(index.shapes[at])],
                )
            )
    return hits


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
    at = index.position.get(parcel_id)
    if at is None:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    current.scope.require(index.counties[at], f"宗地 {parcel_id}")
    return {"parcel_id": parcel_id, "bbox": [float(v) for v in shapely.bounds(index.shapes[at])]}


def _in_scope(
    index: ParcelIndex, current: Current, hits: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    if current.scope.counties is None:
        return hits
    return hits[np.isin(index.counties[hits], list(current.scope.counties))]
