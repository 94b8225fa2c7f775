"""Checking a data set: every cell typed and checked, then rows, keys and references.

All checks are SQL over the raw text tables in DuckDB (no Python loop over rows), so a province
data set is checked in seconds. Each cell gets at most one problem, the first that applies in
this order: required, readable as its kind, then the kind's own limits. Rows are then checked
for their date order and part/whole pairs, keys for duplicates within the file, and references
against the data set and the records already in the database.

A table's cells are typed, and every check of its cells and rows judged, in the one pass over
its rows that makes its checked table; the problems are then read from the few rows in which a
check failed, not from every row once a check.
"""

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from duckdb.func import FunctionNullHandling, PythonUDFType

from mujun.interchange import credit_code
from mujun.interchange.problems import Problem, Reason
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import ColumnSpec, TableSpec, table, tables
from mujun.interchange.sql import identifier as quoted
from mujun.interchange.sql import literal
from mujun.progress import Progress, silent
from mujun.records.fields import ValueKind

REQUIRED = Reason("required", "{name}: a value is required", "{label}为必填项，不能为空")
NOT_INTEGER = Reason("not_integer", "{name}: not a whole number", "{label}不是整数")
NOT_NUMBER = Reason("not_number", "{name}: not a number", "{label}不是数值")
NOT_DATE = Reason(
    "not_date",
    "{name}: not a date (YYYY-MM-DD), or no such day",
    "{label}不是有效日期（应为 YYYY-MM-DD，且该日存在）",
)
NOT_MONTH = Reason(
    "not_month", "{name}: not a month (YYYY-MM)", "{label}不是有效月份（应为 YYYY-MM）"
)
NOT_BOOLEAN = Reason("not_boolean", "{name}: not true/false", "{label}应填“是”或“否”")
NOT_A_CHOICE = Reason(
    "not_a_choice", "{name}: not one of {allowed_en}", "{label}不在可选值内（{allowed_zh}）"
)
CREDIT_CODE_FORMAT = Reason(
    "credit_code_format",
    "{name}: a credit code is 18 characters of 0-9 and A-Y without I, O, S, V, Z",
    "{label}应为 18 位，由数字和除 I、O、S、V、Z 以外的大写字母组成",
)
CREDIT_CODE_CHECK = Reason(
    "credit_code_check_digit",
    "{name}: wrong check character (GB 32100 gives {detail})",
    "{label}校验位错误（按 GB 32100 应为 {detail}）",
)
NOT_FINITE = Reason(
    "not_finite",
    "{name}: not a finite number (infinity or NaN)",
    "{label}不是有限数值（无穷大或 NaN）",
)
INTEGER_RANGE = Reason(
    "integer_range",
    "{name}: a whole number from {detail}",
    "{label}应为 {detail} 之间的整数",
)
NEGATIVE = Reason("negative", "{name}: may not be negative", "{label}不能为负数")
SHARE_RANGE = Reason("share_range", "{name}: must be from 0 to 1", "{label}应在 0 到 1 之间")
YEAR_RANGE = Reason(
    "year_range", "{name}: a year from 1949 to 2100", "{label}应为 1949 至 2100 之间的年份"
)
DATE_RANGE = Reason(
    "date_range",
    "{name}: a date from {detail}",
    "{label}应为 {detail} 之间的日期",
)
BAD_GEOMETRY = Reason("bad_geometry", "{name}: {detail}", "{label}图形有误：{detail}")
OUT_OF_ORDER = Reason(
    "out_of_order",
    "{name}: earlier than {other_name} ({detail})",
    "{label}早于{other_label}（{detail}）",
)
EXCEEDS = Reason(
    "exceeds", "{name}: larger than {other_name} ({detail})", "{label}大于{other_label}（{detail}）"
)
DUPLICATE_KEY = Reason(
    "duplicate_key",
    "the same {key_en} also on row(s) {detail}",
    "与第 {detail} 行重复（{key_zh}相同）",
)
UNKNOWN_REFERENCE = Reason(
    "unknown_reference",
    "{name}: no such {table_en} in this data set or the database",
    "{label}在本次数据和数据库中都找不到对应的{table_zh}",
)

