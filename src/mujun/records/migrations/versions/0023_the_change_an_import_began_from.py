"""the change an import began from (the latest change-log row when it read the records) and
the columns each table's file supplied, on the import

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06

With it, an import of the very files the latest import read (the same digest), the records
unchanged since, is known to change nothing before a file is opened but to be hashed
(:func:`mujun.interchange.importer.import_data_set`), and what it supplied is the import's.
Imports made before it have neither, and are never taken as that.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.add_column("imports", sa.Column("supplied", sa.JSON(), nullable=True))
    op.add_column("imports", sa.Column("settled_change", sa.Integer(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_column("imports", "settled_change")
    op.drop_column("imports", "supplied")
