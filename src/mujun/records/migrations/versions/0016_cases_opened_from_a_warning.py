"""cases opened from a warning: the warning that opened a case, and no run for it

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opened_by_warning", sa.Integer(), nullable=True))
        batch_op.alter_column("opened_by_run", existing_type=sa.Integer(), nullable=True)


def downgrade() -> None:
    """Downgrade schema (a case opened from a warning cannot be kept without a run: it goes)."""
    op.execute("DELETE FROM cases WHERE opened_by_run IS NULL")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.alter_column("opened_by_run", existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column("opened_by_warning")
