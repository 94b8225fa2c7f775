"""挂图作战: parcels for the map, only those the view needs.

An index of every parcel's shape (Shapely's STRtree) is built from the records when the
application starts, in the background (or by the first map request, if that comes first); each
request then takes the parcels within the view's bounding box and the account's
area, simplified to the view's zoom, at most :data:`MOST_FEATURES` of them. The index is kept
until the data change (another database, a new import or change, another parcel count).
Parcels are coloured by the category the identification run of record found them in, or by
the grade their holder took in the evaluation run of record (never a what-if run's). A search
by parcel id or enterprise name lists the matching parcels of the account's area, to fly the
map to one.
"""

import json
import logging
import threading
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, HTTPException, Query
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine, case, func, select, union
from sqlalchemy.orm import Session

from mujun.evaluation import runs as evaluation_runs
from mujun.identification import runs as identification_runs
from mujun.records import Enterprise, Finding, Grade, Parcel
from mujun.units import m2_to_mu
from mujun.web.data_version import DataVersion, data_version
from mujun.web.dependencies import Current, Database, Reader
from mujun.web.gate import admitted, require, restrict

router = APIRouter(prefix="/api/map", tags=["map"])
logger = logging.getLogger(__name__)
MOST_FEATURES = 5_000
MOST_HITS = 20
GEOJSON = "application/geo+json"
CATEGORY_ORDER = ("non_industrial_use", "idle_land", "low_efficiency_land")
"""Where a parcel is found in several land categories, the first of these colours it."""


@dataclass(frozen=True)
class ParcelIndex:
    version: DataVersion
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
    """Build the index, and read the colours, ahead of the first map request (when the
    application starts); a failure is logged, and the first request tries again."""
    try:
        with Session(engine) as db:
            parcel_index(db)
            _colours(db)
    except Exception:
        logger.exception("building the map's parcel index failed")


def parcel_index(db: Session) -> ParcelIndex:
    """The index of the current data, built on first use and after each import."""
    version = data_version(db)
    with _LOCK:
        cached = _INDEX.get("parcels")
        if cached is not None and cached.version == version:
            return cached
        rows = db.execute(
            select(
                Parcel.parcel_id,
                Parcel.holder_credit_code,
                Parcel.county_code,
                Parcel.area_m2,
                Parcel.geometry_wkt,
            )
            .where(Parcel.geometry_wkt.is_not(None))
            .order_by(Parcel.parcel_id)
        ).all()
        shapes = shapely.from_wkt([r.geometry_wkt for r in rows], on_invalid="ignore")
        index = ParcelIndex(
            version=version,
            parcel_ids=np.array([r.parcel_id for r in rows], dtype=object),
            holders=np.array([r.holder_credit_code for r in rows], dtype=object),
            counties=np.array([r.county_code for r in rows], dtype=object),
            areas_m2=np.array([r.area_m2 for r in rows], dtype=float),
            shapes=shapes,
            tree=shapely.STRtree(shapes),
            position={r.parcel_id: i for i, r in enumerate(rows)},
        )
        _INDEX["parcels"] = index
        return index


@router.get(
    "/parcels",
    summary="地图上的宗地 / parcels in view (GeoJSON)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "FeatureCollection"}},
)
def parcels_in_view(
    current: Reader,
    db: Database,
    bbox: Annotated[str, Query(description="minLon,minLat,maxLon,maxLat（CGCS2000）")],
    zoom: Annotated[float, Query(ge=0, le=24)] = 12,
) -> Response:
    """The parcels of the account's area within the box, simplified for the zoom, as a GeoJSON
    FeatureCollection (with ``truncated`` true when there were more than
    :data:`MOST_FEATURES`). Each feature's properties: parcel id, county, area in mu, category
    in the run of record, holder and the holder's grade of record. The text is put together
    here: thousands of shapes would take longer to turn into Python objects and back."""
    box = _box(bbox)
    index = parcel_index(db)
    hits = _in_scope(index, current, index.tree.query(shapely.box(*box), predicate="intersects"))
    truncated = len(hits) > MOST_FEATURES
    hits = np.sort(hits)[:MOST_FEATURES]
    tolerance = 360 / (256 * 2**zoom) / 2  # about half a screen pixel, in degrees
    shapes = shapely.simplify(index.shapes[hits], tolerance, preserve_topology=True)
    categories, grades = _colours(db)
    features = ",".join(
        _feature(
            geometry,
            {
                "parcel_id": parcel_id,
                "county_code": county,
                "area_mu": round(m2_to_mu(float(area)), 2),
                "category": categories.get(parcel_id, "none"),
                "holder": holder,
                "grade": grades.get(holder, "none"),
            },
        )
        for parcel_id, holder, county, area, geometry in zip(
            index.parcel_ids[hits],
            index.holders[hits],
            index.counties[hits],
            index.areas_m2[hits],
            shapely.to_geojson(shapes),
            strict=True,
        )
    )
    more = json.dumps(truncated)
    body = f'{{"type":"FeatureCollection","truncated":{more},"features":[{features}]}}'
    return Response(body, media_type=GEOJSON)


