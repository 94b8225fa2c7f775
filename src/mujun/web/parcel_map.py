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

The 预警 layer puts the live warnings of the account's area on their parcels: a parcel's
warning on the parcel, an enterprise's on every parcel it holds
(:func:`mujun.analytics.land.holdings`), each parcel coloured by its highest level.

The boundaries of the counties and parks of the account's area (jurisdictions with an outline)
come as one GeoJSON, outlines and a label point each, kept per state of the records. A county's
own base map, served by the application, is :mod:`mujun.web.basemap`'s.
"""

import json
import logging
import threading
from dataclasses import dataclass
from typing import Annotated, Any

import numpy as np
import shapely
from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import Engine, case, func, select, union
from sqlalchemy.orm import Session

from mujun.analytics.facts import facts_from_arrow
from mujun.analytics.land import holdings
from mujun.evaluation import runs as evaluation_runs
from mujun.identification import runs as identification_runs
from mujun.monitoring.inbox import LIVE
from mujun.policy.profiles import SubjectType
from mujun.records import (
    EarlyWarning,
    Enterprise,
    Finding,
    Grade,
    Jurisdiction,
    LandOccupancy,
    Parcel,
    bulk,
    table_of,
)
from mujun.records.changes import chunks
from mujun.units import m2_to_mu
from mujun.web.data_version import DataVersion, data_version
from mujun.web.dependencies import Current, Database, Reader
from mujun.web.gate import admitted, counties_read, require, restrict
from mujun.web.language import language_of
from mujun.web.warning_inbox import (
    LEVEL_ORDER,
    level_label,
    month_label,
    signal_title,
    subject_of,
)

router = APIRouter(prefix="/api/map", tags=["map"])
logger = logging.getLogger(__name__)
MOST_FEATURES = 5_000
MOST_HITS = 20
GEOJSON = "application/geo+json"
CATEGORY_ORDER = ("non_industrial_use", "idle_land", "low_efficiency_land")
"""Where a parcel is found in several land categories, the first of these colours it."""


BBox = Annotated[str, Query(description="minLon,minLat,maxLon,maxLat（CGCS2000）")]
Zoom = Annotated[float, Query(ge=0, le=24)]


@dataclass(frozen=True)
class ParcelIndex:
    version: DataVersion
    parcel_ids: np.ndarray[Any, Any]
    holders: np.ndarray[Any, Any]
    holder_names: np.ndarray[Any, Any]
    parks: np.ndarray[Any, Any]
    counties: np.ndarray[Any, Any]
    areas_m2: np.ndarray[Any, Any]
    shapes: np.ndarray[Any, Any]
    tree: shapely.STRtree
    position: dict[str, int]
    """Where each parcel id is in the arrays."""
    names: dict[str, str]
    """Every jurisdiction's name by its code."""


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
                Enterprise.name,
                Parcel.park_code,
                Parcel.county_code,
                Parcel.area_m2,
                Parcel.geometry_wkt,
            )
            .join(Enterprise, Enterprise.credit_code == Parcel.holder_credit_code, isouter=True)
            .where(Parcel.geometry_wkt.is_not(None))
            .order_by(Parcel.parcel_id)
        ).all()
        names = {c: n for c, n in db.execute(select(Jurisdiction.code, Jurisdiction.name))}
        shapes = shapely.from_wkt([r.geometry_wkt for r in rows], on_invalid="ignore")
        index = ParcelIndex(
            version=version,
            parcel_ids=np.array([r.parcel_id for r in rows], dtype=object),
            holders=np.array([r.holder_credit_code for r in rows], dtype=object),
            holder_names=np.array([r.name for r in rows], dtype=object),
            parks=np.array([r.park_code for r in rows], dtype=object),
            counties=np.array([r.county_code for r in rows], dtype=object),
            areas_m2=np.array([r.area_m2 for r in rows], dtype=float),
            shapes=shapes,
            tree=shapely.STRtree(shapes),
            position={r.parcel_id: i for i, r in enumerate(rows)},
            names=names,
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
    bbox: BBox,
    zoom: Zoom = 12,
) -> Response:
    """The parcels of the account's area within the box, simplified for the zoom, as a GeoJSON
    FeatureCollection (with ``truncated`` true when there were more than
    :data:`MOST_FEATURES`: then as many, spread evenly over the view's parcels). Each feature's
    properties: parcel id, county, area in mu, category in the run of record, holder (credit
    code and name), the names of its county and park, and the holder's grade of record. The
    text is put together here: thousands of shapes would take longer to turn into Python
    objects and back."""
    box = _box(bbox)
    index = parcel_index(db)
    hits = _in_scope(index, current, index.tree.query(shapely.box(*box), predicate="intersects"))
    truncated = len(hits) > MOST_FEATURES
    hits = np.sort(hits)
    if truncated:  # spread over the whole view, not the first counties' parcels only
        hits = hits[np.linspace(0, len(hits) - 1, MOST_FEATURES).astype(np.int64)]
    shapes = _simplified(index, hits, zoom)
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
                "holder_name": holder_name,
                "county": index.names.get(county),
                "park": index.names.get(park),
                "grade": grades.get(holder, "none"),
            },
        )
        for parcel_id, holder, holder_name, park, county, area, geometry in zip(
            index.parcel_ids[hits],
            index.holders[hits],
            index.holder_names[hits],
            index.parks[hits],
            index.counties[hits],
            index.areas_m2[hits],
            shapely.to_geojson(shapes),
            strict=True,
        )
    )
    return _collection(features, truncated)