YEAR_MIN, YEAR_MAX = 1949, 2100
# The dates (and months) a record may carry: from the founding of the PRC, whose land records
# these are, to the end of the years a plan or a deadline may reach.
DATE_MIN, DATE_MAX = dt.date(1949, 10, 1), dt.date(2100, 12, 31)
# What the records' INTEGER columns hold (PostgreSQL's 32-bit integer).
INTEGER_MIN, INTEGER_MAX = -(2**31), 2**31 - 1
# CGCS2000 lon-lat extent of China, generously: a projected coordinate fails it.
LON_MIN, LON_MAX, LAT_MIN, LAT_MAX = 73.0, 136.0, 3.0, 54.0
_GEOMETRY_UDF = "mujun_geometry_problem"
_DATE_FORMATS = "['%Y-%m-%d', '%Y/%m/%d', '%Y.%m.%d', '%Y年%m月%d日']"
_MONTH_FORMATS = "['%Y-%m', '%Y/%m', '%Y.%m', '%Y年%m月', '%Y-%m-%d', '%Y/%m/%d']"
_TRUE = ("true", "t", "1", "yes", "y", "是")
_FALSE = ("false", "f", "0", "no", "n", "否")


@dataclass(frozen=True)
class CheckedTable:
    """A raw table whose cells are typed: ``relation`` holds ``_row``, ``columns`` and
    ``_suspect``, true for a row in which a check of a cell or of the row failed."""

    raw: RawTable
    relation: str
    columns: tuple[str, ...]

    @property
    def spec(self) -> TableSpec:
        return self.raw.spec


def _in_list(values: Sequence[str]) -> str:
    return "(" + ", ".join(literal(v) for v in values) + ")"


# -- cells ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Check:
    """A check on a cell: ``failing`` is SQL true when the cell fails it."""

    failing: str
    reason: Reason
    detail: str = "NULL"


def _typed(column: ColumnSpec, text: str) -> str:
    """SQL that reads the text expression ``text`` as the column's kind (NULL if unreadable)."""
    match column.kind:
        case ValueKind.TEXT | ValueKind.WKT:
            return text
        case ValueKind.INTEGER:
            return _number(text, "BIGINT")
        case ValueKind.YEAR:
            return f"TRY_CAST(rtrim({text}, '年') AS BIGINT)"
        case ValueKind.NUMBER:
            return _number(text, "DOUBLE")
        case ValueKind.SHARE:
            return (
                f"CASE WHEN {text} LIKE '%\\%' ESCAPE '\\' "
                f"THEN TRY_CAST(rtrim({text}, '%') AS DOUBLE) / 100 "
                f"ELSE {_number(text, 'DOUBLE')} END"
            )
        case ValueKind.DATE:
            return f"CAST(TRY_STRPTIME({text}, {_DATE_FORMATS}) AS DATE)"
        case ValueKind.MONTH:
            return f"strftime(TRY_STRPTIME({text}, {_MONTH_FORMATS}), '%Y-%m')"
        case ValueKind.BOOLEAN:
            return (
                f"CASE WHEN lower({text}) IN {_in_list(_TRUE)} THEN true "
                f"WHEN lower({text}) IN {_in_list(_FALSE)} THEN false END"
            )
        case ValueKind.CODE:
            assert column.field.choices is not None
            whens = " ".join(
                f"WHEN lower({text}) IN {_in_list([m.value, m.label_zh])} THEN {literal(m.value)}"
                for m in column.field.choices
            )
            return f"CASE {whens} END"
        case ValueKind.CREDIT_CODE:
            return (
                f"CASE WHEN regexp_full_match(upper({text}), "
                f"'[{credit_code.ALPHABET}]{{{credit_code.LENGTH}}}') THEN upper({text}) END"
            )


def _number(text: str, sql_type: str) -> str:
    """SQL reading ``text`` as a number, thousands separated by commas or not: the text as it
    stands first, and only where that fails (a comma is never read) without its commas, ASCII
    or full-width; removing them from every cell cost more than reading it."""
    return (
        f"coalesce(TRY_CAST({text} AS {sql_type}), "
        f"TRY_CAST(replace(replace({text}, ',', ''), '，', '') AS {sql_type}))"
    )


