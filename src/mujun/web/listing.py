"""What every list page shares: its columns, sorting by a column header, and the .xlsx export
of exactly the rows on screen.

A list declares its :class:`Column` s once; the same declaration names the sort keys a request
may ask for (``?sort=area_mu`` ascending, ``?sort=-area_mu`` descending), the headers of the
table on screen (``listing.html``'s macros) and the headers and number formats of the export
(``?export=xlsx``: the same filters, sort and page, as a titled bureau list).
"""

import io
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from string import Formatter
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote

from fastapi import HTTPException, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BeforeValidator
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, select
from sqlalchemy.orm import Session
from starlette.background import BackgroundTask
from xlsxwriter import Workbook

from mujun.interchange.workbooks.lists import Cell, ListColumn, ListStyles, write_titled_table
from mujun.interchange.workbooks.styles import Formats, streaming_workbook
from mujun.records.industries import DIVISION_PATTERN, division_of, industry_name
from mujun.web.language import language_of

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def none_if_blank(value: Any) -> Any:
    """A filter left blank (``?park=``: a form's 全部 choice, an empty search) is no filter."""
    return None if isinstance(value, str) and not value.strip() else value


BLANK = BeforeValidator(none_if_blank)
"""Put last in a filter's ``Annotated`` (after its ``Query``, so that it runs before the
constraints): a blank value is as if not given."""
PageParam = Annotated[int, Query(ge=1, le=100_000, description="页码 / page")]
PageSizeParam = Annotated[int, Query(ge=1, le=200, description="每页条数 / rows a page")]
CountyParam = Annotated[
    str | None, Query(max_length=32, description="区县代码 / county code"), BLANK
]
"""A list's county filter: a county outside the account's area is refused, not emptied."""
ParkParam = Annotated[
    str | None,
    Query(max_length=32, description="园区代码 / park code (区划代码 of a park)"),
    BLANK,
]
"""A list's park filter: a park outside the account's area is refused, not emptied."""
IndustryParam = Annotated[
    str | None,
    Query(
        pattern=DIVISION_PATTERN,
        description="行业门类或大类（GB/T 4754-2017，如 C 或 C34）/ industry section or "
        "division, e.g. C or C34",
    ),
    BLANK,
]
"""A list's industry filter: a section or division of GB/T 4754-2017 (``C``, ``C34``),
matching every class code under it (``C3489``)."""
SearchParam = Annotated[str | None, Query(max_length=64, description="查找 / search text"), BLANK]
SortParam = Annotated[
    str | None,
    Query(
        max_length=64,
        pattern=r"^-?[a-z_]+$",
        description="排序列；前加 - 为降序 / column to sort by, - for descending",
    ),
    BLANK,
]
ExportParam = Annotated[
    Literal["xlsx", "all"] | None,
    Query(
        description="xlsx：导出本页所见；all：导出全部符合条件的行 / xlsx: the rows on screen "
        "as a workbook; all: every row the filters choose"
    ),
]
EXPORT_BATCH = 2_000
"""Rows read from the database at a time while a whole list is exported."""


@dataclass(frozen=True)
class Column:
    """One column of a list: its key in each row, its header in both languages, the SQL it
    sorts by (None: not sortable), for a number its format (``"{:,.2f}"``) and, for a value that
    names a record with a page of its own, that page's address (``"/parcels/{parcel_id}"``,
    filled from the row)."""

    key: str
    zh: str
    en: str
    order_by: SQLColumnExpression[Any] | None = None
    number: str | None = None
    link: str | None = None
    under: str | None = None
    """On screen, the key of the column beneath whose value this one is shown, in a smaller
    type, rather than in a column of its own (an enterprise's name under its credit code, a
    rule's document and clause under the rule), so that a list fits the page at 1440 px; its
    export keeps it in a column of its own."""

    def header(self, request: Request) -> str:
        return self.zh if language_of(request) == "zh" else self.en

    def shown(self, row: Mapping[str, Any]) -> str:
        """The cell as the page shows it."""
        value = row.get(self.key)
        if value is None:
            return ""
        return self.number.format(value) if self.number else str(value)

    def href(self, row: Mapping[str, Any]) -> str | None:
        """Where the cell links to, or None (no link, or a row without what it needs)."""
        if self.link is None:
            return None
        names = [name for _, name, _, _ in Formatter().parse(self.link) if name]
        if any(row.get(name) is None for name in names):
            return None
        return self.link.format_map({name: quote(str(row[name])) for name in names})


