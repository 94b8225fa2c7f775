"""The generated demo data set: a plausible city of real-looking names, its shape, determinism
and everything the importer checks (of the demo, and of the demo with the planted cases)."""

import io
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
import shapely

from mujun.demo import DEMO_AS_OF, generate, summary
from mujun.demo.geography import build_geography, county_count
from mujun.demo.vocabulary import (
    CITIES,
    NAME_SUFFIXES,
    PARK_KINDS,
    PROVINCE_NAME,
    TOWN_LEVELS,
    TOWN_WORDS,
    short_name,
)
from mujun.interchange.credit_code import is_valid
from mujun.interchange.exporter import write_csv_folder
from mujun.interchange.schema import TableSpec, table, tables
from mujun.interchange.validation import check_data_set
from mujun.records.fields import ValueKind
from tests.planted import planted_city

EXPECTED_TYPES = {
    ValueKind.TEXT: pa.string(),
    ValueKind.CODE: pa.string(),
    ValueKind.CREDIT_CODE: pa.string(),
    ValueKind.WKT: pa.string(),
    ValueKind.MONTH: pa.string(),
    ValueKind.NUMBER: pa.float64(),
    ValueKind.SHARE: pa.float64(),
    ValueKind.INTEGER: pa.int64(),
    ValueKind.YEAR: pa.int64(),
    ValueKind.DATE: pa.date32(),
    ValueKind.BOOLEAN: pa.bool_(),
}
ZHEJIANG_2021_ABOVE_SCALE_TAX_PER_MU = 281_000.0
M2_PER_MU = 10000 / 15
Tables = dict[str, pa.Table]


def _ipc_bytes(data: pa.Table) -> bytes:
    sink = io.BytesIO()
    with pa.ipc.new_stream(sink, data.schema) as writer:
        writer.write_table(data)
    return sink.getvalue()


def _q(name: str) -> str:
    return '"' + name + '"'


# -- shape ----------------------------------------------------------------------------------


def test_every_table_with_exactly_its_columns_and_types(data_set: dict[str, pa.Table]) -> None:
    assert list(data_set) == [spec.name for spec in tables()]
    for spec in tables():
        data = data_set[spec.name]
        assert data.column_names == list(spec.column_names), spec.name
        for column in spec.columns:
            assert data.schema.field(column.name).type == EXPECTED_TYPES[column.kind], (
                f"{spec.name}.{column.name}"
            )
        assert data.num_rows > 0, spec.name


def test_summary_counts_rows(small: dict[str, pa.Table]) -> None:
    counts = summary(small)
    assert list(counts) == [spec.name for spec in tables()]
    assert counts == {name: data.num_rows for name, data in small.items()}


def test_same_seed_gives_byte_identical_tables() -> None:
    first = generate(enterprises=120, seed=3)
    second = generate(enterprises=120, seed=3)
    for name in first:
        assert _ipc_bytes(first[name]) == _ipc_bytes(second[name]), name


def test_other_seed_gives_other_data() -> None:
    first = generate(enterprises=120, seed=3)
    second = generate(enterprises=120, seed=4)
    for name in ("enterprises", "parcels", "annual_metrics", "monthly_metrics"):
        assert not first[name].equals(second[name]), name
    codes = set(first["enterprises"]["credit_code"].to_pylist())
    other = set(second["enterprises"]["credit_code"].to_pylist())
    assert not codes & other


def test_sizes_scale_with_enterprises() -> None:
    small = summary(generate(enterprises=400, seed=2))
    large = summary(generate(enterprises=1600, seed=2))
    assert small["enterprises"] == 400
    assert large["enterprises"] == 1600
    for name in (
        "parcels",
        "land_occupancy",
        "land_contracts",
        "construction",
        "buildings",
        "annual_metrics",
        "monthly_metrics",
    ):
        assert 3.3 < large[name] / small[name] < 4.8, name
    # Per enterprise: about 1.1 parcels, 5 years, 36 months for two thirds of them.
    assert 1.0 < large["parcels"] / 1600 < 1.2
    assert 1.3 < large["buildings"] / 1600 < 1.8
    assert 4.4 < large["annual_metrics"] / 1600 < 5.0
    assert 0.55 * 36 < large["monthly_metrics"] / 1600 < 0.75 * 36


@pytest.mark.parametrize("enterprises", [1, 7, 50])
def test_tiny_populations_are_whole_cities(enterprises: int) -> None:
    data = generate(enterprises=enterprises, seed=1)
    assert summary(data)["enterprises"] == enterprises
    levels = data["jurisdictions"]["level"].to_pylist()
    assert {"city", "county", "town", "park"} <= set(levels)
    assert data["parcels"].num_rows > 0 and data["annual_metrics"].num_rows > 0


