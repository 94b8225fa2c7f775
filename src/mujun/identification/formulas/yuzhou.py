"""Yuzhou 2021 (004_e347295c81bc02be.txt): approved-but-unsupplied land (批而未供)."""

from mujun.analytics.land import area_mu
from mujun.identification.formulas.subjects import NO_KEY
from mujun.identification.judgement import Context, Judgement, formula
from mujun.policy.profiles import SubjectType


@formula("yuzhou/approved-not-supplied")
def approved_not_supplied(ctx: Context) -> Judgement:
    """Approved conversion area not yet supplied (approved − supplied > 0), per batch approved
    on or before the as-of date."""
    a = ctx.facts["land_approvals"]
    unsupplied = a.approved_area_m2 - a.supplied_area_m2
    return Judgement(
        table=a.mutate(
            subject_id=a.approval_id,
            fires=(a.approved_date <= ctx.day) & (unsupplied > 0),
            key=NO_KEY,
            unsupplied_m2=unsupplied,
            unsupplied_mu=area_mu(unsupplied),
        ),
        evidence=(
            "approved_date",
            "approved_area_m2",
            "supplied_area_m2",
            "unsupplied_m2",
            "unsupplied_mu",
        ),
        inputs=("supplied_area_m2",),
        subject_type=SubjectType.APPROVAL,
    )