_UNREADABLE = {
    ValueKind.INTEGER: NOT_INTEGER,
    ValueKind.YEAR: NOT_INTEGER,
    ValueKind.NUMBER: NOT_NUMBER,
    ValueKind.SHARE: NOT_NUMBER,
    ValueKind.DATE: NOT_DATE,
    ValueKind.MONTH: NOT_MONTH,
    ValueKind.BOOLEAN: NOT_BOOLEAN,
    ValueKind.CODE: NOT_A_CHOICE,
    ValueKind.CREDIT_CODE: CREDIT_CODE_FORMAT,
}


def _expected_check_character(code: str) -> str:
    """SQL for the GB 32100 check character of a well-formed credit code expression (the
    weighted sum written out term by term: a list and a lambda over it cost twice as much)."""
    alphabet = literal(credit_code.ALPHABET)
    total = " + ".join(
        f"(strpos({alphabet}, substr({code}, {i + 1}, 1)) - 1) * {weight}"
        for i, weight in enumerate(credit_code.WEIGHTS)
    )
    return f"substr({alphabet}, CAST((31 - ({total}) % 31) % 31 + 1 AS BIGINT), 1)"


def _range(low: object, high: object) -> str:
    return literal(f"{low} – {high}")


def _limits(column: ColumnSpec, t: str) -> list[_Check]:
    limits = []
    if column.kind in (ValueKind.NUMBER, ValueKind.SHARE):
        limits.append(_Check(f"NOT isfinite({t})", NOT_FINITE))
    if column.kind is ValueKind.INTEGER:
        failing = f"{t} NOT BETWEEN {INTEGER_MIN} AND {INTEGER_MAX}"
        limits.append(_Check(failing, INTEGER_RANGE, _range(INTEGER_MIN, INTEGER_MAX)))
    if column.field.non_negative:
        limits.append(_Check(f"{t} < 0", NEGATIVE))
    match column.kind:
        case ValueKind.DATE:
            failing = (
                f"{t} NOT BETWEEN DATE {literal(str(DATE_MIN))} AND DATE {literal(str(DATE_MAX))}"
            )
            limits.append(_Check(failing, DATE_RANGE, _range(DATE_MIN, DATE_MAX)))
        case ValueKind.MONTH:
            low, high = f"{DATE_MIN:%Y-%m}", f"{DATE_MAX:%Y-%m}"
            failing = f"{t} NOT BETWEEN {literal(low)} AND {literal(high)}"
            limits.append(_Check(failing, DATE_RANGE, _range(low, high)))
        case ValueKind.SHARE:
            limits.append(_Check(f"{t} < 0 OR {t} > 1", SHARE_RANGE))
        case ValueKind.YEAR:
            limits.append(_Check(f"{t} NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}", YEAR_RANGE))
        case ValueKind.CREDIT_CODE:
            expected = _expected_check_character(t)
            limits.append(_Check(f"substr({t}, 18, 1) <> {expected}", CREDIT_CODE_CHECK, expected))
        case ValueKind.WKT:
            problem = f"{_GEOMETRY_UDF}({t})"
            limits.append(_Check(f"{problem} IS NOT NULL", BAD_GEOMETRY, problem))
    return limits


def _cell_checks(column: ColumnSpec) -> list[_Check]:
    """The checks on a cell of the column, in the order it is judged (a cell's problem is the
    first it fails), over its text ``<name>__text`` and its typed value ``<name>``: required,
    readable as its kind, then the kind's own limits."""
    text, t = quoted(column.name + "__text"), quoted(column.name)
    checks = []
    if column.required:
        checks.append(_Check(f"{text} IS NULL", REQUIRED))
    if column.kind in _UNREADABLE:
        checks.append(_Check(f"{text} IS NOT NULL AND {t} IS NULL", _UNREADABLE[column.kind]))
    return checks + _limits(column, t)


def _any_sql(conditions: Sequence[str]) -> str:
    """SQL true when one of ``conditions`` is true, else false (never NULL)."""
    return (
        f"coalesce({' OR '.join(f'({c})' for c in conditions)}, false)" if conditions else "false"
    )