def in_division(column: SQLColumnExpression[str | None], division: str) -> ColumnElement[bool]:
    """``column`` (an industry code) lies in ``division`` (``C34``: ``C3489`` does)."""
    return column.startswith(division, autoescape=True)


def divisions_present(
    db: Session, query: "Select[str | None]", lang: Literal["zh", "en"]
) -> list[tuple[str, str]]:
    """The industry divisions among the codes ``query`` selects (already restricted to the
    area), each with its name (``C34``, ``C34 通用设备制造业``), in code order: what an
    industry filter offers. Codes not of the standard are left out."""
    column = query.subquery().c[0]
    prefixes = db.scalars(select(func.substr(column, 1, 3)).distinct()).all()
    found = {p.upper() for p in prefixes if p and division_of(p) == p.upper()}
    return [(code, industry_name(code, lang) or code) for code in sorted(found)]


def sorted_by(query: SelectT, columns: Sequence[Column], sort: str | None) -> SelectT:
    """``query`` ordered by the column ``sort`` names (``-`` first: descending), a blank as if
    greater than any value (last going up, first going down: the order of an index on the
    column, so that a page of a long list is read from the index rather than sorted); unchanged
    without a sort. A key that is not a sortable column is refused (422)."""
    if sort is None:
        return query
    key = sort.removeprefix("-")
    column = next((c for c in columns if c.key == key and c.order_by is not None), None)
    if column is None or column.order_by is None:
        sortable = ", ".join(c.key for c in columns if c.order_by is not None)
        raise HTTPException(
            status_code=422,
            detail=f"不能按 {key} 排序，可用：{sortable} / cannot sort by {key}; use {sortable}",
        )
    if sort.startswith("-"):
        return query.order_by(column.order_by.desc().nulls_first())
    return query.order_by(column.order_by.asc().nulls_last())


def export_response(
    request: Request,
    title: str,
    columns: Sequence[Column],
    rows: Sequence[Mapping[str, Any]],
) -> Response:
    """The rows on screen as a workbook: ``title`` over them, the columns' headers in the
    request's language, numbers as numbers, text as text (never a formula: see
    :mod:`mujun.interchange.workbooks.lists`). The file is named after the title."""
    lang = language_of(request)
    buffer = io.BytesIO()
    book = Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(title[:31])
    write_titled_table(
        sheet,
        ListStyles(book, Formats(book)),
        title=title,
        columns=[_list_column(column, column.header(request)) for column in columns],
        rows=([_cell(column, row) for column in columns] for row in rows),
        lang=lang,
    )
    book.close()
    name = quote(f"{title}.xlsx")
    return Response(
        buffer.getvalue(),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def workbook_file(title: str, write: Callable[[Path], None]) -> FileResponse:
    """A workbook ``write`` writes to a file of its own (in xlsxwriter's ``constant_memory``
    mode: memory stays bounded however many rows), sent to the client as ``title``.xlsx and
    deleted once sent."""
    return temporary_file(f"{title}.xlsx", XLSX, write)


def temporary_file(name: str, media_type: str, write: Callable[[Path], None]) -> FileResponse:
    """A file ``write`` writes to a temporary folder, sent to the client as ``name`` and
    deleted once sent."""
    folder = Path(tempfile.mkdtemp(prefix="mujun-export-"))
    path = folder / "download"
    try:
        write(path)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return FileResponse(
        path,
        media_type=media_type,
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"},
        background=BackgroundTask(shutil.rmtree, folder, ignore_errors=True),
    )


def export_all_response(
    request: Request,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Mapping[str, Any]],
) -> FileResponse:
    """Every row of a list (``rows``, read batch by batch) as the page export lays them out,
    streamed to a file and sent: the whole list the filters choose, not the page."""
    lang = language_of(request)

    def write(path: Path) -> None:
        with streaming_workbook(path) as (book, formats):
            sheet = book.add_worksheet(title[:31])
            last = write_titled_table(
                sheet,
                ListStyles(book, formats),
                title=title,
                columns=[_list_column(column, column.header(request)) for column in columns],
                rows=([_cell(column, row) for column in columns] for row in rows),
                lang=lang,
            )
            sheet.autofilter(1, 0, last, len(columns) - 1)

    return workbook_file(title, write)


def _list_column(column: Column, header: str) -> ListColumn:
    if column.number is None:
        return ListColumn(header, "text", 40)
    return ListColumn(header, "decimal" if "." in column.number else "whole", 16)


def _cell(column: Column, row: Mapping[str, Any]) -> Cell:
    value = row.get(column.key)
    if value is None or isinstance(value, str | int | float):
        return value
    return str(value)