def _simplified(
    index: ParcelIndex, hits: np.ndarray[Any, Any], zoom: float
) -> np.ndarray[Any, Any]:
    """The shapes of the parcels at ``hits``, simplified to about half a screen pixel at
    ``zoom``."""
    tolerance = 360 / (256 * 2**zoom) / 2  # in degrees
    simplified: np.ndarray[Any, Any] = shapely.simplify(
        index.shapes[hits], tolerance, preserve_topology=True
    )
    return simplified


def _collection(features: str, truncated: bool) -> Response:
    """A GeoJSON FeatureCollection of ``features`` (their text, joined), saying whether there
    were more than it holds."""
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


# -- warnings -------------------------------------------------------------------------------


@router.get(
    "/warnings",
    summary="地图上的预警 / live warnings in view, by parcel (GeoJSON)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "FeatureCollection"}},
)
def warnings_in_view(
    request: Request,
    current: Reader,
    db: Database,
    bbox: BBox,
    zoom: Zoom = 12,
) -> Response:
    """The parcels of the account's area within the box that carry a live warning of its area
    (not closed, not lifted): a parcel's own warnings and those of the enterprises holding it.
    Each parcel twice, as its outline (simplified for the zoom) and as a point inside it, with
    the properties ``parcel_id``, ``level`` (the highest of its warnings) and ``warnings``:
    each one's number, level, signal, month it began, subject and page, in the request's
    language, the highest level first. At most :data:`MOST_FEATURES` parcels, the highest
    levels first (``truncated`` says when there were more)."""
    box = _box(bbox)
    index = parcel_index(db)
    warned = _warned_parcels(db, index, current)
    in_view = index.tree.query(shapely.box(*box), predicate="intersects")
    hits = _in_scope(index, current, np.intersect1d(in_view, np.fromiter(warned, dtype=np.int64)))
    hits = np.array(sorted(hits, key=lambda at: (_rank(warned[at]), at)), dtype=np.int64)
    truncated = len(hits) > MOST_FEATURES
    hits = hits[:MOST_FEATURES]
    shapes = _simplified(index, hits, zoom)
    lang = language_of(request)
    shown = _shown_warnings(db, {w for at in hits for w in warned[at]}, lang)
    properties = [
        {
            "parcel_id": index.parcel_ids[at],
            "level": LEVEL_ORDER[_rank(warned[at])].value,
            "warnings": [shown[w] for w in sorted(warned[at], key=lambda w: (w.rank, w.id))],
        }
        for at in hits
    ]
    outlines = shapely.to_geojson(shapes)
    points = shapely.to_geojson(shapely.point_on_surface(index.shapes[hits]))
    features = ",".join(
        _feature(geometry, shown_properties)
        for geometry, shown_properties in zip([*outlines, *points], properties * 2, strict=True)
    )
    return _collection(features, truncated)


@dataclass(frozen=True)
class _Warned:
    """A live warning as the map places it."""

    id: int
    rank: int
    """Its level's place in :data:`LEVEL_ORDER` (0: red)."""


def _rank(warnings: list[_Warned]) -> int:
    """The place of the highest level among ``warnings``."""
    return min(w.rank for w in warnings)


def _warned_parcels(db: Session, index: ParcelIndex, current: Current) -> dict[int, list[_Warned]]:
    """The live warnings of the account's area by where their parcels are in the index: a
    parcel's on the parcel, an enterprise's on each parcel it holds; a department's nowhere."""
    query = restrict(
        select(
            EarlyWarning.id, EarlyWarning.level, EarlyWarning.subject_type, EarlyWarning.subject_id
        )
        .where(EarlyWarning.state.in_(LIVE))
        .order_by(EarlyWarning.id),
        current.scope,
        EarlyWarning,
    )
    ranks = {level.value: rank for rank, level in enumerate(LEVEL_ORDER)}
    held = _holdings(db, index)
    warned: dict[int, list[_Warned]] = {}
    for number, level, kind, subject in db.execute(query):
        if kind == SubjectType.PARCEL:
            places = [index.position[subject]] if subject in index.position else []
        elif kind == SubjectType.ENTERPRISE:
            places = held.get(subject, [])
        else:  # a department's: no place on the map
            places = []
        for at in places:
            warned.setdefault(at, []).append(_Warned(number, ranks[level]))
    return warned