def _cell_problems_sql(suspects: str, column: ColumnSpec) -> str:
    """The problems of the column's cells among the rows ``suspects``."""
    checks = _cell_checks(column)
    if not checks:
        return ""
    text = quoted(column.name + "__text")
    code = " ".join(f"WHEN {c.failing} THEN {literal(c.reason.code)}" for c in checks)
    detail = " ".join(f"WHEN {c.failing} THEN CAST({c.detail} AS VARCHAR)" for c in checks)
    return f"""
        SELECT _row, {literal(column.name)} AS col, {text} AS value, code, detail, NULL AS other
        FROM (SELECT _row, {text}, CASE {code} END AS code, CASE {detail} END AS detail
              FROM {suspects})
        WHERE code IS NOT NULL"""


# -- rows, keys, references --------------------------------------------------------------


@dataclass(frozen=True)
class _Pair:
    """A check of two typed values of a row: ``failing`` is SQL true when ``flagged`` stands
    wrongly against ``other``."""

    flagged: str
    other: str
    reason: Reason
    failing: str


def _pairs(spec: TableSpec, present: set[str]) -> list[_Pair]:
    """The table's row checks whose columns are both present: a later date may not precede an
    earlier one (``in_order``), nor a part exceed its whole (``not_above``)."""
    return [
        _Pair(later, earlier, OUT_OF_ORDER, f"{quoted(later)} < {quoted(earlier)}")
        for earlier, later in spec.in_order
        if {earlier, later} <= present
    ] + [
        _Pair(part, whole, EXCEEDS, f"{quoted(part)} > {quoted(whole)}")
        for part, whole in spec.not_above
        if {part, whole} <= present
    ]


def _pair_problems_sql(suspects: str, pair: _Pair) -> str:
    return f"""
        SELECT _row, {literal(pair.flagged)} AS col, {quoted(pair.flagged + "__text")} AS value,
               {literal(pair.reason.code)} AS code, CAST({quoted(pair.other)} AS VARCHAR) AS detail,
               {literal(pair.other)} AS other
        FROM {suspects} WHERE {pair.failing}"""


def _duplicate_problems_sql(checked: str, spec: TableSpec, present: set[str]) -> str:
    """The rows whose key another row has too. The rows are grouped twice: all of them by a
    hash of the key, one 64-bit number (a province's 4.8 million monthly rows in half the time
    their key's texts take), then those whose hash repeats by the key itself."""
    if not set(spec.key) <= present:
        return ""
    keys = ", ".join(quoted(k) for k in spec.key)
    shown = " || '|' || ".join(f"CAST({quoted(k)} AS VARCHAR)" for k in spec.key)
    not_null = " AND ".join(f"{quoted(k)} IS NOT NULL" for k in spec.key)
    return f"""
        SELECT _row, {literal(spec.key[0])} AS col, {shown} AS value,
               {literal(DUPLICATE_KEY.code)} AS code,
               array_to_string(list_filter(rows, lambda r: r <> _row), ', ') AS detail,
               NULL AS other
        FROM (SELECT {keys}, rows, unnest(rows) AS _row
              FROM (SELECT {keys}, list(_row ORDER BY _row) AS rows FROM {checked}
                    WHERE {not_null} AND hash({keys}) IN (
                        SELECT hash({keys}) AS h FROM {checked} WHERE {not_null}
                        GROUP BY h HAVING count(*) > 1)
                    GROUP BY {keys} HAVING count(*) > 1))"""


def _reference_problems_sql(
    checked: CheckedTable, column: ColumnSpec, keys_relation: str, words: str | None
) -> str:
    """The rows whose value of ``column`` is no key of ``keys_relation``: sought among the
    column's distinct texts where it has a table of them (``words``), else among its rows."""
    t = quoted(column.name)
    unknown = (
        f"c.{t} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {keys_relation} k WHERE k.key = c.{t})"
    )
    if words is None:
        rows = f"_row IN (SELECT _row FROM {checked.relation} c WHERE {unknown})"
    else:
        text = quoted(column.name + "__text")
        rows = f"{t} IN (SELECT {text} FROM {quoted(words)} c WHERE {unknown})"
    return f"""
        SELECT _row, {literal(column.name)} AS col, {t} AS value,
               {literal(UNKNOWN_REFERENCE.code)} AS code, NULL AS detail, NULL AS other
        FROM {checked.raw.relation} WHERE {rows}"""


# -- the whole data set ---------------------------------------------------------------------


