"""the figures kept in their key's order: SQLite's annual and monthly figures without a rowid

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

On SQLite a table whose primary key is not one integer keeps its rows by a rowid and its key in
an index of its own, so every row is stored twice over: the province's 4.8 million monthly
figures took 332 MB and their key's index another 192 MB. A table ``WITHOUT ROWID`` keeps its
rows in its key's order, in one tree. PostgreSQL has no rowid: nothing changes there.
"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0026"
down_revision: str | Sequence[str] | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("annual_metrics", "monthly_metrics")


def upgrade() -> None:
    """Upgrade schema."""
    _rebuild(with_rowid=False)


def downgrade() -> None:
    """Downgrade schema."""
    _rebuild(with_rowid=True)


def _rebuild(*, with_rowid: bool) -> None:
    """Each table made again, with its rows, with or without a rowid (SQLite alone)."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TABLES:
        with op.batch_alter_table(
            name, recreate="always", table_kwargs={"sqlite_with_rowid": with_rowid}
        ):
            pass
