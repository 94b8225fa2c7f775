"""Server-rendered pages (Jinja2), in Simplified Chinese."""

import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from itertools import islice
from typing import Annotated, Any, Protocol

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from mujun.policy.profiles import Category
from mujun.records import Parcel
from mujun.records.accounts import Account
from mujun.records.industries import industry_name
from mujun.records.vocabulary import ActualUse, Coded, EnterpriseStatus, LandUse
from mujun.units import m2_to_mu
from mujun.web.dependencies import MAX_ID, Current, Database, Reader
from mujun.web.findings import FINDING_COLUMNS, export_findings, list_findings, shown_finding
from mujun.web.formatting import FILTERS, rule_title
from mujun.web.gate import counties_read
from mujun.web.language import in_language, language_of, template_globals
from mujun.web.listing import (
    BLANK,
    EXPORT_BATCH,
    Column,
    CountyParam,
    ExportParam,
    PageParam,
    ParkParam,
    SearchParam,
    SortParam,
    export_all_response,
    export_response,
    sorted_by,
)
from mujun.web.navigation import WORKBENCH, Group, Link, group_of, groups_for, link_of
from mujun.web.parcel_file import get_parcel_file
from mujun.web.parcels import PARCEL_COLUMNS, list_parcels, parcel_summary, parcels_wanted
from mujun.web.permissions import ALLOWED, Role
from mujun.web.places import county_choices, park_choices, place, places

PAGE = 50
BASEMAP = "MUJUN_BASEMAP_URL"
"""An optional raster tile URL (``https://…/{z}/{x}/{y}.png``) drawn under the parcels."""


def basemap_url() -> str | None:
    """The tile URL :data:`BASEMAP` gives, if any."""
    return os.environ.get(BASEMAP) or None


TEMPLATES = Jinja2Templates(directory=str(resources.files("mujun.web") / "templates"))
TEMPLATES.env.globals.update(
    template_globals(), place=place, county_choices=county_choices, park_choices=park_choices
)
TEMPLATES.env.filters.update(FILTERS)
router = APIRouter(include_in_schema=False)


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    return TEMPLATES.TemplateResponse(request, template, context, status_code=status_code)


def signed_in_page(
    request: Request, template: str, current: Current, status_code: int = 200, **context: Any
) -> HTMLResponse:
    """A page in the layout every signed-in page has (``page.html``): the side navigation with
    the links the account's role may follow, and the top bar with the account."""
    return render(
        request,
        template,
        status_code=status_code,
        **layout(request, current.account, current.session.csrf_token),
        **context,
    )


@dataclass(frozen=True)
class Chrome:
    """What the layout shows around a page: the navigation's groups with the links the
    account may follow, the link the page is (or lies under) and its group."""

    groups: list[tuple[Group, list[Link]]]
    active: Link | None
    group: Group | None


def layout(request: Request, account: Account, csrf_token: str) -> dict[str, Any]:
    """The context ``page.html`` needs for ``account`` (also for an error page)."""
    role = Role(account.role)
    groups = groups_for(role)
    active = link_of(request.url.path, [link for _, links in groups for link in links])
    return {
        "account": account,
        "allowed": ALLOWED[role],
        "role_label": in_language(request, role.label_zh, role.label_en),
        "csrf_token": csrf_token,
        "chrome": Chrome(groups, active, None if active is None else group_of(active)),
    }


@router.get("/", response_class=HTMLResponse)
def parcels_page(
    request: Request,
    current: Reader,
    db: Database,
    county: CountyParam = None,
    park: ParkParam = None,
    q: SearchParam = None,
    page: PageParam = 1,
    sort: SortParam = None,
    export: ExportParam = None,
) -> Response:
    """宗地清单: the parcels of the account's area, fifty a page, sortable; the page on screen
    as .xlsx with ``export=xlsx``, every parcel the filters choose with ``export=all``."""
    if export == "all":
        wanted = parcels_wanted(db, current.scope, county=county, park=park, q=q)
        ordered = sorted_by(wanted, PARCEL_COLUMNS, sort).order_by(Parcel.parcel_id)
        every = (
            parcel_summary(parcel, name).model_dump()
            for parcel, name in db.execute(ordered.execution_options(yield_per=EXPORT_BATCH))
        )
        return export_all_response(
            request,
            in_language(request, "宗地清单（全部）", "Parcels (all)"),
            PARCEL_COLUMNS,
            named_each(request, every),
        )
    listed = list_parcels(
        current, db, county=county, park=park, q=q, page=page, page_size=PAGE, sort=sort
    )
    return list_page(
        request,
        current,
        "parcels.html",
        title=in_language(request, "宗地清单", "Parcels"),
        listed=listed,
        rows=[item.model_dump() for item in listed.items],
        columns=PARCEL_COLUMNS,
        sort=sort,
        export=export,
        filters={"county": county, "park": park, "q": q},
    )


