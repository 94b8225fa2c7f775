"""cases of a state in the order of their numbers

The case list and board ask for the first cases of a state by number (``WHERE state = ?
ORDER BY id LIMIT 50``); without this index PostgreSQL walks every case in number order to
find a state that has few or none (55 ms at 273,625 cases, for each empty column of the board).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("ix_cases_state_id", "cases", ["state", "id"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_cases_state_id", table_name="cases")
