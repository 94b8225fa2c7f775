"""an enterprise's grades by key: no index of the credit code spanning every run

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

An enterprise's grades over the years are each found by the grades' primary key (run, credit
code), a run at a time: the runs are few. On SQLite the index of the credit code alone spanned
every run kept, so each run's grades put an entry next to each enterprise's earlier ones, all
over it, and each run kept cost more than the one before: on the province's records with six
evaluations kept, keeping one more took 1.97-2.93 s without the index against 2.62-3.62 s with
it.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.drop_index("ix_grades_credit_code", table_name="grades")


def downgrade() -> None:
    """Downgrade schema."""
    op.create_index("ix_grades_credit_code", "grades", ["credit_code"])