def test_rejects_no_enterprises() -> None:
    with pytest.raises(ValueError, match="enterprises"):
        generate(enterprises=0, seed=1)


def test_a_province_has_cities_and_about_ninety_counties() -> None:
    assert county_count(2000) == 3
    assert county_count(200_000) == 90
    geo = build_geography(enterprises=200_000, seed=1)
    levels = geo.table["level"].to_pylist()
    assert levels.count("city") == 11
    assert levels.count("county") == 90
    assert geo.county_code[0] == "330122"  # Tonglu first
    lon = geo.county_lon
    assert lon.max() - lon.min() > 3.0  # spread over a province


def test_a_county_scale_demo_is_one_city_of_three_counties(county: dict[str, pa.Table]) -> None:
    jurisdictions = county["jurisdictions"].to_pylist()
    cities = [j for j in jurisdictions if j["level"] == "city"]
    assert [c["code"] for c in cities] == ["330100"]
    counties = {j["code"] for j in jurisdictions if j["level"] == "county"}
    assert {"330122", "330127", "330182"} <= counties  # Tonglu, Chun'an, Jiande
    parks = [j for j in jurisdictions if j["level"] == "park"]
    assert all(p["code"][:6] == p["parent_code"] and len(p["code"]) == 8 for p in parks)
    towns = [j for j in jurisdictions if j["level"] == "town"]
    assert all(t["code"][:6] == t["parent_code"] and len(t["code"]) == 9 for t in towns)
    assert all(re.fullmatch(r"\d{6}", c) for c in counties)


def _real_looking_jurisdictions(jurisdictions: pa.Table) -> None:
    """Zhejiang's cities and counties under their GB/T 2260 codes; towns of a place word and
    a level; parks named after their county."""
    rows = jurisdictions.to_pylist()
    by_code = {row["code"]: row for row in rows}
    cities = {city.code: city.name for city in CITIES}
    counties = {code: name for city in CITIES for code, name in city.counties}
    towns = {word + level for word in TOWN_WORDS for level in TOWN_LEVELS}
    for row in rows:
        code, name, level = row["code"], row["name"], row["level"]
        if level == "city":
            assert cities[code] == name
        elif level == "county":
            assert counties[code] == name and row["parent_code"] == code[:4] + "00"
        elif level == "town":
            assert name in towns, name
        else:
            county = short_name(by_code[row["parent_code"]]["name"])
            assert name in {county + kind for kind in PARK_KINDS}, name


def test_the_demo_is_a_city_of_real_looking_names(county: dict[str, pa.Table]) -> None:
    """Issue 11: what officials see of the demo — jurisdictions and enterprises on the map,
    lists and cockpit — reads like a real city; nothing planted, no 样例."""
    _real_looking_jurisdictions(county["jurisdictions"])
    _real_looking_jurisdictions(build_geography(enterprises=200_000, seed=1).table)
    place = {j["code"]: j for j in county["jurisdictions"].to_pylist()}
    enterprises = county["enterprises"].to_pylist()
    for enterprise in enterprises:
        name, town = enterprise["name"], place[enterprise["jurisdiction_code"]]
        own = (
            PROVINCE_NAME,  # 浙江…, or its county's name, or its own town's
            short_name(place[town["parent_code"]]["name"]),
            town["name"].removesuffix("街道").removesuffix("镇").removesuffix("乡"),
        )
        assert name.endswith(NAME_SUFFIXES) and name.startswith(own), name
    names = {enterprise["name"] for enterprise in enterprises}
    assert len(names) > 0.9 * len(enterprises)
    for data in county.values():
        for column in data.column_names:
            if data.schema.field(column).type == pa.string():
                values = pc.unique(data[column].drop_null())
                assert not pc.any(pc.match_substring(values, "样例")).as_py(), column


# -- what the importer checks -----------------------------------------------------------------


def test_credit_codes_are_valid_everywhere(data_set: dict[str, pa.Table]) -> None:
    for spec in tables():
        for column in spec.columns:
            if column.kind is ValueKind.CREDIT_CODE:
                values = pc.unique(data_set[spec.name][column.name].drop_null()).to_pylist()
                bad = [v for v in values if not is_valid(v)]
                assert not bad, f"{spec.name}.{column.name}: {bad[:5]}"


