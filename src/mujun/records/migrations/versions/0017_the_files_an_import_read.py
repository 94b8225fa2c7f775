"""the files an import read, kept in compressed pieces

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "import_files",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("import_id", "name"),
    )
    op.create_table(
        "import_file_pieces",
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["import_id", "name"],
            ["import_files.import_id", "import_files.name"],
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("import_id", "name", "seq"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("import_file_pieces")
    op.drop_table("import_files")
