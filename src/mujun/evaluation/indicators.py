"""The evaluation's indicators (evaluation.md, "Indicators"), each a ratio of two figures of an
enterprise's year. Values are kept in base units (yuan, mu, tce, tonnes, persons, kWh); a
benchmark written in a notice's unit (万元/亩) is converted to them once
(:attr:`~mujun.policy.parameters.Unit.in_yuan`). A ratio whose denominator is zero or unknown
is missing: never zero, never infinite."""

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir


@dataclass(frozen=True)
class Indicator:
    key: str
    """The indicator's id in profiles (``tax_per_mu``)."""
    figure: str
    """Its value's name in results and evidence, with the base unit (``tax_per_mu_yuan``)."""
    numerator: str
    denominator: str
    label_zh: str
    label_en: str
    unit_zh: str

    def value(self, t: ir.Table) -> ir.FloatingValue:
        """The indicator of each row of ``t`` (which has the numerator and denominator)."""
        denominator = t[self.denominator]
        return ibis.ifelse(denominator > 0, t[self.numerator] / denominator, ibis.null("float64"))


INDICATORS: dict[str, Indicator] = {
    i.key: i
    for i in (
        Indicator(
            "tax_per_mu",
            "tax_per_mu_yuan",
            "tax_yuan",
            "land_mu",
            "亩均税收",
            "Tax per mu",
            "元/亩",
        ),
        Indicator(
            "value_added_per_mu",
            "value_added_per_mu_yuan",
            "value_added_yuan",
            "land_mu",
            "亩均增加值",
            "Value added per mu",
            "元/亩",
        ),
        Indicator(
            "revenue_per_mu",
            "revenue_per_mu_yuan",
            "revenue_yuan",
            "land_mu",
            "亩均营业收入",
            "Revenue per mu",
            "元/亩",
        ),
        Indicator(
            "value_added_per_energy",
            "value_added_per_tce_yuan",
            "value_added_yuan",
            "energy_tce",
            "单位能耗增加值",
            "Value added per tce",
            "元/吨标煤",
        ),
        Indicator(
            "value_added_per_emission",
            "value_added_per_tonne_emission_yuan",
            "value_added_yuan",
            "emission_equiv",
            "单位排放增加值",
            "Value added per tonne of emissions",
            "元/吨",
        ),
        Indicator(
            "labour_productivity",
            "value_added_per_employee_yuan",
            "value_added_yuan",
            "employees",
            "全员劳动生产率",
            "Labour productivity",
            "元/人",
        ),
        Indicator(
            "rd_ratio",
            "rd_ratio",
            "rd_expense_yuan",
            "revenue_yuan",
            "R&D经费占营业收入比",
            "R&D expense / revenue",
            "",
        ),
        Indicator(
            "tax_per_kwh",
            "tax_per_kwh_yuan",
            "tax_yuan",
            "electricity_kwh",
            "单位电耗税收",
            "Tax per kWh",
            "元/千瓦时",
        ),
        Indicator(
            "revenue_per_kwh",
            "revenue_per_kwh_yuan",
            "revenue_yuan",
            "electricity_kwh",
            "单位用电营业收入",
            "Revenue per kWh",
            "元/千瓦时",
        ),
    )
}

ANNUAL_FIGURES = (
    "tax_yuan",
    "value_added_yuan",
    "revenue_yuan",
    "energy_tce",
    "emission_equiv",
    "employees",
    "rd_expense_yuan",
)
