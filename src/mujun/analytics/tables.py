"""Joining tables the way the rules read them."""

import ibis.expr.types as ir


def attach(table: ir.Table, other: ir.Table, on: str | list[str]) -> ir.Table:
    """``table`` with ``other``'s columns for its rows that match on ``on`` (null where none
    does), the join keys once."""
    keys = [on] if isinstance(on, str) else on
    joined = table.left_join(other, keys)
    return joined.drop(*[f"{key}_right" for key in keys if f"{key}_right" in joined.columns])


def attach_by(table: ir.Table, other: ir.Table, column: str, other_key: str) -> ir.Table:
    """``table`` with ``other``'s columns where ``table[column] == other[other_key]``."""
    joined = table.left_join(other, table[column] == other[other_key])
    return joined.drop(other_key)