def register_geometry_check(db: duckdb.DuckDBPyConnection) -> None:
    """Make the WKT check available to SQL on ``db`` (vectorised with Shapely)."""
    if db.execute(
        f"SELECT 1 FROM duckdb_functions() WHERE function_name = '{_GEOMETRY_UDF}'"
    ).fetchall():
        return
    db.create_function(
        _GEOMETRY_UDF,
        geometry_problems,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type=PythonUDFType.ARROW,
        null_handling=FunctionNullHandling.SPECIAL,
    )


def geometry_problems(wkt: pa.Array) -> pa.Array:
    """Per WKT text, what is wrong with it as a parcel outline (None when nothing is)."""
    texts = np.asarray(wkt.to_numpy(zero_copy_only=False), dtype=object)
    geometries = shapely.from_wkt(texts, on_invalid="ignore")
    given = np.array([t is not None for t in texts])
    parsed = ~shapely.is_missing(geometries)
    polygonal = np.isin(shapely.get_type_id(geometries), (3, 6))  # Polygon, MultiPolygon
    valid = shapely.is_valid(geometries)
    bounds = shapely.bounds(geometries)
    inside = (
        (bounds[:, 0] >= LON_MIN)
        & (bounds[:, 2] <= LON_MAX)
        & (bounds[:, 1] >= LAT_MIN)
        & (bounds[:, 3] <= LAT_MAX)
    )
    result = np.full(len(texts), None, dtype=object)
    result[given & ~parsed] = "无法解析的 WKT / unreadable WKT"
    result[parsed & ~polygonal] = "不是面（POLYGON/MULTIPOLYGON） / not a polygon"
    not_valid = parsed & polygonal & ~valid
    result[not_valid] = shapely.is_valid_reason(geometries[not_valid])
    outside = parsed & polygonal & valid & ~inside
    result[outside] = "坐标不在 CGCS2000 经纬度范围内 / not CGCS2000 lon-lat"
    return pa.array(result, type=pa.string())


_REASONS = {
    r.code: r
    for r in (
        REQUIRED,
        NOT_INTEGER,
        NOT_NUMBER,
        NOT_DATE,
        NOT_MONTH,
        NOT_BOOLEAN,
        NOT_A_CHOICE,
        CREDIT_CODE_FORMAT,
        CREDIT_CODE_CHECK,
        NOT_FINITE,
        INTEGER_RANGE,
        NEGATIVE,
        SHARE_RANGE,
        DATE_RANGE,
        YEAR_RANGE,
        BAD_GEOMETRY,
        OUT_OF_ORDER,
        EXCEEDS,
        DUPLICATE_KEY,
        UNKNOWN_REFERENCE,
    )
}


# What every check query returns: row, column, value as written, reason code, a detail for the
# message, and the other column a row-level check compared with.
Found = tuple[int, str, str | None, str, str | None, str | None]


def _problem(raw: RawTable, found: Found) -> Problem:
    """A problem row of the check queries, in words."""
    row, col, value, code, detail, other = found
    spec = raw.spec
    column = spec.column(col)
    params: dict[str, object] = {
        "name": col,
        "label": raw.headers.get(col, column.label_zh),
        "detail": detail,
        "key_en": " + ".join(spec.key),
        "key_zh": "、".join(spec.column(k).label_zh for k in spec.key),
    }
    if other:
        params |= {"other_name": other, "other_label": spec.column(other).label_zh}
    if column.field.choices is not None:
        params |= {
            "allowed_en": ", ".join(m.value for m in column.field.choices),
            "allowed_zh": "、".join(m.label_zh for m in column.field.choices),
        }
    if column.field.references is not None:
        referenced = table(column.field.references)
        params |= {"table_en": referenced.name, "table_zh": referenced.label_zh}
    return Problem(raw.label, row, col, value, _REASONS[code], params)