def test_natural_keys_are_unique(data_set_db: duckdb.DuckDBPyConnection) -> None:
    for spec in tables():
        keys = ", ".join(_q(k) for k in spec.key)
        duplicates = data_set_db.execute(
            f"SELECT {keys}, count(*) FROM {spec.name} GROUP BY ALL HAVING count(*) > 1 LIMIT 5"
        ).fetchall()
        assert not duplicates, f"{spec.name}: {duplicates}"


def test_references_are_closed(data_set_db: duckdb.DuckDBPyConnection) -> None:
    for spec in tables():
        for column in spec.columns:
            target = column.field.references
            if target is None:
                continue
            key = table(target).key[0]
            dangling = data_set_db.execute(
                f"SELECT {_q(column.name)} FROM {spec.name} WHERE {_q(column.name)} IS NOT NULL "
                f"AND {_q(column.name)} NOT IN (SELECT {_q(key)} FROM {target}) LIMIT 5"
            ).fetchall()
            assert not dangling, f"{spec.name}.{column.name}: {dangling}"


def test_required_columns_are_filled(data_set: dict[str, pa.Table]) -> None:
    for spec in tables():
        for column in spec.columns:
            if column.required:
                nulls = data_set[spec.name][column.name].null_count
                assert nulls == 0, f"{spec.name}.{column.name}"


def _pair_violations(db: duckdb.DuckDBPyConnection, spec: TableSpec) -> list[str]:
    found = []
    for earlier, later in spec.in_order:
        n = db.execute(f"SELECT count(*) FROM {spec.name} WHERE {_q(later)} < {_q(earlier)}")
        if (count := n.fetchone()[0]) > 0:  # type: ignore[index]
            found.append(f"{spec.name}: {later} before {earlier} in {count} rows")
    for part, whole in spec.not_above:
        n = db.execute(f"SELECT count(*) FROM {spec.name} WHERE {_q(part)} > {_q(whole)}")
        if (count := n.fetchone()[0]) > 0:  # type: ignore[index]
            found.append(f"{spec.name}: {part} above {whole} in {count} rows")
    return found


def test_row_checks_hold(data_set_db: duckdb.DuckDBPyConnection) -> None:
    violations = [v for spec in tables() for v in _pair_violations(data_set_db, spec)]
    assert not violations
    assert sum(len(s.in_order) + len(s.not_above) for s in tables()) >= 7  # the checks exist


