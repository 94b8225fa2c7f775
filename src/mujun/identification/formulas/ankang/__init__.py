"""Ankang 2024 (安政办发〔2024〕6号): the formulas of its rules, one module per kind."""

from mujun.identification.formulas.ankang import abnormal, factories, low

__all__ = ["abnormal", "factories", "low"]
