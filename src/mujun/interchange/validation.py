"""Checking a data set: every cell typed and checked, then rows, keys and references.

All checks are SQL over the raw text tables in DuckDB (no Python loop over rows), so a province
data set is checked in seconds. Each cell gets at most one problem, the first that applies in
this order: required, readable as its kind, then the kind's own limits. Rows are then checked
for their date order and part/whole pairs, keys for duplicates within the file, and references
against the data set and the records already in the database.
"""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa
import shapely
from duckdb.func import FunctionNullHandling, PythonUDFType

from mujun.interchange import credit_code
from mujun.interchange.problems import Problem, Reason
from mujun.interchange.raw import RawTable
from mujun.interchange.schema import ColumnSpec, TableSpec, table
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
    """A raw table whose cells are typed: ``relation`` holds ``_row`` and ``columns``."""

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
class _Limit:
    """A check on a typed value ``t``: ``failing`` is SQL true when it fails."""

    failing: str
    reason: Reason
    detail: str = "NULL"


def _typed(column: ColumnSpec, text: str) -> str:
    """SQL that reads the text expression ``text`` as the column's kind (NULL if unreadable)."""
    number = f"replace(replace({text}, ',', ''), '，', '')"
    match column.kind:
        case ValueKind.TEXT | ValueKind.WKT:
            return text
        case ValueKind.INTEGER:
            return f"TRY_CAST({number} AS BIGINT)"
        case ValueKind.YEAR:
            return f"TRY_CAST(rtrim({text}, '年') AS BIGINT)"
        case ValueKind.NUMBER:
            return f"TRY_CAST({number} AS DOUBLE)"
        case ValueKind.SHARE:
            return (
                f"CASE WHEN {text} LIKE '%\\%' ESCAPE '\\' "
                f"THEN TRY_CAST(rtrim({text}, '%') AS DOUBLE) / 100 "
                f"ELSE TRY_CAST({number} AS DOUBLE) END"
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
    """SQL for the GB 32100 check character of a well-formed credit code expression."""
    alphabet = literal(credit_code.ALPHABET)
    weights = "[" + ", ".join(str(w) for w in credit_code.WEIGHTS) + "]"
    total = (
        f"list_sum(list_transform(range(17), lambda i: "
        f"(strpos({alphabet}, substr({code}, i + 1, 1)) - 1) * {weights}[i + 1]))"
    )
    return f"substr({alphabet}, CAST((31 - {total} % 31) % 31 + 1 AS BIGINT), 1)"


def _range(low: object, high: object) -> str:
    return literal(f"{low} – {high}")


def _limits(column: ColumnSpec, t: str) -> list[_Limit]:
    limits = []
    if column.kind in (ValueKind.NUMBER, ValueKind.SHARE):
        limits.append(_Limit(f"NOT isfinite({t})", NOT_FINITE))
    if column.kind is ValueKind.INTEGER:
        failing = f"{t} NOT BETWEEN {INTEGER_MIN} AND {INTEGER_MAX}"
        limits.append(_Limit(failing, INTEGER_RANGE, _range(INTEGER_MIN, INTEGER_MAX)))
    if column.field.non_negative:
        limits.append(_Limit(f"{t} < 0", NEGATIVE))
    match column.kind:
        case ValueKind.DATE:
            failing = (
                f"{t} NOT BETWEEN DATE {literal(str(DATE_MIN))} AND DATE {literal(str(DATE_MAX))}"
            )
            limits.append(_Limit(failing, DATE_RANGE, _range(DATE_MIN, DATE_MAX)))
        case ValueKind.MONTH:
            low, high = f"{DATE_MIN:%Y-%m}", f"{DATE_MAX:%Y-%m}"
            failing = f"{t} NOT BETWEEN {literal(low)} AND {literal(high)}"
            limits.append(_Limit(failing, DATE_RANGE, _range(low, high)))
        case ValueKind.SHARE:
            limits.append(_Limit(f"{t} < 0 OR {t} > 1", SHARE_RANGE))
        case ValueKind.YEAR:
            limits.append(_Limit(f"{t} NOT BETWEEN {YEAR_MIN} AND {YEAR_MAX}", YEAR_RANGE))
        case ValueKind.CREDIT_CODE:
            expected = _expected_check_character(t)
            limits.append(_Limit(f"substr({t}, 18, 1) <> {expected}", CREDIT_CODE_CHECK, expected))
        case ValueKind.WKT:
            problem = f"{_GEOMETRY_UDF}({t})"
            limits.append(_Limit(f"{problem} IS NOT NULL", BAD_GEOMETRY, problem))
    return limits


def _cell_problems_sql(checked: str, column: ColumnSpec, words: str | None) -> str:
    """The problems of the column's cells. A cell's problem depends on its text alone: with
    ``words`` (the column's distinct texts, typed: see :data:`_REPEATING`) each text is judged
    once and its problem given to every row that has it."""
    text, t = quoted(column.name + "__text"), quoted(column.name)
    whens = []
    if column.required:
        whens.append((f"{text} IS NULL", REQUIRED, "NULL"))
    if column.kind in _UNREADABLE:
        whens.append((f"{text} IS NOT NULL AND {t} IS NULL", _UNREADABLE[column.kind], "NULL"))
    whens += [(limit.failing, limit.reason, limit.detail) for limit in _limits(column, t)]
    if not whens:
        return ""
    code = " ".join(f"WHEN {cond} THEN {literal(r.code)}" for cond, r, _ in whens)
    detail = " ".join(f"WHEN {cond} THEN CAST({d} AS VARCHAR)" for cond, _, d in whens)
    judged = f"{text}, CASE {code} END AS code, CASE {detail} END AS detail"
    if words is None:
        return f"""
        SELECT _row, {literal(column.name)} AS col, {text} AS value, code, detail, NULL AS other
        FROM (SELECT _row, {judged} FROM {checked})
        WHERE code IS NOT NULL"""
    return f"""
        SELECT c._row, {literal(column.name)} AS col, c.{text} AS value, w.code, w.detail,
               NULL AS other
        FROM {checked} c
        JOIN (SELECT {judged} FROM {words}) w ON c.{text} IS NOT DISTINCT FROM w.{text}
        WHERE w.code IS NOT NULL"""


# -- rows, keys, references --------------------------------------------------------------


def _pair_problems_sql(checked: str, spec: TableSpec, present: set[str]) -> list[str]:
    queries = []
    for pairs, reason in ((spec.in_order, OUT_OF_ORDER), (spec.not_above, EXCEEDS)):
        for first, second in pairs:
            if {first, second} <= present:
                # in_order: the later may not precede the earlier; not_above: part <= whole.
                flagged, other, failing = (
                    (second, first, f"{quoted(second)} < {quoted(first)}")
                    if reason is OUT_OF_ORDER
                    else (first, second, f"{quoted(first)} > {quoted(second)}")
                )
                queries.append(f"""
                    SELECT _row, {literal(flagged)} AS col, {quoted(flagged + "__text")} AS value,
                           {literal(reason.code)} AS code,
                           CAST({quoted(other)} AS VARCHAR) AS detail, {literal(other)} AS other
                    FROM {checked} WHERE {failing}""")
    return queries


def _duplicate_problems_sql(checked: str, spec: TableSpec, present: set[str]) -> str:
    if not set(spec.key) <= present:
        return ""
    keys = ", ".join(quoted(k) for k in spec.key)
    shown = " || '|' || ".join(f"CAST(c.{quoted(k)} AS VARCHAR)" for k in spec.key)
    not_null = " AND ".join(f"{quoted(k)} IS NOT NULL" for k in spec.key)
    same = " AND ".join(f"c.{quoted(k)} = d.{quoted(k)}" for k in spec.key)
    return f"""
        SELECT c._row, {literal(spec.key[0])} AS col, {shown} AS value,
               {literal(DUPLICATE_KEY.code)} AS code,
               array_to_string(list_filter(d.rows, lambda r: r <> c._row), ', ') AS detail,
               NULL AS other
        FROM {checked} c
        JOIN (SELECT {keys}, list(_row ORDER BY _row) AS rows FROM {checked} WHERE {not_null}
              GROUP BY {keys} HAVING count(*) > 1) d ON {same}"""


def _reference_problems_sql(checked: str, column: ColumnSpec, keys_relation: str) -> str:
    t = quoted(column.name)
    return f"""
        SELECT _row, {literal(column.name)} AS col, {quoted(column.name + "__text")} AS value,
               {literal(UNKNOWN_REFERENCE.code)} AS code, NULL AS detail, NULL AS other
        FROM {checked} c
        WHERE {t} IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM {keys_relation} k WHERE k.key = c.{t})"""


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
    database, so that a data set may refer to records imported earlier.
    """
    register_geometry_check(db)
    checked_tables: list[CheckedTable] = []
    problem_queries: list[tuple[RawTable, str]] = []
    for done, raw in enumerate(raw_tables):
        on_progress(raw.label, done / len(raw_tables))
        present = [c for c in raw.spec.columns if c.name in raw.column_index]
        checked = f"checked_{raw.relation}"
        words = {c.name: _words(db, raw.relation, c) for c in present if c.kind in _REPEATING}
        selected = ", ".join(
            f"r.{quoted(c.name)} AS {quoted(c.name + '__text')}, "
            + (
                f"{quoted(words[c.name])}.{quoted(c.name)}"
                if c.name in words
                else _typed(c, f"r.{quoted(c.name)}")
            )
            + f" AS {quoted(c.name)}"
            for c in present
        )
        joins = "".join(
            f" LEFT JOIN {quoted(table)} ON r.{quoted(name)} = "
            f"{quoted(table)}.{quoted(name + '__text')}"
            for name, table in words.items()
        )
        db.execute(
            f"CREATE OR REPLACE TABLE {checked} AS SELECT r._row, {selected} "
            f"FROM {raw.relation} r{joins}"
        )
        names = {c.name for c in present}
        queries = [_cell_problems_sql(checked, c, words.get(c.name)) for c in present]
        queries += _pair_problems_sql(checked, raw.spec, names)
        queries.append(_duplicate_problems_sql(checked, raw.spec, names))
        problem_queries += [(raw, q) for q in queries if q]
        checked_tables.append(CheckedTable(raw, checked, tuple(c.name for c in present)))

    by_name = {t.spec.name: t for t in checked_tables}
    for referring in checked_tables:
        for column in referring.spec.columns:
            target = column.field.references
            if target is None or column.name not in referring.columns:
                continue
            keys = _key_relation(db, target, by_name.get(target), existing_keys)
            problem_queries.append(
                (referring.raw, _reference_problems_sql(referring.relation, column, keys))
            )

    # One problem per cell: the first found, so a malformed code is not also "unknown".
    problems: dict[tuple[str, int, str], Problem] = {}
    for raw, query in problem_queries:
        for found in db.execute(query).fetchall():
            problems.setdefault((raw.label, found[0], found[1]), _problem(raw, found))
    return checked_tables, sorted(problems.values(), key=lambda p: (p.file, p.row or 0))


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
    """A table of the column's distinct texts (NULL included), each with its typed value."""
    words = f"words_{relation}_{column.name}"
    text = quoted(column.name + "__text")
    db.execute(
        f"CREATE OR REPLACE TABLE {quoted(words)} AS "
        f"SELECT {text}, {_typed(column, text)} AS {quoted(column.name)} "
        f"FROM (SELECT DISTINCT {quoted(column.name)} AS {text} FROM {relation})"
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
