"""a plan's agreed per-mu tax, checked by the exit evaluation

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("case_plans", schema=None) as batch_op:
        batch_op.add_column(sa.Column("tax_per_mu_target_yuan", sa.Float(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("case_plans", schema=None) as batch_op:
        batch_op.drop_column("tax_per_mu_target_yuan")
