"""What a record's file is made of, for a parcel's (一地一档) and an enterprise's (企业画像):
tables of records as the interchange format names their columns (in Chinese), an enterprise's
figures over the years, the latest identification run's findings about the record, and the
record's change history."""

import datetime as dt
import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, RowMapping, and_, or_, select
from sqlalchemy.orm import Session

from mujun.identification.runs import run_of_record
from mujun.interchange.schema import ColumnSpec, TableSpec, table
from mujun.records import AnnualMetric, Enterprise, Finding, Jurisdiction
from mujun.records.industries import industry_name

FILE_PAGES = {"parcels": "/parcels/", "enterprises": "/enterprises/"}
"""The tables whose records have a file page, and the path of a record's file less its key."""


class Section(BaseModel):
    table: str
    """The table's name (``parcels``), which the page names in its language."""
    title: str
    headers: list[str]
    rows: list[list[str]]
    names: list[list[str | None]]
    """Per cell, the name of the enterprise or jurisdiction its code refers to (shown instead
    of the code, which stays the link and the tooltip); None where the value is shown as it
    is."""
    links: list[str | None]
    """Per column, where a value of it has its file (``/parcels/``, to which the value is
    appended): set for a column that names a parcel or an enterprise, by key or reference."""


NAMED = {
    "enterprises": (Enterprise.credit_code, Enterprise.name),
    "jurisdictions": (Jurisdiction.code, Jurisdiction.name),
}
"""The records a column may refer to by code, with the column that names them."""


def section(db: Session, name: str, where: ColumnElement[bool]) -> Section:
    """The rows of interchange table ``name`` that ``where`` selects, in the order of its key,
    without geometries (the map draws them)."""
    spec = table(name)
    columns = [c for c in spec.columns if c.name != "geometry_wkt"]
    key = [spec.table.c[column] for column in spec.key]
    rows = db.execute(select(spec.table).where(where).order_by(*key)).mappings().all()
    names = _names(db, columns, rows)
    return Section(
        table=spec.name,
        title=spec.label_zh,
        headers=[column.label_zh for column in columns],
        rows=[[shown(column, row[column.name]) for column in columns] for row in rows],
        names=[[names.get((_refers(c), row[c.name])) for c in columns] for row in rows],
        links=[_file_page(spec, column) for column in columns],
    )


def _refers(column: ColumnSpec) -> str | None:
    return column.field.references if column.field.references in NAMED else None


def _names(
    db: Session, columns: Sequence[ColumnSpec], rows: Sequence[RowMapping]
) -> dict[tuple[str | None, Any], str]:
    """The names of the enterprises and jurisdictions the rows refer to, by table and code."""
    found: dict[tuple[str | None, Any], str] = {}
    for referred, (code, label) in NAMED.items():
        codes = {row[c.name] for c in columns if _refers(c) == referred for row in rows}
        codes.discard(None)
        if codes:
            named = db.execute(select(code, label).where(code.in_(sorted(codes))))
            found |= {(referred, value): text for value, text in named if text}
    return found


def _file_page(spec: TableSpec, column: ColumnSpec) -> str | None:
    names = column.field.references or (spec.name if spec.key == (column.name,) else None)
    return None if names is None else FILE_PAGES.get(names)


def shown(column: ColumnSpec, value: Any) -> str:
    """A value as a bureau reads it: codes by their Chinese name (an industry by its GB/T 4754
    division's), 是/否, numbers grouped."""
    if value is None:
        return ""
    if column.name == "industry_code":
        return industry_name(str(value)) or ""
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


def annual_figures(
    db: Session, credit_code: str | None, names: Sequence[str]
) -> tuple[list[int], dict[str, list[float | None]]]:
    """An enterprise's years on record and, per figure of ``names``, its value in each of them
    (``figures[name][i]`` is of ``years[i]``); nothing without an enterprise."""
    if credit_code is None:
        return [], {}
    rows = db.scalars(
        select(AnnualMetric)
        .where(AnnualMetric.credit_code == credit_code)
        .order_by(AnnualMetric.year)
    ).all()
    return [r.year for r in rows], {name: [getattr(r, name) for r in rows] for name in names}


def findings_about(db: Session, subjects: Mapping[str, Collection[str]]) -> list[dict[str, Any]]:
    """The run of record's findings about the subjects, given as ids by subject type
    (``{"parcel": [...]}``), with their evidence (the figures compared) and source (the clause
    of the policy applied)."""
    run = run_of_record(session=db)
    wanted = [
        and_(Finding.subject_type == kind, Finding.subject_id.in_(sorted(ids)))
        for kind, ids in subjects.items()
        if ids
    ]
    if run is None or not wanted:
        return []
    found = db.scalars(
        select(Finding)
        .where(Finding.run_id == run.id, or_(*wanted))
        .order_by(Finding.subject_type, Finding.subject_id, Finding.criterion)
    ).all()
    return [
        {
            "run": run.id,
            "criterion": f.criterion,
            "category": f.category,
            "subject_type": f.subject_type,
            "subject_id": f.subject_id,
            "key": f.key,
            "evidence": json.loads(f.evidence),
            "source": f.source,
        }
        for f in found
    ]
