"""Publication and objections (workflow.md §6; issue 12 item 5).

A kept run's preliminary list is published (公示) on a date for a period of working days (the
profile's ``publication.working_days``). Within it an enterprise or a locality may object to a
figure: one value of one record. The objection keeps the value as stored, and goes to the
department that supplied it: the change log says which import last wrote that value (the
insert of the record, or the latest update that changed the column); a department's account's
import goes to its department, anything else to the first department whose duties cover the
column (:mod:`mujun.policy.duties`). The department answers by correcting the data (an
import that changed the value) or by stating why the value stands. After corrections the run
is repeated on the current data as of the same date and the difference shown.

A case dismissed on verification (workflow.md §1 ``dismissed``) records the figures disputed
the same way, as an objection naming the case (no publication, no period).

Every publication, objection and answer is written through the ORM inside
:func:`mujun.disposal.moves.logged_as`, so all of it is in the change log.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Engine, Select, select
from sqlalchemy.orm import Session

from mujun.disposal.access import logged_as
from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.periods import CalendarError, working_days_after
from mujun.identification.runs import RunDifference, diff_runs
from mujun.identification.service import identify_and_keep
from mujun.interchange import schema
from mujun.interchange.schema import TableSpec
from mujun.policy.duties import DEPARTMENTS, department
from mujun.policy.profiles import load_profile
from mujun.records import (
    Account,
    Case,
    Change,
    DataImport,
    Finding,
    IdentificationRun,
    Objection,
    Publication,
)
from mujun.records.changes import KEY_SEPARATOR
from mujun.records.fields import IMPORTED_BY
from mujun.records.vocabulary import ChangeAction

WORKING_DAYS = "publication.working_days"


class ObjectionState(StrEnum):
    OPEN = "open"
    CORRECTED = "corrected"
    UPHELD = "upheld"

    @property
    def label_zh(self) -> str:
        return {"open": "待答复", "corrected": "已更正", "upheld": "维持原值"}[self.value]

    @property
    def label_en(self) -> str:
        return {"open": "open", "corrected": "corrected", "upheld": "upheld"}[self.value]


# -- publishing --------------------------------------------------------------------------


def publish(
    db: Session, run_id: int, on: dt.date, actor: str, note: str | None = None
) -> Publication:
    """Publish run ``run_id``'s list on ``on`` for the profile's period of working days. A
    what-if run is refused, and so is a run whose earlier publication is still open on
    ``on``. The caller commits."""
    run = _run(db, run_id)
    if run.overrides:
        raise CaseRefusedError(
            f"第 {run_id} 批是模拟测算（what-if），不能公示：请用按政策原文运行的批次",
            f"run {run_id} is a what-if run: only a run of a profile as published is published",
        )
    if on < run.as_of:
        raise CaseRefusedError(
            f"第 {run_id} 批的认定截止日为 {run.as_of.isoformat()}，公示日期不能早于此日",
            f"run {run_id} is as of {run.as_of}: it cannot be published before",
            possible_from=run.as_of,
        )
    still_open = db.scalars(
        select(Publication)
        .where(Publication.run_id == run_id, Publication.ends_on >= on)
        .order_by(Publication.id)
    ).first()
    if still_open is not None:
        raise CaseRefusedError(
            f"第 {run_id} 批已于 {still_open.published_on.isoformat()} 公示（第 "
            f"{still_open.id} 号），公示期至 {still_open.ends_on.isoformat()}，不能重复公示",
            f"run {run_id} is already published (publication {still_open.id}, "
            f"{still_open.published_on} to {still_open.ends_on})",
            possible_from=still_open.ends_on + dt.timedelta(days=1),
        )
    days = _working_days(run.profile, on)
    try:
        ends_on = working_days_after(on, days)
    except CalendarError as error:
        raise CaseRefusedError(
            f"无法计算公示期：{error.zh}", f"cannot count the publication period: {error.en}"
        ) from error
    publication = Publication(
        run_id=run_id,
        published_on=on,
        working_days=days,
        ends_on=ends_on,
        published_by=actor,
        note=(note or "").strip() or None,
    )
    with logged_as(db, actor, f"公示第 {run_id} 批初步名单"):
        db.add(publication)
    return publication


def _working_days(profile_id: str, on: dt.date) -> int:
    return load_profile(profile_id).values(on).whole(WORKING_DAYS)


def get_publication(db: Session, publication_id: int) -> Publication:
    publication = db.get(Publication, publication_id)
    if publication is None:
        raise CaseRefusedError(
            f"没有编号为 {publication_id} 的公示", f"no publication {publication_id}"
        )
    return publication


def _run(db: Session, run_id: int) -> IdentificationRun:
    run = db.get(IdentificationRun, run_id)
    if run is None:
        raise CaseRefusedError(f"没有编号为 {run_id} 的认定批次", f"no run {run_id}")
    return run


# -- lodging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """Where a stored value came from: the change that wrote it, its import, and the
    department the objection goes to (None: the administrator's)."""

    import_id: int | None
    actor: str | None
    department: str | None


def lodge(
    db: Session,
    *,
    table: str,
    key: str,
    column: str,
    reason: str,
    lodged_by: str,
    on: dt.date,
    actor: str,
    publication_id: int | None = None,
    case_id: int | None = None,
    claimed: str | None = None,
    subject_type: str | None = None,
    subject_id: str | None = None,
) -> Objection:
    """Lodge an objection to ``column`` of the record of ``table`` keyed ``key`` (its key
    parts joined by ``|``): against a publication, within its period, or for a case (one
    dismissed on verification). The value as stored is read now; the objection goes to the
    department that supplied it. The caller commits."""
    if publication_id is None and case_id is None:
        raise CaseRefusedError(
            "请指明异议针对的公示或案件", "name the publication or the case objected to"
        )
    if not reason.strip():
        raise CaseRefusedError("请写明异议理由", "a reason is required")
    if not lodged_by.strip():
        raise CaseRefusedError(
            "请写明提出异议的企业或地方", "name the enterprise or locality that objects"
        )
    run_id = _objected_run(db, publication_id, case_id, on)
    spec = _table(table)
    if column not in spec.column_names:
        raise CaseRefusedError(
            f"{spec.label_zh}（{spec.name}）没有字段 {column}",
            f"table {spec.name} has no column {column}",
        )
    stored = stored_value(db, spec, key, column)
    if stored is _MISSING:
        raise CaseRefusedError(
            f"{spec.label_zh}中没有主键为 {key} 的记录",
            f"{spec.name} has no record keyed {key}",
        )
    if subject_type is None and case_id is not None:
        case = db.get(Case, case_id)
        assert case is not None
        subject_type, subject_id = case.subject_type, case.subject_id
    source = source_of(db, spec.name, key, column)
    objection = Objection(
        publication_id=publication_id,
        run_id=run_id,
        case_id=case_id,
        subject_type=subject_type,
        subject_id=subject_id,
        county_code=_county(db, run_id, subject_type, subject_id),
        table_name=spec.name,
        object_key=key,
        column_name=column,
        stored_value=_written(stored),
        claimed_value=(claimed or "").strip() or None,
        reason=reason.strip(),
        lodged_by=lodged_by.strip(),
        lodged_on=on,
        recorded_by=actor,
        source_import_id=source.import_id,
        routed_to=source.department,
        state=ObjectionState.OPEN.value,
    )
    with logged_as(db, actor, f"{lodged_by.strip()}对{spec.name}.{column}提出异议"):
        db.add(objection)
    return objection


def _objected_run(db: Session, publication_id: int | None, case_id: int | None, on: dt.date) -> int:
    """The run disputed; refuses a date outside the publication's period."""
    case = db.get(Case, case_id) if case_id is not None else None
    if case_id is not None and case is None:
        raise CaseRefusedError(f"没有编号为 {case_id} 的案件", f"no case {case_id}")
    if publication_id is None:
        assert case is not None
        if case.opened_by_run is None:
            raise CaseRefusedError(
                f"案件 {case.id} 由预警立案，没有认定批次可供登记数据异议",
                f"case {case.id} was opened from a warning: no run to object to",
            )
        return case.opened_by_run
    publication = get_publication(db, publication_id)
    if on < publication.published_on:
        raise CaseRefusedError(
            f"第 {publication.id} 号公示自 {publication.published_on.isoformat()} 起，"
            f"异议日期 {on.isoformat()} 早于公示日",
            f"publication {publication.id} starts on {publication.published_on}: "
            f"an objection cannot be lodged on {on}",
            possible_from=publication.published_on,
        )
    if on > publication.ends_on:
        raise CaseRefusedError(
            f"第 {publication.id} 号公示期已于 {publication.ends_on.isoformat()} 届满，"
            f"{on.isoformat()} 提出的异议不予受理",
            f"publication {publication.id}'s period ended on {publication.ends_on}: "
            f"an objection lodged on {on} is too late",
        )
    return publication.run_id


def _table(name: str) -> TableSpec:
    found = next((t for t in schema.tables() if t.name == name), None)
    if found is None:
        known = ", ".join(t.name for t in schema.tables())
        raise CaseRefusedError(
            f"没有数据表 {name}（可选：{known}）", f"no table {name} (the tables: {known})"
        )
    return found


_MISSING: Any = object()
"""No record has the key."""


def stored_value(db: Session, spec: TableSpec, key: str, column: str) -> Any:
    """The value of ``column`` of the record keyed ``key`` as stored, or :data:`_MISSING`."""
    parts = key.split(KEY_SEPARATOR)
    if len(parts) != len(spec.key):
        raise CaseRefusedError(
            f"{spec.label_zh}的主键由 {len(spec.key)} 部分组成（{'|'.join(spec.key)}），{key} 不符",
            f"a key of {spec.name} has {len(spec.key)} parts ({'|'.join(spec.key)}): not {key}",
        )
    table = spec.table
    try:
        conditions = [
            table.c[name] == _typed(table.c[name].type.python_type, part)
            for name, part in zip(spec.key, parts, strict=True)
        ]
    except ValueError as error:
        raise CaseRefusedError(
            f"{spec.label_zh}的主键 {key} 无法识别", f"not a key of {spec.name}: {key}"
        ) from error
    row = db.execute(select(table.c[column]).where(*conditions)).first()
    return _MISSING if row is None else row[0]


def _typed(kind: type, part: str) -> Any:
    if kind is dt.date:
        return dt.date.fromisoformat(part)
    if kind is int:
        return int(part)
    return part


def _written(value: Any) -> str | None:
    """A stored value as written: a date as YYYY-MM-DD, a flag as true/false."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def source_of(db: Session, table: str, key: str, column: str) -> Source:
    """Who wrote the value of ``column`` now stored in the record, and where the objection
    goes: the latest change of that column since the record was last inserted, else its
    insert (a logged one, or the import the record names)."""
    changes = db.scalars(
        select(Change)
        .where(Change.table_name == table, Change.object_key == key)
        .order_by(Change.id.desc())
    )
    for change in changes:
        if change.action == ChangeAction.DELETE:
            break  # what came before was another record of the same key
        if _wrote(change, column):
            department = _department_of(db, change.actor, table, column)
            return Source(change.import_id, change.actor, department)
    imported_by = stored_value(db, _table(table), key, IMPORTED_BY)
    done = db.get(DataImport, imported_by) if isinstance(imported_by, int) else None
    if done is None:
        return Source(None, None, _duty_department(table, column))
    return Source(done.id, done.actor, _department_of(db, done.actor, table, column))


def _wrote(change: Change, column: str) -> bool:
    if change.action == ChangeAction.INSERT:
        return True
    if change.action != ChangeAction.UPDATE:
        return False
    before, after = change.before or {}, change.after or {}
    return bool(before.get(column) != after.get(column))


def _department_of(db: Session, actor: str, table: str, column: str) -> str | None:
    """The department of ``actor``'s account, when it is a department's; else the duty
    table's."""
    code = db.scalar(select(Account.department).where(Account.username == actor))
    if department(code) is not None:
        return code
    return _duty_department(table, column)


def _duty_department(table: str, column: str) -> str | None:
    return next((d.code for d in DEPARTMENTS if d.may_supply(table, column)), None)


def _county(
    db: Session, run_id: int, subject_type: str | None, subject_id: str | None
) -> str | None:
    if subject_type is None or subject_id is None:
        return None
    return db.scalar(
        select(Finding.county_code)
        .where(
            Finding.run_id == run_id,
            Finding.subject_type == subject_type,
            Finding.subject_id == subject_id,
        )
        .limit(1)
    )


# -- answering ---------------------------------------------------------------------------


def get_objection(db: Session, objection_id: int) -> Objection:
    objection = db.get(Objection, objection_id)
    if objection is None:
        raise CaseRefusedError(f"没有编号为 {objection_id} 的异议", f"no objection {objection_id}")
    return objection


def _answerable(db: Session, objection_id: int, on: dt.date) -> Objection:
    objection = get_objection(db, objection_id)
    state = ObjectionState(objection.state)
    if state is not ObjectionState.OPEN:
        raise CaseRefusedError(
            f"第 {objection.id} 号异议已答复（{state.label_zh}），不能再次答复",
            f"objection {objection.id} is answered already ({state})",
        )
    if on < objection.lodged_on:
        raise CaseRefusedError(
            f"第 {objection.id} 号异议于 {objection.lodged_on.isoformat()} 提出，"
            f"答复日期不能早于此日",
            f"objection {objection.id} was lodged on {objection.lodged_on}: "
            "it cannot be answered before",
            possible_from=objection.lodged_on,
        )
    return objection


def answer_corrected(
    db: Session, objection_id: int, import_id: int, on: dt.date, actor: str
) -> Objection:
    """Answer by the import ``import_id`` that corrected the value: refused unless the value
    now stored differs from the one disputed and that import wrote it. The caller commits."""
    objection = _answerable(db, objection_id, on)
    if db.get(DataImport, import_id) is None:
        raise CaseRefusedError(f"没有编号为 {import_id} 的导入", f"no import {import_id}")
    spec = _table(objection.table_name)
    now = stored_value(db, spec, objection.object_key, objection.column_name)
    now_written = None if now is _MISSING else _written(now)
    if now_written == objection.stored_value:
        shown = objection.stored_value if objection.stored_value is not None else "（空）"
        raise CaseRefusedError(
            f"{spec.name}.{objection.column_name}（{objection.object_key}）仍为 {shown}，"
            f"与异议时相同：第 {import_id} 次导入未更正该值",
            f"{spec.name}.{objection.column_name} of {objection.object_key} is still "
            f"{objection.stored_value!r} as when objected to: import {import_id} did not "
            "correct it",
        )
    writer = source_of(db, spec.name, objection.object_key, objection.column_name).import_id
    if writer != import_id:
        zh_by = f"第 {writer} 次导入" if writer is not None else "导入以外的修改"
        en_by = f"import {writer}" if writer is not None else "a change outside any import"
        raise CaseRefusedError(
            f"{spec.name}.{objection.column_name}（{objection.object_key}）的现值由{zh_by}"
            f"写入，不是第 {import_id} 次导入",
            f"{spec.name}.{objection.column_name} of {objection.object_key} was written by "
            f"{en_by}, not import {import_id}",
        )
    with logged_as(db, actor, f"第 {import_id} 次导入已更正异议值"):
        objection.state = ObjectionState.CORRECTED.value
        objection.answer_import_id = import_id
        objection.corrected_value = now_written
        objection.answered_on = on
        objection.answered_by = actor
    return objection


def answer_upheld(
    db: Session, objection_id: int, reason: str, on: dt.date, actor: str
) -> Objection:
    """Answer that the value stands, and why (required). The caller commits."""
    objection = _answerable(db, objection_id, on)
    if not reason.strip():
        raise CaseRefusedError("维持原值须写明理由", "a reason is required to uphold a value")
    with logged_as(db, actor, reason.strip()):
        objection.state = ObjectionState.UPHELD.value
        objection.answer_reason = reason.strip()
        objection.answered_on = on
        objection.answered_by = actor
    return objection


# -- listing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ObjectionFilters:
    publication: int | None = None
    state: ObjectionState | None = None
    department: str | None = None
    county: str | None = None
    case: int | None = None


def objections_query(filters: ObjectionFilters) -> Select[Objection]:
    """The objections the filters keep, oldest first."""
    query = select(Objection).order_by(Objection.id)
    if filters.publication is not None:
        query = query.where(Objection.publication_id == filters.publication)
    if filters.state is not None:
        query = query.where(Objection.state == filters.state.value)
    if filters.department is not None:
        query = query.where(Objection.routed_to == filters.department)
    if filters.county is not None:
        query = query.where(Objection.county_code == filters.county)
    if filters.case is not None:
        query = query.where(Objection.case_id == filters.case)
    return query


def objection_json(objection: Objection) -> dict[str, Any]:
    """An objection as the CLI and the web hand it out."""
    routed = department(objection.routed_to)
    return {
        "id": objection.id,
        "publication": objection.publication_id,
        "run": objection.run_id,
        "case": objection.case_id,
        "subject_type": objection.subject_type,
        "subject_id": objection.subject_id,
        "county_code": objection.county_code,
        "table": objection.table_name,
        "key": objection.object_key,
        "column": objection.column_name,
        "stored_value": objection.stored_value,
        "claimed_value": objection.claimed_value,
        "reason": objection.reason,
        "lodged_by": objection.lodged_by,
        "lodged_on": objection.lodged_on.isoformat(),
        "source_import": objection.source_import_id,
        "routed_to": objection.routed_to,
        "routed_to_zh": routed.label_zh if routed else "系统管理员",
        "state": objection.state,
        "answer_import": objection.answer_import_id,
        "corrected_value": objection.corrected_value,
        "answer_reason": objection.answer_reason,
        "answered_on": objection.answered_on.isoformat() if objection.answered_on else None,
        "answered_by": objection.answered_by,
    }


def publication_json(publication: Publication) -> dict[str, Any]:
    return {
        "id": publication.id,
        "run": publication.run_id,
        "published_on": publication.published_on.isoformat(),
        "working_days": publication.working_days,
        "ends_on": publication.ends_on.isoformat(),
        "published_by": publication.published_by,
        "note": publication.note,
        "repeated_run": publication.repeated_run_id,
    }


# -- repeating ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Repetition:
    """The publication's run repeated on the current data: the kept run and the difference
    from the published one."""

    publication: int
    published_run: int
    run_id: int
    difference: RunDifference

    def as_json(self) -> dict[str, Any]:
        return {
            "publication": self.publication,
            "published_run": self.published_run,
            "run": self.run_id,
            "counts": self.difference.counts(),
            "added": _subjects(self.difference.added.to_pylist()),
            "dropped": _subjects(self.difference.dropped.to_pylist()),
            "changed": _subjects(self.difference.changed.to_pylist()),
        }


def _subjects(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "criterion": r["criterion"],
            "subject_type": r["subject_type"],
            "subject_id": r["subject_id"],
        }
        for r in rows
    ]


def repeat_run(engine: Engine, publication_id: int, actor: str) -> Repetition:
    """Run the publication's profile again as of the same date on the current data, keep the
    run, note it on the publication, and compare it with the published run."""
    with Session(engine) as db:
        publication = get_publication(db, publication_id)
        run = _run(db, publication.run_id)
        profile_id, as_of, published = run.profile, run.as_of, run.id
    kept = identify_and_keep(
        engine=engine, profile=load_profile(profile_id), as_of=as_of, actor=actor
    )
    with Session(engine) as db:
        publication = get_publication(db, publication_id)
        with logged_as(db, actor, f"更正后重新认定：第 {kept.run_id} 批"):
            publication.repeated_run_id = kept.run_id
        db.commit()
    return Repetition(
        publication=publication_id,
        published_run=published,
        run_id=kept.run_id,
        difference=diff_runs(engine, published, kept.run_id),
    )
