"""the import that inserted a record, on every table of facts; an import's reason and the
file or sheet each table came from, on the import

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FACT_TABLES = (
    "jurisdictions",
    "enterprises",
    "parcels",
    "land_occupancy",
    "land_contracts",
    "construction",
    "buildings",
    "annual_metrics",
    "monthly_metrics",
    "legal_events",
    "compliance",
    "land_approvals",
)


def upgrade() -> None:
    """Upgrade schema."""
    # Plain ADD COLUMN (SQLite has it): a batch copy would drop tables others refer to. The
    # records imported before keep their change-log rows, which say the same.
    for table in FACT_TABLES:
        op.add_column(table, sa.Column("imported_by", sa.Integer(), nullable=True))
    op.add_column("imports", sa.Column("reason", sa.Text(), nullable=True))
    op.add_column("imports", sa.Column("sources", sa.JSON(), nullable=True))
    # An import's reason was on each of its change rows.
    op.execute(
        "UPDATE imports SET reason = (SELECT c.reason FROM change_log c "
        "WHERE c.import_id = imports.id ORDER BY c.id LIMIT 1)"
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("imports", "sources")
    op.drop_column("imports", "reason")
    for table in reversed(FACT_TABLES):
        op.drop_column(table, "imported_by")
