"""The interchange format (interface.md §1), read off the records models.

Each :class:`TableSpec` names a file (``parcels.csv``) or sheet, its Chinese sheet name, its
columns with their Chinese headers, its natural key and its row-level checks. Nothing here is
declared twice: the models in :mod:`mujun.records` are the source. A column derived from the
facts (:func:`mujun.records.fields.derived`) is no part of the format.
"""

import re
from dataclasses import dataclass
from functools import cache

from sqlalchemy import Table

from mujun.records import DATA_MODELS, table_of
from mujun.records.fields import Field, ValueKind, field_of, is_fact


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    field: Field

    @property
    def label_zh(self) -> str:
        return self.field.label_zh

    @property
    def kind(self) -> ValueKind:
        return self.field.kind

    @property
    def required(self) -> bool:
        return self.field.required


@dataclass(frozen=True)
class TableSpec:
    table: Table  # the records table it is stored in
    name: str
    label_zh: str
    columns: tuple[ColumnSpec, ...]
    key: tuple[str, ...]
    in_order: tuple[tuple[str, str], ...]  # (earlier, later): later may not precede earlier
    not_above: tuple[tuple[str, str], ...]  # (part, whole): part may not exceed whole

    @property
    def file_name(self) -> str:
        return f"{self.name}.csv"

    def column(self, name: str) -> ColumnSpec:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


@cache
def tables() -> tuple[TableSpec, ...]:
    """Every table of the interchange format, each after the tables it refers to."""
    specs = []
    for model in DATA_MODELS:
        table = table_of(model)
        info = table.info
        specs.append(
            TableSpec(
                table=table,
                name=table.name,
                label_zh=info["label_zh"],
                columns=tuple(ColumnSpec(c.name, field_of(c)) for c in table.columns if is_fact(c)),
                key=tuple(c.name for c in table.primary_key.columns),
                in_order=info.get("in_order", ()),
                not_above=info.get("not_above", ()),
            )
        )
    return tuple(specs)


def table(name: str) -> TableSpec:
    return next(t for t in tables() if t.name == name)


def _folded(text: str) -> str:
    """A header or sheet name folded for matching: case, blanks and bracket styles ignored."""
    text = text.strip().lower().replace("（", "(").replace("）", ")").replace("　", "")
    return re.sub(r"\s+", "", text)


@cache
def _table_names() -> dict[str, TableSpec]:
    names: dict[str, TableSpec] = {}
    for spec in tables():
        for alias in (spec.name, spec.file_name, spec.label_zh):
            names[_folded(alias)] = spec
    return names


def table_for_name(name: str) -> TableSpec | None:
    """The table a file stem or sheet name stands for, English or Chinese, if any."""
    return _table_names().get(_folded(name))


def column_for_header(spec: TableSpec, header: str) -> ColumnSpec | None:
    """The column a header names: its English name, its Chinese header, or both together as
    ``宗地号(parcel_id)`` / ``parcel_id(宗地号)``, and the Chinese header without its unit."""
    folded = _folded(header)
    for column in spec.columns:
        english, chinese = _folded(column.name), _folded(column.label_zh)
        bare_chinese = re.sub(r"\(.*\)$", "", chinese)
        if folded in {
            english,
            chinese,
            bare_chinese,
            f"{chinese}({english})",
            f"{bare_chinese}({english})",
            f"{english}({chinese})",
            f"{english}({bare_chinese})",
        }:
            return column
    return None