def _feature(geometry: str, properties: dict[str, Any]) -> str:
    """One GeoJSON feature from its geometry's GeoJSON text and its properties."""
    shown = json.dumps(properties, ensure_ascii=False)
    return f'{{"type":"Feature","geometry":{geometry},"properties":{shown}}}'


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


Colours = tuple[dict[str, str], dict[str, str]]
"""Each parcel's category in the latest identification run, and each enterprise's grade of
record."""
_COLOURS: dict[tuple[str, ...], Colours] = {}


def _colours(db: Session) -> Colours:
    """The map's colours, read once per pair of runs (a province's run has some 290,000
    findings: asking for a view's five thousand parcels each time would cost more). A run
    never changes once kept; the key names the database and each run by id, data and time."""
    found = identification_runs.run_of_record(session=db)
    graded = evaluation_runs.run_of_record(session=db)
    key = (
        str(db.get_bind().engine.url),
        *(f"{r.id} {r.fingerprint} {r.finished_at}" if r else "" for r in (found, graded)),
    )
    with _LOCK:
        if key not in _COLOURS:
            _COLOURS.clear()
            _COLOURS[key] = (
                _categories(db, None if found is None else found.id),
                _grades(db, None if graded is None else graded.id),
            )
        return _COLOURS[key]


def _categories(db: Session, run: int | None) -> dict[str, str]:
    """Each parcel's land category in ``run`` (the first of :data:`CATEGORY_ORDER`)."""
    if run is None:
        return {}
    rank = case(
        *((Finding.category == category, index) for index, category in enumerate(CATEGORY_ORDER))
    )
    found = db.execute(
        select(Finding.subject_id, func.min(rank))
        .where(
            Finding.run_id == run,
            Finding.subject_type == "parcel",
            Finding.category.in_(CATEGORY_ORDER),
        )
        .group_by(Finding.subject_id)
    )
    return {parcel_id: CATEGORY_ORDER[best] for parcel_id, best in found}


def _grades(db: Session, run: int | None) -> dict[str, str]:
    """Each enterprise's grade in evaluation run ``run``."""
    if run is None:
        return {}
    found = db.execute(select(Grade.credit_code, Grade.grade).where(Grade.run_id == run))
    return {code: grade for code, grade in found}


class SearchHit(BaseModel):
    parcel_id: str
    holder_name: str | None
    area_mu: float
    bbox: list[float]


@router.get("/search", summary="查找宗地 / find parcels by id or enterprise name")
def search(
    current: Reader,
    db: Database,
    q: Annotated[str, Query(min_length=1, max_length=64, description="宗地号开头或企业名称")],
) -> list[SearchHit]:
    """The first :data:`MOST_HITS` parcels of the account's area whose id begins with ``q``
    or whose holder's name contains it, with where each lies (parcels without a shape are not
    on the map). The two ways are asked apart, each from its own index."""
    found = (
        select(Parcel.parcel_id, Enterprise.name)
        .join(Enterprise, Enterprise.credit_code == Parcel.holder_credit_code, isouter=isouter)
        .where(matches)
        for isouter, matches in (
            (True, Parcel.parcel_id.startswith(q, autoescape=True)),
            (False, Enterprise.name.contains(q, autoescape=True)),
        )
    )
    either = union(*(restrict(query, current.scope, Parcel) for query in found)).subquery()
    query = select(either).order_by(either.c.parcel_id).limit(MOST_HITS)
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
def extent(current: Reader, db: Database) -> dict[str, list[float] | None]:
    """The bounding box of the parcels of the account's area (None without any)."""
    index = parcel_index(db)
    mine = _in_scope(index, current, np.arange(len(index.parcel_ids)))
    if len(mine) == 0:
        return {"bbox": None}
    return {"bbox": [float(v) for v in shapely.total_bounds(index.shapes[mine])]}


@router.get("/parcels/{parcel_id}", summary="宗地位置 / where one parcel is")
def parcel_bounds(parcel_id: str, current: Reader, db: Database) -> dict[str, Any]:
    """One parcel's bounding box, to fly the map to it; refused outside one's area."""
    index = parcel_index(db)
    at = index.position.get(parcel_id)
    if at is None:
        raise HTTPException(status_code=404, detail=f"没有宗地 {parcel_id} / no parcel {parcel_id}")
    require(db, current.scope, Parcel, parcel_id)
    return {"parcel_id": parcel_id, "bbox": [float(v) for v in shapely.bounds(index.shapes[at])]}


def _in_scope(
    index: ParcelIndex, current: Current, hits: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    kept: np.ndarray[Any, Any] = hits[admitted(current.scope, index.counties[hits])]
    return kept