def check_data_set(
    db: duckdb.DuckDBPyConnection,
    raw_tables: Sequence[RawTable],
    *,
    existing_keys: Callable[[str], pa.Array],
    on_progress: Progress = silent,
) -> tuple[list[CheckedTable], list[Problem]]:
    """Type and check every raw table; return the typed tables and every problem found.

    ``existing_keys(table_name)`` gives the keys of a referable table already in the records
    database, so that a data set may refer to records imported earlier. The tables are
    checked each after those it refers to, so that its references are checked with the rest
    of it, its distinct texts at hand (:func:`_words`).

    A raw table in which no problem is found is dropped once checked: nothing reads it again,
    and the text of a province's files (0.9 GB in DuckDB) would otherwise be kept beside the
    typed tables, most of it spilled to disk: the import's spill folder held at most 773 MB
    instead of 1,766 MB, and the import into empty records took 44.5, 42.4 and 41.8 s on
    PostgreSQL against 48.6, 47.4 and 43.9 s (alternating; on SQLite within that machine's
    spread). Problems of the reader are named from the raw tables
    (:func:`~mujun.interchange.naming.name_records`) before the check.
    """
    register_geometry_check(db)
    checked: dict[str, CheckedTable] = {}
    # One problem per cell: the first found, so a malformed code is not also "unknown".
    problems: dict[tuple[str, int, str], Problem] = {}
    for done, raw in enumerate(sorted(raw_tables, key=lambda raw: tables().index(raw.spec))):
        on_progress(raw.label, done / len(raw_tables))
        table_checked, words = _check_table(db, raw)
        checked[raw.spec.name] = table_checked
        found = _table_problems(db, table_checked)
        found += _reference_problems(db, table_checked, words, checked, existing_keys)
        for row in found:
            problems.setdefault((raw.label, row[0], row[1]), _problem(raw, row))
        for words_table in words.values():
            db.execute(f"DROP TABLE {quoted(words_table)}")
        if not found:  # only a problem of its file is named from it (naming.name_records)
            db.execute(f"DROP TABLE {quoted(raw.relation)}")
    return [checked[raw.spec.name] for raw in raw_tables], sorted(
        problems.values(), key=lambda p: (p.file, p.row or 0)
    )


def _check_table(
    db: duckdb.DuckDBPyConnection, raw: RawTable
) -> tuple[CheckedTable, dict[str, str]]:
    """Type the raw table's cells into ``checked_<relation>``, and judge every check of its
    cells and rows, in one pass over the rows: ``_suspect`` marks a row in which a check
    fails, whose problems :func:`_table_problems` then reads. A column whose values repeat
    (:data:`_REPEATING`) is typed and judged once a distinct text, in a table of its words
    (:func:`_words`): returned by column, to be dropped once the table is checked."""
    present = [c for c in raw.spec.columns if c.name in raw.column_index]
    checked = CheckedTable(raw, f"checked_{raw.relation}", tuple(c.name for c in present))
    cells, failing, joins, words_tables = [], [], [], {}
    for column in present:
        text, t = quoted(column.name + "__text"), quoted(column.name)
        cells.append(f"r.{t} AS {text}")
        if column.kind in _REPEATING:
            words_tables[column.name] = _words(db, raw.relation, column)
            words = quoted(words_tables[column.name])
            failed = quoted(column.name + "__failed")
            cells += [f"{words}.{t} AS {t}", f"{words}._failed AS {failed}"]
            failing.append(failed)
            joins.append(f" LEFT JOIN {words} ON r.{t} IS NOT DISTINCT FROM {words}.{text}")
        else:
            cells.append(f"{_typed(column, f'r.{t}')} AS {t}")
            failing += [check.failing for check in _cell_checks(column)]
    failing += [pair.failing for pair in _pairs(raw.spec, set(checked.columns))]
    db.execute(
        f"CREATE OR REPLACE TABLE {checked.relation} AS "
        f"SELECT _row, {typed_columns(checked)}, {_any_sql(failing)} AS _suspect "
        f"FROM (SELECT r._row, {', '.join(cells)} FROM {raw.relation} r{''.join(joins)})"
    )
    return checked, words_tables


def _table_problems(db: duckdb.DuckDBPyConnection, checked: CheckedTable) -> list[Found]:
    """The problems of a checked table's cells, column by column, then of its rows, then of
    its keys: cells and rows read from its suspect rows alone, keys from all."""
    spec, present = checked.spec, set(checked.columns)
    queries = []
    suspects = _suspects(db, checked)
    if suspects is not None:
        queries += [_cell_problems_sql(suspects, spec.column(c)) for c in checked.columns]
        queries += [_pair_problems_sql(suspects, pair) for pair in _pairs(spec, present)]
    queries.append(_duplicate_problems_sql(checked.relation, spec, present))
    found = [row for query in queries if query for row in db.execute(query).fetchall()]
    if suspects is not None:
        db.execute(f"DROP TABLE {suspects}")
    return found


