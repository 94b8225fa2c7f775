"""Enterprise figures by year and by month."""

from sqlalchemy.orm import Mapped

from mujun.records.base import Base
from mujun.records.fields import Imported, attribute
from mujun.records.fields import ValueKind as V

NET_TAX_HELP = "净额：退税多于缴税时为负数"


class AnnualMetric(Imported, Base):
    __tablename__ = "annual_metrics"
    __table_args__ = {"info": {"label_zh": "年度指标"}, "sqlite_with_rowid": False}

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, references="enterprises"
    )
    year: Mapped[int] = attribute("年度", V.YEAR, key=True)
    # Net of refunds: negative when refunds (an exporter's VAT refunds) exceed payments.
    tax_yuan: Mapped[float | None] = attribute("税收实缴(元)", V.NUMBER, help_zh=NET_TAX_HELP)
    revenue_yuan: Mapped[float | None] = attribute("营业收入(元)", V.NUMBER, non_negative=True)
    value_added_yuan: Mapped[float | None] = attribute("工业增加值(元)", V.NUMBER)
    output_yuan: Mapped[float | None] = attribute("工业总产值(元)", V.NUMBER, non_negative=True)
    energy_tce: Mapped[float | None] = attribute("综合能耗(吨标煤)", V.NUMBER, non_negative=True)
    emission_equiv: Mapped[float | None] = attribute("排放当量(吨)", V.NUMBER, non_negative=True)
    employees: Mapped[int | None] = attribute("从业人数", V.INTEGER, non_negative=True)
    rd_expense_yuan: Mapped[float | None] = attribute("研发经费(元)", V.NUMBER, non_negative=True)
    fixed_assets_yuan: Mapped[float | None] = attribute("固定资产(元)", V.NUMBER, non_negative=True)
    capacity_use: Mapped[float | None] = attribute("产能利用率", V.SHARE, help_zh="0 到 1")
    profit_yuan: Mapped[float | None] = attribute("利润总额(元)", V.NUMBER)
    total_assets_yuan: Mapped[float | None] = attribute("资产总额(元)", V.NUMBER, non_negative=True)
    total_liabilities_yuan: Mapped[float | None] = attribute(
        "负债总额(元)", V.NUMBER, non_negative=True
    )
    annual_report_filed: Mapped[bool | None] = attribute("已报送年报", V.BOOLEAN)
    tax_return_filed: Mapped[bool | None] = attribute("已纳税申报", V.BOOLEAN)
    halted: Mapped[bool | None] = attribute("全年停产", V.BOOLEAN)


class MonthlyMetric(Imported, Base):
    __tablename__ = "monthly_metrics"
    __table_args__ = {"info": {"label_zh": "月度指标"}, "sqlite_with_rowid": False}

    credit_code: Mapped[str] = attribute(
        "统一社会信用代码", V.CREDIT_CODE, key=True, references="enterprises"
    )
    month: Mapped[str] = attribute("月份", V.MONTH, key=True, help_zh="YYYY-MM")
    electricity_kwh: Mapped[float | None] = attribute("用电量(千瓦时)", V.NUMBER, non_negative=True)
    peak_load_kw: Mapped[float | None] = attribute("最高负荷(千瓦)", V.NUMBER, non_negative=True)
    invoiced_sales_yuan: Mapped[float | None] = attribute("开票销售额(元)", V.NUMBER)
    tax_yuan: Mapped[float | None] = attribute("税收(元)", V.NUMBER, help_zh=NET_TAX_HELP)
    loan_balance_yuan: Mapped[float | None] = attribute("贷款余额(元)", V.NUMBER, non_negative=True)
    loan_overdue: Mapped[bool | None] = attribute("贷款逾期", V.BOOLEAN)