@router.get("/findings", response_class=HTMLResponse)
def findings_page(
    request: Request,
    current: Reader,
    db: Database,
    run: Annotated[int | None, Query(ge=1, le=MAX_ID), BLANK] = None,
    category: Annotated[Category | None, Query(), BLANK] = None,
    county: CountyParam = None,
    park: ParkParam = None,
    q: SearchParam = None,
    page: PageParam = 1,
    sort: SortParam = None,
    export: ExportParam = None,
) -> Response:
    """认定结果: a run's findings, fifty a page, sortable, with their figures in words; the
    page on screen as .xlsx with ``export=xlsx``; with ``export=all`` every finding the filters
    choose, in the layout ``mujun identify --out`` writes."""
    if export == "all":
        return export_findings(
            request, current, db, run=run, category=category, county=county, park=park, q=q
        )
    listed = list_findings(
        current,
        db,
        run=run,
        category=category,
        county=county,
        park=park,
        q=q,
        page=page,
        page_size=PAGE,
        sort=sort,
    )
    lang = language_of(request)
    rows = [
        {
            **shown_finding(item.model_dump(), lang),
            "area_mu": None if item.area_m2 is None else m2_to_mu(item.area_m2),
        }
        for item in listed.items
    ]
    return list_page(
        request,
        current,
        "findings.html",
        title=in_language(
            request, f"认定结果（批次 {listed.run}）", f"Findings (run {listed.run})"
        ),
        listed=listed,
        rows=rows,
        columns=FINDING_COLUMNS,
        sort=sort,
        export=export,
        categories=[(c.value, in_language(request, c.label_zh, c.label_en)) for c in Category],
        filters={
            "category": None if category is None else category.value,
            "county": county,
            "park": park,
            "q": q,
        },
    )


@router.get("/parcels/{parcel_id}", response_class=HTMLResponse)
def parcel_file_page(
    request: Request,
    parcel_id: str,
    current: Reader,
    db: Database,
) -> HTMLResponse:
    """一地一档: one parcel's file."""
    file = get_parcel_file(parcel_id, current, db)
    findings = [shown_finding(f, language_of(request)) for f in file.findings]
    return signed_in_page(request, "parcel_file.html", current, file=file, findings=findings)


@router.get("/map", response_class=HTMLResponse)
def map_page(request: Request, current: Reader, county: CountyParam = None) -> HTMLResponse:
    """挂图作战: parcels coloured by category (MapLibre); works offline, with a base map only
    when MUJUN_BASEMAP_URL gives a tile URL. With ``county`` (as the cockpit links to it), that
    county's boundaries and parcels only: refused outside one's area."""
    counties_read(current.scope, county)
    return signed_in_page(
        request,
        "map.html",
        current,
        basemap=basemap_url(),
        county=county or "",
    )


def home(account: Account) -> str:
    """Where an account lands when it signs in: its workbench (what needs it now), whatever its
    role: what the workbench shows depends on the role."""
    return WORKBENCH.path


class Listed(Protocol):
    """A page of a list, as its API gives it."""

    total: int
    page: int


def list_page(
    request: Request,
    current: Current,
    template: str,
    *,
    title: str,
    listed: Listed,
    rows: Sequence[Mapping[str, Any]],
    columns: Sequence[Column],
    sort: str | None,
    export: str | None,
    **context: Any,
) -> Response:
    """A list's page: its rows under sortable headers, with pages; or, with ``export``, the
    rows on screen as a workbook titled ``title`` and the page's number."""
    rows = named(request, rows)
    if export:
        page = in_language(request, f"（第 {listed.page} 页）", f" (page {listed.page})")
        return export_response(request, title + page, columns, rows)
    return signed_in_page(
        request,
        template,
        current,
        listed=listed,
        rows=rows,
        columns=columns,
        sort=sort or "",
        pages=page_count(listed.total),
        page_size=PAGE,
        **context,
    )


PLACES = ("county_code", "park_code")
"""Columns naming a jurisdiction, shown by its name."""
CODED: Mapping[str, type[Coded]] = {
    "land_use": LandUse,
    "actual_use": ActualUse,
    "status": EnterpriseStatus,
}
"""Columns holding a vocabulary's code, shown by its label."""


def named(request: Request, rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Rows with names where they hold codes a reader should not have to know: a county or a
    park by its name, an industry by its division (``C34 通用设备制造业``), a rule by its
    title, a land use or a status by its label (on screen and in the page's export alike)."""
    names = places(request).names
    lang = language_of(request)
    shown = []
    for row in rows:
        named_row = dict(row)
        for key in PLACES:
            if row.get(key):
                named_row[key] = names.get(row[key], row[key])
        if row.get("industry_code"):
            named_row["industry_code"] = industry_name(row["industry_code"], lang)
        if row.get("criterion"):
            named_row["criterion"] = rule_title(row["criterion"], lang)
        for key, vocabulary in CODED.items():
            value = row.get(key)
            if isinstance(value, str) and value in vocabulary.__members__.values():
                code = vocabulary(value)
                english = value.replace("_", " ").capitalize()
                named_row[key] = code.label_zh if lang == "zh" else english
        shown.append(named_row)
    return shown


def named_each(request: Request, rows: Iterable[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """:func:`named`, a batch of rows at a time: for an export of a whole list."""
    iterator = iter(rows)
    while batch := list(islice(iterator, EXPORT_BATCH)):
        yield from named(request, batch)


def page_count(total: int) -> int:
    """Pages of :data:`PAGE` rows that ``total`` rows fill (one, when there are none)."""
    return max(1, -(-total // PAGE))
