"""Which department imports which data: the "data duties" of Yancheng 2021 (rules.md), as data.

Land data comes from natural resources; factories from commerce; (office) buildings from
development and reform; loans from the financial regulator; litigation from the court; permits
from administrative approval and housing; sales and tax from the tax bureau; electricity from
the power company. A data provider's account names its department by :attr:`Department.code`
(``Account.department``) and may import only that department's tables, and of a table several
departments share only its own columns (the key columns always, since they say which record a
row is about). An import holding anything else is refused whole, never silently trimmed.

Duties are per table and column, not per row: commerce and development and reform both supply
``buildings`` (factories and office buildings are rows of one table), and the permit columns of
``construction`` come from either permit department.

Only the administrator imports (:data:`ADMINISTRATOR_ONLY`):

- ``jurisdictions``: the codes of the city, its counties, towns and parks, which every other
  table refers to; no duty covers them, and one hand keeps the frame consistent.
- ``enterprises``: the register every department's rows hang on by credit code; the duty list
  names no department for it (that would be market regulation).
- ``compliance``: prohibited or eliminated industries, energy, safety, environment and quality
  problems come from departments the duty list does not name.

and likewise the columns of ``annual_metrics`` other than tax and sales (value added, output,
energy, emissions, employees, R&D, assets, profit, filings, halted): statistics and other
departments the list does not name.
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass

from mujun.interchange import schema
from mujun.interchange.schema import ColumnSpec, TableSpec

EVERY_COLUMN = None
"""A duty over a whole table: every column it has."""


@dataclass(frozen=True)
class Department:
    """A department that supplies data: the stable code an account names it by, its name in
    Chinese and English, and per table it imports the columns it may supply beyond the key
    (:data:`EVERY_COLUMN` for all of them)."""

    code: str
    label_zh: str
    label_en: str
    duties: Mapping[str, frozenset[str] | None]

    def may_supply(self, table: str, column: str) -> bool:
        """Whether the department may supply ``column`` of ``table``: a table of its duties,
        and a key column, or one of its columns there."""
        if table not in self.duties:
            return False
        columns = self.duties[table]
        return columns is None or column in columns or column in schema.table(table).key


@dataclass(frozen=True)
class Refusal:
    """A whole table (``column`` None), or a column of a table, a department may not import."""

    table: TableSpec
    column: ColumnSpec | None

    @property
    def label_zh(self) -> str:
        if self.column is None:
            return f"{self.table.label_zh}（整表）"
        return f"{self.table.label_zh}·{self.column.label_zh}"

    @property
    def label_en(self) -> str:
        if self.column is None:
            return f"{self.table.name} (whole table)"
        return f"{self.table.name}.{self.column.name}"


_PERMITS = frozenset({"started_date", "suspended_since", "completed_date"})
"""Construction permits and completion filings: started, stopped, completed."""

DEPARTMENTS: tuple[Department, ...] = (
    Department(
        "natural_resources",
        "自然资源和规划局",
        "natural resources and planning bureau",
        {
            "parcels": EVERY_COLUMN,
            "land_occupancy": EVERY_COLUMN,
            "land_contracts": EVERY_COLUMN,
            "construction": EVERY_COLUMN,
            "land_approvals": EVERY_COLUMN,
        },
    ),
    Department("commerce", "商务局", "commerce bureau", {"buildings": EVERY_COLUMN}),
    Department(
        "development_reform",
        "发展和改革委员会",
        "development and reform commission",
        {"buildings": EVERY_COLUMN},
    ),
    Department(
        "finance_regulator",
        "地方金融监督管理局",
        "local financial regulatory bureau",
        {"monthly_metrics": frozenset({"loan_balance_yuan", "loan_overdue"})},
    ),
    Department("court", "人民法院", "people's court", {"legal_events": EVERY_COLUMN}),
    Department(
        "administrative_approval",
        "行政审批局",
        "administrative approval bureau",
        {"construction": _PERMITS},
    ),
    Department(
        "housing",
        "住房和城乡建设局",
        "housing and urban-rural development bureau",
        {"construction": _PERMITS},
    ),
    Department(
        "tax",
        "税务局",
        "tax bureau",
        {
            "annual_metrics": frozenset({"tax_yuan", "revenue_yuan", "tax_return_filed"}),
            "monthly_metrics": frozenset({"invoiced_sales_yuan", "tax_yuan"}),
        },
    ),
    Department(
        "power",
        "供电公司",
        "power supply company",
        {"monthly_metrics": frozenset({"electricity_kwh", "peak_load_kw"})},
    ),
)

ADMINISTRATOR_ONLY = frozenset({"jurisdictions", "enterprises", "compliance"})
"""The tables no department imports (see the module's docstring for why)."""

EVERY_TABLE = Department(
    "*", "全部数据表", "every table", {spec.name: EVERY_COLUMN for spec in schema.tables()}
)
"""What the administrator imports. Not a department: no account can name it."""


def department(code: str | None) -> Department | None:
    """The department of ``code`` (an account's ``department``), if there is one."""
    return next((d for d in DEPARTMENTS if d.code == code), None)


def refused(duties: Department, supplied: Mapping[str, Collection[str]]) -> list[Refusal]:
    """What of a data set ``duties`` does not cover: each table outside them, whole, and each
    column outside them of the tables inside. ``supplied`` maps the data set's tables to the
    interchange columns each has."""
    refusals: list[Refusal] = []
    for name, columns in supplied.items():
        spec = schema.table(name)
        if name not in duties.duties:
            refusals.append(Refusal(spec, None))
            continue
        refusals.extend(
            Refusal(spec, spec.column(c)) for c in columns if not duties.may_supply(name, c)
        )
    return refusals


def importable(duties: Department) -> list[tuple[TableSpec, tuple[ColumnSpec, ...]]]:
    """The tables ``duties`` covers, in the interchange order, each with the columns it may
    supply, in the table's order."""
    return [
        (spec, tuple(c for c in spec.columns if duties.may_supply(spec.name, c.name)))
        for spec in schema.tables()
        if spec.name in duties.duties
    ]
