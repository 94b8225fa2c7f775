"""Identification as the command line and the web run it: read the records, run the profile,
keep the run; for a what-if, also keep (or find) the run of the published profile on the same
data and compare the two."""

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Engine

from mujun.analytics.facts import load_facts
from mujun.identification.engine import Identification, identify, monthly_columns
from mujun.identification.runs import RunDifference, diff_runs, same_run, save_run
from mujun.policy.profiles import Profile, load_profile
from mujun.progress import Progress, phase, silent


@dataclass(frozen=True)
class KeptRun:
    """A run stored under ``run_id``; for a what-if, its difference from the published one."""

    run_id: int
    identification: Identification
    difference: RunDifference | None


def identify_and_keep(
    *,
    engine: Engine,
    profile: Profile,
    as_of: dt.date,
    actor: str,
    only: Sequence[str] | None = None,
    on_progress: Progress = silent,
    on_identified: Callable[[Identification], object] | None = None,
) -> KeptRun:
    """Run ``profile`` (only the rules ``only`` names, if given: see :meth:`Profile.only`) and
    keep the run, recording which rules it judged. ``on_identified`` is given the run's
    outcome as soon as it is computed, before it is kept: a caller may start on its output
    meanwhile (the command line renders its JSON)."""
    started = dt.datetime.now(dt.UTC)
    rules = None if only is None else sorted(set(only))
    if rules is not None:
        profile = profile.only(rules)
    facts = load_facts(
        engine, monthly=monthly_columns(profile), on_progress=phase(on_progress, 0, 2)
    )
    try:
        result = identify(
            facts=facts, profile=profile, as_of=as_of, on_progress=phase(on_progress, 1, 2)
        )
        if on_identified is not None:
            on_identified(result)
        run_id = save_run(engine, result, started_at=started, actor=actor, rules=rules)
        if not profile.overrides:
            return KeptRun(run_id=run_id, identification=result, difference=None)
        published = load_profile(profile.id)
        if rules is not None:
            published = published.only(rules)
        baseline = same_run(
            engine,
            profile=profile.id,
            as_of=as_of,
            fingerprint=facts.fingerprint,
            overrides={},
            rules=rules,
        )
        if baseline is None:
            baseline = save_run(
                engine,
                identify(facts=facts, profile=published, as_of=as_of),
                started_at=started,
                actor=actor,
                rules=rules,
            )
    finally:
        facts.close()
    return KeptRun(
        run_id=run_id, identification=result, difference=diff_runs(engine, baseline, run_id)
    )