def test_values_within_their_kinds(data_set: dict[str, pa.Table]) -> None:
    for spec in tables():
        data = data_set[spec.name]
        for column in spec.columns:
            values = data[column.name]
            where = f"{spec.name}.{column.name}"
            if column.field.non_negative:
                assert pc.min(values).as_py() is None or pc.min(values).as_py() >= 0, where
            if column.kind is ValueKind.SHARE:
                assert pc.min(values).as_py() >= 0 and pc.max(values).as_py() <= 1, where
            if column.kind is ValueKind.YEAR:
                assert pc.min(values).as_py() >= 1949 and pc.max(values).as_py() <= 2100, where
            if column.kind is ValueKind.NUMBER:
                assert not pc.any(pc.is_nan(values.drop_null())).as_py(), where
            if column.kind is ValueKind.CODE:
                assert column.field.choices is not None
                allowed = {m.value for m in column.field.choices}
                assert set(pc.unique(values.drop_null()).to_pylist()) <= allowed, where
            if column.kind is ValueKind.MONTH:
                months = pc.unique(values).to_pylist()
                assert all(re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", m) for m in months), where
            if column.kind is ValueKind.DATE:
                # Agreed dates, deadlines and expiries may lie ahead; nothing absurd.
                assert pc.min(values).as_py() >= date(1990, 1, 1), where
                assert pc.max(values).as_py() <= date(2030, 12, 31), where


def test_dates_are_no_later_than_the_as_of_date_where_they_record_facts(
    data_set: dict[str, pa.Table],
) -> None:
    facts = {
        "construction": ("as_of", "started_date", "completed_date", "suspended_since"),
        "buildings": ("completed_date", "production_start_date", "vacant_since"),
        "parcels": ("supply_date",),
        "legal_events": ("date", "closed_date"),
        "compliance": ("since", "resolved_date"),
    }
    for name, columns in facts.items():
        for column in columns:
            assert pc.max(data_set[name][column]).as_py() <= DEMO_AS_OF, f"{name}.{column}"


def test_parcel_outlines_are_valid_polygons_of_about_their_area(
    data_set: dict[str, pa.Table],
) -> None:
    parcels = data_set["parcels"]
    wkt = np.asarray(parcels["geometry_wkt"].to_pylist(), dtype=object)
    shapes = shapely.from_wkt(wkt)
    assert shapely.is_valid(shapes).all()
    assert (shapely.get_type_id(shapes) == 3).all()  # POLYGON
    bounds = shapely.bounds(shapes)
    assert bounds[:, 0].min() >= 73 and bounds[:, 2].max() <= 136
    assert bounds[:, 1].min() >= 3 and bounds[:, 3].max() <= 54
    centroid_lat = shapely.get_y(shapely.centroid(shapes))
    metres2_per_degree2 = 111_320.0 * np.cos(np.radians(centroid_lat)) * 110_574.0
    ratio = shapely.area(shapes) * metres2_per_degree2 / parcels["area_m2"].to_numpy()
    assert ratio.min() > 0.9 and ratio.max() < 1.1


def test_parcel_sizes_are_log_normal_around_25_mu(county: dict[str, pa.Table]) -> None:
    mu = county["parcels"]["area_m2"].to_numpy() / M2_PER_MU
    assert 18 < np.median(mu) < 32
    assert (mu >= 20).mean() > 0.4
    assert (mu >= 30).mean() > 0.25
    assert (mu < 10).mean() > 0.05


def test_the_mix_is_realistic(county_db: duckdb.DuckDBPyConnection) -> None:
    def share(sql: str) -> float:
        value = county_db.execute(sql).fetchone()
        assert value is not None
        return float(value[0])

    assert 0.25 < share("SELECT avg(above_scale::INT) FROM enterprises") < 0.35
    assert share("SELECT avg((status = 'operating')::INT) FROM enterprises") > 0.85
    assert share("SELECT avg((land_use = 'industrial')::INT) FROM parcels") > 0.85
    assert share("SELECT avg((supply_method = 'transfer')::INT) FROM parcels") > 0.8
    assert share("SELECT avg((supply_date < DATE '1999-01-01')::INT) FROM parcels") > 0.01
    assert share("SELECT min(year(supply_date)) FROM parcels") <= 1996
    assert share("SELECT avg((industry_code LIKE 'C%')::INT) FROM enterprises") > 0.99
    # Some enterprises hold land without occupancy rows; some lease land in.
    assert (
        share(
            "SELECT count(*) FROM parcels WHERE holder_credit_code NOT IN "
            "(SELECT credit_code FROM land_occupancy)"
        )
        > 10
    )
    assert share("SELECT count(*) FROM land_occupancy WHERE kind = 'leased_in'") > 10
    assert share("SELECT count(*) FROM parcels WHERE holder_credit_code IS NULL") > 10
    # Unknown figures and missing years.
    assert share("SELECT avg((emission_equiv IS NULL)::INT) FROM annual_metrics") > 0.1
    assert share("SELECT avg((profit_yuan < 0)::INT) FROM annual_metrics") > 0.01
    assert (
        share(
            "SELECT count(*) FROM (SELECT credit_code FROM annual_metrics GROUP BY 1 "
            "HAVING count(*) BETWEEN 1 AND 4)"
        )
        > 10
    )
    assert share("SELECT count(DISTINCT kind) FROM legal_events") == 5
    assert share("SELECT count(DISTINCT kind) FROM compliance") == 6
    assert share("SELECT count(*) FROM compliance WHERE resolved_date IS NULL") > 10
    assert share("SELECT count(*) FROM land_approvals WHERE supplied_area_m2 = 0") > 0
    assert (
        share("SELECT count(*) FROM land_approvals WHERE supplied_area_m2 < approved_area_m2") > 0
    )


def test_monthly_figures_cover_two_thirds_for_36_months(
    county_db: duckdb.DuckDBPyConnection,
) -> None:
    row = county_db.execute(
        "SELECT count(DISTINCT credit_code), min(month), max(month), count(DISTINCT month) "
        "FROM monthly_metrics"
    ).fetchone()
    assert row is not None
    enterprises, first, last, months = row
    assert (first, last, months) == ("2023-01", "2025-12", 36)
    assert 0.55 < enterprises / 2000 < 0.75
    per_enterprise = county_db.execute(
        "SELECT DISTINCT count(*) FROM monthly_metrics GROUP BY credit_code"
    ).fetchall()
    assert per_enterprise == [(36,)]


LAND = """
WITH occupied AS (
    SELECT credit_code,
           sum(CASE kind WHEN 'leased_out' THEN -area_m2 ELSE area_m2 END) AS land_m2
    FROM land_occupancy GROUP BY credit_code),
held AS (
    SELECT holder_credit_code AS credit_code, sum(area_m2) AS land_m2
    FROM parcels WHERE holder_credit_code IS NOT NULL GROUP BY 1),
land AS (
    SELECT e.credit_code, coalesce(o.land_m2, h.land_m2) AS land_m2
    FROM enterprises e
    LEFT JOIN occupied o USING (credit_code) LEFT JOIN held h USING (credit_code))
"""


def test_above_scale_tax_per_mu_is_near_zhejiangs_2021_average(
    county_db: duckdb.DuckDBPyConnection,
) -> None:
    row = county_db.execute(
        LAND
        + """
        SELECT sum(a.tax_yuan) / sum(l.land_m2 * 15 / 10000)
        FROM annual_metrics a JOIN enterprises e USING (credit_code)
        JOIN land l USING (credit_code)
        WHERE a.year = 2021 AND e.above_scale AND a.tax_yuan IS NOT NULL AND l.land_m2 > 0"""
    ).fetchone()
    assert row is not None
    per_mu = row[0]
    assert per_mu > 0.85 * ZHEJIANG_2021_ABOVE_SCALE_TAX_PER_MU
    assert per_mu < 1.15 * ZHEJIANG_2021_ABOVE_SCALE_TAX_PER_MU
    below = county_db.execute(
        LAND
        + """
        SELECT sum(a.tax_yuan) / sum(l.land_m2 * 15 / 10000)
        FROM annual_metrics a JOIN enterprises e USING (credit_code)
        JOIN land l USING (credit_code)
        WHERE a.year = 2021 AND NOT e.above_scale AND l.land_m2 > 0"""
    ).fetchone()
    assert below is not None
    assert below[0] < 0.5 * per_mu


@pytest.mark.parametrize("build", [generate, planted_city], ids=["demo", "demo+planted"])
def test_the_importer_accepts_the_demo(tmp_path: Path, build: Callable[..., Tables]) -> None:
    sources = pytest.importorskip("mujun.interchange.sources")
    data = build(enterprises=300, seed=9)
    write_csv_folder(tmp_path / "demo", data)
    db = duckdb.connect()
    read = sources.read_data_set(tmp_path / "demo", db, workdir=tmp_path)
    assert not read.problems
    assert {raw.spec.name for raw in read.tables} == set(data)
    _, problems = check_data_set(db, read.tables, existing_keys=lambda _: pa.array([], pa.string()))
    assert not problems, problems[:10]


# -- jurisdiction outlines ------------------------------------------------------------------


def _outlines_of(data: Tables, level: str) -> tuple[list[str], np.ndarray]:
    rows = data["jurisdictions"].filter(pc.equal(data["jurisdictions"]["level"], level))
    wkt = np.asarray(rows["geometry_wkt"].to_pylist(), dtype=object)
    return rows["code"].to_pylist(), shapely.from_wkt(wkt)


@pytest.mark.parametrize("enterprises", [50, 2000, 30_000])
def test_counties_and_parks_have_valid_outlines_that_enclose_their_parcels(
    enterprises: int,
) -> None:
    data = generate(enterprises=enterprises, seed=3)
    counties, county_shapes = _outlines_of(data, "county")
    parks, park_shapes = _outlines_of(data, "park")
    assert shapely.is_valid(county_shapes).all() and shapely.is_valid(park_shapes).all()
    # Counties tile: no two overlap (their areas add up to their union's).
    total = shapely.area(county_shapes).sum()
    assert total - shapely.area(shapely.union_all(county_shapes)) < 1e-9 * total
    _, town_shapes = _outlines_of(data, "town")
    assert shapely.is_missing(town_shapes).all()
    # Every parcel lies inside its park's outline, and its county's.
    parcels = data["parcels"]
    parcel_shapes = shapely.from_wkt(np.asarray(parcels["geometry_wkt"].to_pylist(), dtype=object))
    park_of = dict(zip(parks, park_shapes, strict=True))
    in_park = [k for k, code in enumerate(parcels["park_code"].to_pylist()) if code is not None]
    park_codes = parcels["park_code"].to_pylist()
    outlines = np.array([park_of[park_codes[k]] for k in in_park], dtype=object)
    assert shapely.covers(outlines, parcel_shapes[in_park]).all()
    county_of = dict(zip(counties, county_shapes, strict=True))
    parent = dict(
        zip(
            data["jurisdictions"]["code"].to_pylist(),
            data["jurisdictions"]["parent_code"].to_pylist(),
            strict=True,
        )
    )
    around = np.array(
        [county_of[parent[town]] for town in parcels["jurisdiction_code"].to_pylist()],
        dtype=object,
    )
    assert shapely.covers(around, parcel_shapes).all()
    # Parks do not overlap one another.
    total = shapely.area(park_shapes).sum()
    assert total - shapely.area(shapely.union_all(park_shapes)) < 1e-6 * total
