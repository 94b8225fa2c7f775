"""values derived from the facts: a jurisdiction's and a parcel's county, an enterprise's land
and counties

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from mujun.analytics import derived

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema, and derive the values from the facts already stored."""
    op.add_column("jurisdictions", sa.Column("county_code", sa.String(), nullable=True))
    op.create_index("ix_jurisdictions_county_code", "jurisdictions", ["county_code"])
    op.add_column("parcels", sa.Column("county_code", sa.String(), nullable=True))
    op.create_index("ix_parcels_county_code", "parcels", ["county_code"])
    op.add_column("enterprises", sa.Column("land_m2", sa.Float(), nullable=True))
    op.create_index("ix_enterprises_land", "enterprises", ["land_m2", "credit_code"])
    op.create_table(
        "enterprise_counties",
        sa.Column("credit_code", sa.String(length=18), nullable=False),
        sa.Column("county_code", sa.String(), nullable=False),
        sa.PrimaryKeyConstraint("credit_code", "county_code", name=op.f("pk_enterprise_counties")),
    )
    op.create_index(
        "ix_enterprise_counties_county", "enterprise_counties", ["county_code", "credit_code"]
    )
    derived.refresh(op.get_bind())


def downgrade() -> None:
    """Downgrade schema. The columns are dropped in place (SQLite since 3.35), not by copying
    their tables: a copy would break the references to them of the rows stored."""
    op.drop_index("ix_enterprise_counties_county", table_name="enterprise_counties")
    op.drop_table("enterprise_counties")
    for table, index, column in (
        ("enterprises", "ix_enterprises_land", "land_m2"),
        ("parcels", "ix_parcels_county_code", "county_code"),
        ("jurisdictions", "ix_jurisdictions_county_code", "county_code"),
    ):
        op.drop_index(index, table_name=table)
        op.drop_column(table, column)
