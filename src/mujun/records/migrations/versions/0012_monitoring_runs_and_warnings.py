"""monitoring runs and warnings

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "monitoring_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("profile_version", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=128), nullable=False),
        sa.Column("warning_count", sa.Integer(), nullable=False),
        sa.Column("unjudged", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_runs")),
    )
    with op.batch_alter_table("monitoring_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_monitoring_runs_month"), ["month"], unique=False)
        batch_op.create_index(batch_op.f("ix_monitoring_runs_profile"), ["profile"], unique=False)

    op.create_table(
        "monitoring_unjudged",
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("missing", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["monitoring_runs.id"],
            name=op.f("fk_monitoring_unjudged_run_id_monitoring_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "run_id", "signal", "subject_type", "subject_id", name=op.f("pk_monitoring_unjudged")
        ),
    )
    op.create_table(
        "warnings",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=False),
        sa.Column("signal", sa.String(length=64), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("subject_type", sa.String(length=16), nullable=False),
        sa.Column("subject_id", sa.String(), nullable=False),
        sa.Column("subject_name", sa.String(), nullable=True),
        sa.Column("county_code", sa.String(), nullable=True),
        sa.Column("routed_to", sa.JSON(), nullable=False),
        sa.Column("open_key", sa.String(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("since", sa.String(length=7), nullable=False),
        sa.Column("last_month", sa.String(length=7), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("raised_by_run", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("received_by", sa.String(length=128), nullable=True),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("feedback_on", sa.Date(), nullable=True),
        sa.Column("feedback_by", sa.String(length=128), nullable=True),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(length=128), nullable=True),
        sa.Column("close_reason", sa.Text(), nullable=True),
        sa.Column("lifted_month", sa.String(length=7), nullable=True),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_warnings_case_id_cases"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["raised_by_run"],
            ["monitoring_runs.id"],
            name=op.f("fk_warnings_raised_by_run_monitoring_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warnings")),
        sa.UniqueConstraint("open_key", name=op.f("uq_warnings_open_key")),
    )
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warnings_case_id"), ["case_id"], unique=False)
        batch_op.create_index("ix_warnings_county_state", ["county_code", "state"], unique=False)
        batch_op.create_index("ix_warnings_state_level", ["state", "level"], unique=False)

    op.create_table(
        "warning_months",
        sa.Column("warning_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.String(length=7), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["monitoring_runs.id"],
            name=op.f("fk_warning_months_run_id_monitoring_runs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["warning_id"],
            ["warnings.id"],
            name=op.f("fk_warning_months_warning_id_warnings"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("warning_id", "run_id", name=op.f("pk_warning_months")),
    )
    with op.batch_alter_table("warning_months", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_warning_months_run_id"), ["run_id"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("warning_months", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_warning_months_run_id"))

    op.drop_table("warning_months")
    with op.batch_alter_table("warnings", schema=None) as batch_op:
        batch_op.drop_index("ix_warnings_state_level")
        batch_op.drop_index("ix_warnings_county_state")
        batch_op.drop_index(batch_op.f("ix_warnings_case_id"))

    op.drop_table("warnings")
    op.drop_table("monitoring_unjudged")
    with op.batch_alter_table("monitoring_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_monitoring_runs_profile"))
        batch_op.drop_index(batch_op.f("ix_monitoring_runs_month"))

    op.drop_table("monitoring_runs")
