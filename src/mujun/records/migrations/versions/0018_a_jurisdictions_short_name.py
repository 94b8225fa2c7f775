"""a jurisdiction's short name (简称), which document numbers print

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop a table others refer to.
    op.add_column("jurisdictions", sa.Column("short_name", sa.String(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("jurisdictions", "short_name")