def _reference_problems(
    db: duckdb.DuckDBPyConnection,
    table_checked: CheckedTable,
    words: Mapping[str, str],
    checked: Mapping[str, CheckedTable],
    existing_keys: Callable[[str], pa.Array],
) -> list[Found]:
    """The problems of a checked table's references, column by column: each value looked up
    among the keys of the table it refers to, in the data set (``checked`` by name, the tables
    checked so far) and in the database."""
    found: list[Found] = []
    for column in table_checked.spec.columns:
        target = column.field.references
        if target is not None and column.name in table_checked.columns:
            keys = _key_relation(db, target, checked.get(target), existing_keys)
            query = _reference_problems_sql(table_checked, column, keys, words.get(column.name))
            found += db.execute(query).fetchall()
    return found


def _suspects(db: duckdb.DuckDBPyConnection, checked: CheckedTable) -> str | None:
    """A table of the checked table's suspect rows, each cell typed and as written
    (``<name>__text``); None when no row is suspect."""
    ((any_suspect,),) = db.execute(f"SELECT bool_or(_suspect) FROM {checked.relation}").fetchall()
    if not any_suspect:
        return None
    suspects = f"suspects_{checked.raw.relation}"
    typed = ", ".join(f"c.{quoted(c)}" for c in checked.columns)
    texts = ", ".join(f"r.{quoted(c)} AS {quoted(c + '__text')}" for c in checked.columns)
    db.execute(
        f"CREATE OR REPLACE TABLE {suspects} AS SELECT c._row, {typed}, {texts} "
        f"FROM {checked.relation} c JOIN {checked.raw.relation} r ON c._row = r._row "
        f"WHERE c._suspect"
    )
    return suspects


_REPEATING = frozenset(
    {
        ValueKind.CREDIT_CODE,
        ValueKind.DATE,
        ValueKind.MONTH,
        ValueKind.YEAR,
        ValueKind.CODE,
        ValueKind.BOOLEAN,
    }
)
"""Kinds whose values repeat down a table (an enterprise's code in each of its months, the
month itself, a kind of land) and cost something to read (a pattern, date formats, a check
character): each distinct text is typed and judged once (:func:`_words`), not once a row —
4.8 million monthly rows hold 200,000 codes and 24 months."""


def _words(db: duckdb.DuckDBPyConnection, relation: str, column: ColumnSpec) -> str:
    """A table of the column's distinct texts (NULL included), each with its typed value and
    whether it fails a check of the column's cells (``_failed``)."""
    words = f"words_{relation}_{column.name}"
    text = quoted(column.name + "__text")
    failing = _any_sql([check.failing for check in _cell_checks(column)])
    db.execute(
        f"CREATE OR REPLACE TABLE {quoted(words)} AS SELECT *, {failing} AS _failed FROM ("
        f"SELECT {text}, {_typed(column, text)} AS {quoted(column.name)} "
        f"FROM (SELECT DISTINCT {quoted(column.name)} AS {text} FROM {relation}))"
    )
    return words


def _key_relation(
    db: duckdb.DuckDBPyConnection,
    target: str,
    in_data_set: CheckedTable | None,
    existing_keys: Callable[[str], pa.Array],
) -> str:
    """A DuckDB table ``keys_<target>(key)``: the target's keys in the data set and database."""
    relation = f"keys_{target}"
    if db.execute(f"SELECT 1 FROM duckdb_tables() WHERE table_name = '{relation}'").fetchall():
        return relation
    key = table(target).key[0]
    db.from_arrow(pa.table({"key": existing_keys(target)})).create(relation)
    if in_data_set and key in in_data_set.columns:
        db.execute(
            f"INSERT INTO {relation} SELECT {quoted(key)} FROM {in_data_set.relation} "
            f"WHERE {quoted(key)} IS NOT NULL"
        )
    return relation


def typed_columns(checked: CheckedTable) -> str:
    """SQL select list of a checked table's typed columns (without the text copies)."""
    return ", ".join(quoted(c) for c in checked.columns)
