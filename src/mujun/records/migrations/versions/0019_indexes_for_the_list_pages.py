"""indexes for the list pages: parcels, findings and grades in their orders, a county's too

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05

"""

from collections.abc import Sequence

from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ADDED = (
    ("parcels", "ix_parcels_county", ["county_code", "parcel_id"]),
    ("parcels", "ix_parcels_county_area", ["county_code", "area_m2"]),
    (
        "findings",
        "ix_findings_run_county_order",
        ["run_id", "county_code", "criterion", "subject_type", "subject_id"],
    ),
    ("findings", "ix_findings_run_area", ["run_id", "area_m2"]),
    ("findings", "ix_findings_run_subject_id", ["run_id", "subject_id"]),
    ("findings", "ix_findings_run_county_area", ["run_id", "county_code", "area_m2"]),
    ("findings", "ix_findings_run_county_subject", ["run_id", "county_code", "subject_id"]),
    ("grades", "ix_grades_run_order", ["run_id", "cohort", "rank", "credit_code"]),
    (
        "grades",
        "ix_grades_run_county_order",
        ["run_id", "county_code", "cohort", "rank", "credit_code"],
    ),
    ("grades", "ix_grades_run_score", ["run_id", "score"]),
    ("grades", "ix_grades_run_grade", ["run_id", "grade", "cohort", "rank", "credit_code"]),
    ("grades", "ix_grades_run_name", ["run_id", "name"]),
    ("grades", "ix_grades_run_industry", ["run_id", "industry_code"]),
)
"""The indexes added, each on its table."""
REPLACED = (
    ("parcels", "ix_parcels_county_code", ["county_code"]),
    ("findings", "ix_findings_run_county", ["run_id", "county_code"]),
    ("grades", "ix_grades_run_county", ["run_id", "county_code"]),
)
"""The indexes the added ones begin with, dropped."""


def upgrade() -> None:
    """Upgrade schema."""
    for table, name, columns in ADDED:
        op.create_index(name, table, columns)
    for table, name, _ in REPLACED:
        op.drop_index(name, table_name=table)


def downgrade() -> None:
    """Downgrade schema."""
    for table, name, columns in REPLACED:
        op.create_index(name, table, columns)
    for table, name, _ in reversed(ADDED):
        op.drop_index(name, table_name=table)
