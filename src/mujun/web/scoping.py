"""A query kept to the account's area by a county column: the county asked for (refused when
it lies outside the area, never filtered into an empty answer), else every county of the area."""

from sqlalchemy import SQLColumnExpression

from mujun.web.listing import SelectT
from mujun.web.permissions import Scope


def in_area(
    query: SelectT, county_column: SQLColumnExpression[str | None], scope: Scope, county: str | None
) -> SelectT:
    """``query`` limited to the rows whose ``county_column`` is ``county`` or, without one, in
    ``scope``."""
    if county is not None:
        scope.require(county, f"区县 {county}")
        return query.where(county_column == county)
    if scope.counties is not None:
        return query.where(county_column.in_(scope.counties))
    return query
