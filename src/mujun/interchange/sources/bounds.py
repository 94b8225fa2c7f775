"""What a workbook would make the reader do, read before it is parsed: the archive's sizes from
its directory, and each sheet's used range from a streaming pass over the sheet's XML (the
workbook reader holds the whole range in memory, every empty cell of it included)."""

import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mujun.interchange.sources.csv_files import CHUNK_BYTES

# A cell's reference (<c r="AB12" ...>: the column letters) and a row's number (<row r="12">),
# with or without a namespace prefix.
_CELL_COLUMN = re.compile(rb'<(?:\w+:)?c\s[^>]*?\br="([A-Z]{1,3})\d')
_ROW_NUMBER = re.compile(rb'<(?:\w+:)?row\s[^>]*?\br="(\d{1,9})"')
_ELEMENT = re.compile(rb"<(?:\w+:)?(?:c|row)[\s>/]")
_CARRY = 512  # a tag cut by a chunk's end is matched again with the next chunk


@dataclass(frozen=True)
class Archive:
    unpacked_bytes: int
    worst_member: str | None  # the member compressed the most, and by how much
    worst_ratio: float


def archive(path: Path) -> Archive:
    """The sizes a zip archive's directory gives, nothing unpacked."""
    with zipfile.ZipFile(path) as book:
        members = book.infolist()
    ratios = [(m.file_size / max(m.compress_size, 1), m.filename) for m in members]
    ratio, worst = max(ratios, default=(0.0, None))
    return Archive(sum(m.file_size for m in members), worst, ratio)


@dataclass(frozen=True)
class UsedRange:
    rows: int
    cells: int  # rows × columns, or (cells without references) how many cells there are


def used_range(path: Path, part: str) -> UsedRange:
    """A sheet's used range, from the references of its cells and rows."""
    rows = elements = 0
    letters: set[bytes] = set()
    with zipfile.ZipFile(path) as book, book.open(part) as stream:
        carry = b""
        while chunk := stream.read(CHUNK_BYTES):
            window = carry + chunk
            tail = window.rfind(b"<", max(0, len(window) - _CARRY))
            body, carry = (window[:tail], window[tail:]) if tail >= 0 else (window, b"")
            letters.update(_CELL_COLUMN.findall(body))
            rows = max([rows, *map(int, _ROW_NUMBER.findall(body))])
            elements += len(_ELEMENT.findall(body))
    columns = max((_column_number(c) for c in letters), default=0)
    return UsedRange(rows, max(rows * columns, elements))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number