HELD_COLUMNS = {
    table_of(Parcel): ["parcel_id", "holder_credit_code"],
    table_of(LandOccupancy): ["credit_code", "parcel_id", "kind"],
}
"""What :func:`mujun.analytics.land.holdings` reads."""
_HOLDINGS: dict[DataVersion, dict[str, list[int]]] = {}


def _holdings(db: Session, index: ParcelIndex) -> dict[str, list[int]]:
    """Where on the map each enterprise's parcels are (:func:`~mujun.analytics.land.holdings`,
    by their place in ``index``), computed once per state of the records, as the index is."""
    with _LOCK:
        found = _HOLDINGS.get(index.version)
    if found is not None:
        return found
    conn = db.connection()
    facts = facts_from_arrow(
        {
            table.name: bulk.read_rows(conn, table, columns)
            for table, columns in HELD_COLUMNS.items()
        }
    )
    try:
        pairs = holdings(facts).order_by(["credit_code", "parcel_id"]).to_pyarrow()
    finally:
        facts.close()
    found = {}
    for code, parcel_id in zip(
        pairs["credit_code"].to_pylist(), pairs["parcel_id"].to_pylist(), strict=True
    ):
        if parcel_id in index.position:
            found.setdefault(code, []).append(index.position[parcel_id])
    with _LOCK:
        _HOLDINGS.clear()
        _HOLDINGS[index.version] = found
    return found


def _shown_warnings(db: Session, warnings: set[_Warned], lang: str) -> dict[_Warned, Any]:
    """What a popup says of each warning, in ``lang``: as the inbox names its level, signal,
    first month and subject."""
    by_id = {w.id: w for w in warnings}
    shown: dict[_Warned, Any] = {}
    for chunk in chunks(sorted(by_id)):
        for warning in db.scalars(select(EarlyWarning).where(EarlyWarning.id.in_(chunk))):
            shown[by_id[warning.id]] = {
                "id": warning.id,
                "level": warning.level,
                "level_label": level_label(warning.level, lang),
                "signal": signal_title(warning.signal, lang),
                "since": month_label(warning.since, lang),
                "subject": subject_of(warning, lang)["name"],
                "href": f"/warnings/{warning.id}",
            }
    return shown


# -- boundaries -----------------------------------------------------------------------------

BOUNDARY_LEVELS = ("county", "park")
_BOUNDARIES: dict[tuple[DataVersion, frozenset[str] | None], str] = {}


@router.get(
    "/boundaries",
    summary="区县与园区边界 / county and park boundaries (GeoJSON)",
    response_class=Response,
    responses={200: {"content": {GEOJSON: {}}, "description": "FeatureCollection"}},
)
def boundaries(
    current: Reader,
    db: Database,
    county: Annotated[str | None, Query(description="区县代码；缺省为本账号辖区")] = None,
) -> Response:
    """The outlines of the counties and parks of the account's area (or of ``county``, refused
    outside it) that have one, as a GeoJSON FeatureCollection: per jurisdiction a polygon and a
    point inside it to write its name at. Properties: ``code``, ``name``, ``level`` (county or
    park) and ``county`` (the county's code). Kept per state of the records and area."""
    read = counties_read(current.scope, county)
    version = data_version(db)
    key = (version, read)
    with _LOCK:
        body = _BOUNDARIES.get(key)
    if body is None:
        query = restrict(
            select(
                Jurisdiction.code,
                Jurisdiction.name,
                Jurisdiction.level,
                Jurisdiction.county_code,
                Jurisdiction.geometry_wkt,
            )
            .where(
                Jurisdiction.geometry_wkt.is_not(None),
                Jurisdiction.level.in_(BOUNDARY_LEVELS),
            )
            .order_by(Jurisdiction.level, Jurisdiction.code),
            current.scope,
            Jurisdiction,
            county=county,
        )
        body = _boundary_collection(list(db.execute(query).all()))
        with _LOCK:
            if len(_BOUNDARIES) > 256 or any(k[0] != version for k in _BOUNDARIES):
                _BOUNDARIES.clear()
            _BOUNDARIES[key] = body
    return Response(body, media_type=GEOJSON)


def _boundary_collection(rows: list[Any]) -> str:
    """The FeatureCollection of the rows' outlines and label points (an unreadable outline is
    left out)."""
    shapes = shapely.from_wkt([r.geometry_wkt for r in rows], on_invalid="ignore")
    drawn = ~shapely.is_missing(shapes) & ~shapely.is_empty(shapes)
    rows = [r for r, keep in zip(rows, drawn, strict=True) if keep]
    shapes = shapes[drawn]
    labels = shapely.point_on_surface(shapes)
    features = [
        _feature(
            geometry,
            {"code": r.code, "name": r.name, "level": r.level, "county": r.county_code},
        )
        for r, geometry in zip(
            rows * 2,
            [*shapely.to_geojson(shapes), *shapely.to_geojson(labels)],
            strict=True,
        )
    ]
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"
