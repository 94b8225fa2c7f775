"""Column declarations shared by the records and the interchange format.

A model column is declared once, with :func:`attribute`: its SQL type follows from its value kind,
and its interchange metadata (Chinese header, whether required, allowed codes, what it refers
to) travels in ``Column.info`` so that import, export and templates all read the same truth.
"""

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column
from sqlalchemy.types import TypeEngine

from mujun.records.vocabulary import Coded


class ValueKind(StrEnum):
    """How a cell's text is read and checked."""

    TEXT = "text"
    INTEGER = "integer"
    YEAR = "year"
    NUMBER = "number"
    SHARE = "share"  # a number from 0 to 1
    DATE = "date"  # YYYY-MM-DD
    MONTH = "month"  # YYYY-MM
    BOOLEAN = "boolean"
    CODE = "code"  # one of a Coded enum
    CREDIT_CODE = "credit_code"  # 统一社会信用代码, GB 32100
    WKT = "wkt"  # polygon in CGCS2000 lon-lat


_SQL_TYPES: dict[ValueKind, TypeEngine[Any]] = {
    ValueKind.TEXT: String(),
    ValueKind.INTEGER: Integer(),
    ValueKind.YEAR: Integer(),
    ValueKind.NUMBER: Float(),
    ValueKind.SHARE: Float(),
    ValueKind.DATE: Date(),
    ValueKind.MONTH: String(7),
    ValueKind.BOOLEAN: Boolean(),
    ValueKind.CODE: String(32),
    ValueKind.CREDIT_CODE: String(18),
    ValueKind.WKT: Text(),
}


@dataclass(frozen=True)
class Field:
    """What the interchange format knows about one column."""

    label_zh: str
    kind: ValueKind
    required: bool
    choices: type[Coded] | None
    references: str | None  # name of the table whose single-column key this column names
    non_negative: bool
    help_zh: str


def attribute(
    label_zh: str,
    kind: ValueKind,
    *,
    key: bool = False,
    required: bool = False,
    choices: type[Coded] | None = None,
    references: str | None = None,
    non_negative: bool = False,
    help_zh: str = "",
) -> MappedColumn[Any]:
    """Declare a records column together with its interchange metadata.

    ``references`` names a table ("enterprises"); the foreign key points at that table's key and
    is deferred to commit, so one data set may name records it brings in any order.
    """
    if (kind is ValueKind.CODE) != (choices is not None):
        raise ValueError(f"{label_zh}: a CODE column needs choices, and only it")
    constraints = (
        [ForeignKey(f"{references}.{_KEY_OF[references]}", deferrable=True, initially="DEFERRED")]
        if references
        else []
    )
    return mapped_column(
        _SQL_TYPES[kind],
        *constraints,
        primary_key=key,
        nullable=not (key or required),
        index=bool(references) and not key,
        info={
            "field": Field(
                label_zh=label_zh,
                kind=kind,
                required=key or required,
                choices=choices,
                references=references,
                non_negative=non_negative,
                help_zh=help_zh,
            )
        },
    )


def derived(sql_type: TypeEngine[Any], *, index: bool = True) -> MappedColumn[Any]:
    """Declare a column derived from the facts (:mod:`mujun.analytics.derived`), indexed for the
    lists that filter by it (unless the table declares an index of its own): refreshed by the
    importer, never imported, exported or logged, and not among the facts the rules read."""
    return mapped_column(sql_type, nullable=True, index=index, info={"derived": True})


class Imported:
    """A table of facts that departments supply: each record names the import that inserted
    it. An import's inserts are logged by this column and the file kept with the import
    (:mod:`mujun.records.archive`) rather than by a change-log row each, whose snapshots of
    millions of new rows cost more than the rows themselves; its updates keep their change
    rows with the values before and after (:mod:`mujun.records.changes`). A record inserted
    any other way has its insert logged and no import named. Provenance, not a fact: never
    imported, exported, logged or read by the rules."""

    imported_by: Mapped[int | None] = mapped_column(
        Integer, nullable=True, info={"provenance": True}, sort_order=100
    )


IMPORTED_BY = "imported_by"
"""The name of :class:`Imported`'s column."""


def is_fact(column: Any) -> bool:
    """Whether a model column holds a fact: neither derived from the facts (:func:`derived`)
    nor the record's provenance (:class:`Imported`)."""
    return not (column.info.get("derived") or column.info.get("provenance"))


# The single-column key of every table another table may refer to.
_KEY_OF = {
    "jurisdictions": "code",
    "enterprises": "credit_code",
    "parcels": "parcel_id",
}


def field_of(column: Any) -> Field:
    """The interchange metadata of a model column."""
    field: Field = column.info["field"]
    return field
