"""jurisdiction outlines and disabled accounts

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop a table others refer to.
    op.add_column("jurisdictions", sa.Column("geometry_wkt", sa.Text(), nullable=True))
    op.add_column("accounts", sa.Column("disabled_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("accounts", "disabled_at")
    op.drop_column("jurisdictions", "geometry_wkt")
