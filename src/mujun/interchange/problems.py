"""What is wrong with a data set, cell by cell, in words an official can act on.

A :class:`Reason` is declared next to the check that finds it, with its English and Chinese
wording; a :class:`Problem` places one reason at a file, row, column and value.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Language = Literal["zh", "en"]


@dataclass(frozen=True)
class Reason:
    """A kind of problem: a stable code for machines and a sentence in each language.

    The sentences are ``str.format`` templates over the problem's ``params``.
    """

    code: str
    en: str
    zh: str

    def text(self, lang: Language, params: Mapping[str, object]) -> str:
        return (self.zh if lang == "zh" else self.en).format(**params)


@dataclass(frozen=True)
class Problem:
    """One bad cell, row, column or file of a data set.

    ``row`` is the row number the file shows (a spreadsheet's own numbering; a CSV's header is
    row 1); ``column`` is the interchange column name, or the header as written when it matches
    none. Once the data set is read, :func:`mujun.interchange.naming.name_records` adds
    ``header``, the column as the file named it, and ``record``, the natural key of the row's
    record as written (interchange column -> value), e.g. ``{"parcel_id": "PBAD1"}``.
    """

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: Reason
    params: Mapping[str, object] = field(default_factory=dict)
    header: str | None = None
    record: Mapping[str, str] | None = None

    def message(self, lang: Language = "zh") -> str:
        return self.reason.text(lang, self.params)

    @property
    def shown_column(self) -> str | None:
        """The column as the file named it, else its interchange name."""
        return self.header or self.column

    @property
    def record_text(self) -> str | None:
        """The record's key as a person reads it: ``PBAD1``, ``91330122MA2H0X0X01 / 2025``."""
        return " / ".join(self.record.values()) if self.record else None

    def as_dict(self, lang: Language = "zh") -> dict[str, object]:
        return {
            "file": self.file,
            "row": self.row,
            "record": dict(self.record) if self.record else None,
            "column": self.column,
            "header": self.header,
            "value": self.value,
            "code": self.reason.code,
            "reason": self.message(lang),
        }


@dataclass(frozen=True)
class Notice:
    """Something passed over, or read in a way worth knowing: not a problem."""

    reason: Reason
    params: Mapping[str, object] = field(default_factory=dict)

    def message(self, lang: Language = "zh") -> str:
        return self.reason.text(lang, self.params)

    def __str__(self) -> str:
        return f"{self.message('zh')} / {self.message('en')}"
