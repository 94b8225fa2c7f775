"""What the publication pages (:mod:`mujun.web.objection_pages`) and the objection API
(:mod:`mujun.web.objection_api`) share: a publication or an objection reached through the gate,
an objection lodged and answered within the account's area (or its department's), the figures
one may object to by their names, an objection as a page shows it, and the workbench's to-dos
of a department's account: the objections routed to it awaiting an answer.

Every rule is the service's (:mod:`mujun.disposal.objections`); a refusal of the service is
answered 409 with the reason, as for the cases (:mod:`mujun.web.cases`). A publication is of a
run of the whole city, so every reader reads it; its objections lie in the county of the subject
objected to, and a department's account reaches those routed to its department (the gate's
:data:`~mujun.web.gate.IN_UNITS`).
"""

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException
from fastapi import Path as PathParameter
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from mujun.disposal.errors import CaseRefusedError
from mujun.disposal.objections import (
    ObjectionFilters,
    ObjectionState,
    answer_corrected,
    answer_upheld,
    get_publication,
    lodge,
    objections_query,
    source_of,
    stored_value,
)
from mujun.identification.runs import PUBLISHED
from mujun.interchange import schema
from mujun.interchange.schema import TableSpec
from mujun.policy import duties
from mujun.policy.profiles import SubjectType
from mujun.records import DataImport, Finding, IdentificationRun, Objection, Publication
from mujun.web.cases import SUBJECT_PAGES, Names
from mujun.web.dependencies import MAX_ID, Current
from mujun.web.formatting import day
from mujun.web.gate import require, restrict
from mujun.web.permissions import ALLOWED, Action, RefusedError, Role
from mujun.web.permissions import restrict as permitted
from mujun.web.worklist import Item

PublicationId = Annotated[
    int, PathParameter(ge=1, le=MAX_ID, description="公示编号 / publication number")
]
ObjectionId = Annotated[
    int, PathParameter(ge=1, le=MAX_ID, description="异议编号 / objection number")
]
STATE_COLOURS = {
    ObjectionState.OPEN: "orange",
    ObjectionState.CORRECTED: "green",
    ObjectionState.UPHELD: "secondary",
}
TODO_LIMIT = 12
ADMINISTRATOR = ("系统管理员", "the administrator")
"""Who answers an objection to a value no department supplies."""


# -- the gate ------------------------------------------------------------------------------------


def reach_publication(db: Session, publication_id: int) -> Publication:
    """Publication ``publication_id`` (of a run of the whole city: every reader reads it), 404
    when there is none."""
    publication = db.get(Publication, publication_id)
    if publication is None:
        raise HTTPException(
            status_code=404,
            detail=f"没有公示 {publication_id} / no publication {publication_id}",
        )
    return publication


def reach_objection(db: Session, current: Current, objection_id: int) -> Objection:
    """Objection ``objection_id``: 404 when there is none, 403 (audited) outside the account's
    area or, for a department's account, when it is routed elsewhere."""
    objection = db.get(Objection, objection_id)
    if objection is None:
        raise HTTPException(
            status_code=404, detail=f"没有异议 {objection_id} / no objection {objection_id}"
        )
    require(db, current.scope, Objection, objection_id)
    return objection


def gated_objections(current: Current, filters: ObjectionFilters) -> Select[Objection]:
    """The objections the filters keep, within the account's area (a county outside it
    refused)."""
    return restrict(objections_query(filters), current.scope, Objection, county=filters.county)


def counted(db: Session, query: Select[Any]) -> int:
    return db.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0


def objection_counts(db: Session, current: Current, publications: list[int]) -> dict[int, int]:
    """How many objections each publication has in the account's area."""
    query = restrict(
        select(Objection.publication_id, func.count())
        .where(Objection.publication_id.in_(publications))
        .group_by(Objection.publication_id),
        current.scope,
        Objection,
    )
    return {publication: count for publication, count in db.execute(query) if publication}


def lodged_in_scope(
    db: Session,
    current: Current,
    publication_id: int,
    *,
    field: str,
    key: str,
    reason: str,
    lodged_by: str,
    on: dt.date,
    claimed: str | None,
    subject_id: str | None,
) -> Objection:
    """Lodge an objection to ``field`` (``table.column``) of the record keyed ``key``, on a
    subject of the publication's list; refused (403, audited) when the subject lies outside the
    account's area: the objection is written, then passes the gate before anything is kept."""
    publication = get_publication(db, publication_id)
    table, _, column = field.partition(".")
    subject_type = None
    subject = (subject_id or "").strip() or None
    if subject is not None:
        subject_type = db.scalar(
            select(Finding.subject_type)
            .where(Finding.run_id == publication.run_id, Finding.subject_id == subject)
            .limit(1)
        )
        if subject_type is None:
            raise CaseRefusedError(
                f"第 {publication.run_id} 批初步名单中没有对象 {subject}",
                f"{subject} is not on run {publication.run_id}'s list",
            )
    objection = lodge(
        db,
        table=table,
        key=key.strip(),
        column=column,
        reason=reason,
        lodged_by=lodged_by,
        on=on,
        actor=current.account.username,
        publication_id=publication_id,
        claimed=claimed,
        subject_type=subject_type,
        subject_id=subject,
    )
    db.flush()
    require(db, current.scope, Objection, objection.id)
    return objection


def answered(
    db: Session,
    current: Current,
    objection_id: int,
    *,
    on: dt.date,
    corrected_by: int | None = None,
    upheld: str | None = None,
) -> Objection:
    """Answer objection ``objection_id`` (reached through the gate): corrected by an import,
    or upheld with a reason."""
    reach_objection(db, current, objection_id)
    if corrected_by is not None:
        return answer_corrected(db, objection_id, corrected_by, on, current.account.username)
    return answer_upheld(db, objection_id, upheld or "", on, current.account.username)


# -- names ---------------------------------------------------------------------------------------


def spec_of(table: str) -> TableSpec | None:
    return next((t for t in schema.tables() if t.name == table), None)


def table_label(table: str, lang: str) -> str:
    spec = spec_of(table)
    if spec is None or lang != "zh":
        return table
    return spec.label_zh


def column_label(table: str, column: str, lang: str) -> str:
    spec = spec_of(table)
    if spec is None or lang != "zh" or column not in spec.column_names:
        return column
    return spec.column(column).label_zh


def key_hint(spec: TableSpec, lang: str) -> str:
    """How a record of ``spec`` is keyed: its key columns by name, joined by ``|``."""
    return "|".join(column_label(spec.name, part, lang) for part in spec.key)


@dataclass(frozen=True)
class FieldGroup:
    """A table's figures one may object to, for a select's ``optgroup``."""

    label: str
    fields: list[tuple[str, str]]


def field_groups(lang: str) -> list[FieldGroup]:
    """Every figure of the records by its names: a group per table (its name and how its
    records are keyed), an option per column (``table.column``), named with its table (a closed
    select shows no group)."""
    zh = lang == "zh"
    return [
        FieldGroup(
            label=(f"{spec.label_zh}（主键：{key_hint(spec, lang)}）")
            if zh
            else f"{spec.name} (key: {key_hint(spec, lang)})",
            fields=[
                (
                    f"{spec.name}.{c.name}",
                    f"{spec.label_zh} · {c.label_zh}" if zh else f"{spec.name} · {c.name}",
                )
                for c in spec.columns
                if c.name not in spec.key
            ],
        )
        for spec in schema.tables()
    ]


def department_label(code: str | None, lang: str) -> str:
    found = duties.department(code)
    if found is None:
        return ADMINISTRATOR[0 if lang == "zh" else 1]
    return found.label_zh if lang == "zh" else found.label_en


def department_choices(lang: str) -> list[tuple[str, str]]:
    return [(d.code, d.label_zh if lang == "zh" else d.label_en) for d in duties.DEPARTMENTS]


def state_label(state: str, lang: str) -> str:
    value = ObjectionState(state)
    return value.label_zh if lang == "zh" else value.label_en


def state_choices(lang: str) -> list[tuple[str, str]]:
    """The states as the list's buttons name them (in English capitalised, as "All" is)."""
    return [(s.value, state_label(s.value, lang).capitalize()) for s in ObjectionState]


def _subject(objection: Objection, lang: str) -> tuple[str, str | None]:
    if objection.subject_id is None:
        return "—", None
    page = SUBJECT_PAGES.get(objection.subject_type or "")
    try:
        kind = SubjectType(objection.subject_type or "")
    except ValueError:
        return objection.subject_id, None
    label = kind.label_zh if lang == "zh" else kind.value
    return f"{label} {objection.subject_id}", None if page is None else page + objection.subject_id


def shown_value(value: str | None, lang: str) -> str:
    return ("（空）" if lang == "zh" else "(empty)") if value is None else value


def shown_objection(objection: Objection, names: Names, lang: str) -> dict[str, Any]:
    """An objection as a page shows it: names for codes."""
    subject, subject_page = _subject(objection, lang)
    state = ObjectionState(objection.state)
    return {
        "id": objection.id,
        "publication": objection.publication_id,
        "case": objection.case_id,
        "subject": subject,
        "subject_page": subject_page,
        "county": names.places.get(objection.county_code or "", objection.county_code or "—"),
        "table": table_label(objection.table_name, lang),
        "column": column_label(objection.table_name, objection.column_name, lang),
        "key": objection.object_key,
        "stored": shown_value(objection.stored_value, lang),
        "claimed": objection.claimed_value or "—",
        "reason": objection.reason,
        "lodged_by": objection.lodged_by,
        "lodged_on": objection.lodged_on,
        "recorded_by": objection.recorded_by,
        "source_import": objection.source_import_id,
        "routed_to": department_label(objection.routed_to, lang),
        "state": state.value,
        "open": state is ObjectionState.OPEN,
        "state_label": state_label(state.value, lang),
        "colour": STATE_COLOURS[state],
        "answer_import": objection.answer_import_id,
        "corrected": shown_value(objection.corrected_value, lang),
        "answer_reason": objection.answer_reason,
        "answered_on": objection.answered_on,
        "answered_by": objection.answered_by,
    }


@dataclass(frozen=True)
class Now:
    """The value an open objection disputes as stored now, and the import that wrote it: what a
    department answering by a correction points to."""

    value: str
    changed: bool
    import_id: int | None
    import_actor: str | None


def now_of(db: Session, objection: Objection, lang: str) -> Now | None:
    """The disputed value as stored now; None when its record is gone."""
    spec = spec_of(objection.table_name)
    if spec is None:
        return None
    try:
        value = stored_value(db, spec, objection.object_key, objection.column_name)
    except CaseRefusedError:
        return None
    if type(value) is object:  # the service's marker: no record has the key
        return None
    written = _written(value)
    source = source_of(db, spec.name, objection.object_key, objection.column_name)
    return Now(
        value=shown_value(written, lang),
        changed=written != objection.stored_value,
        import_id=source.import_id,
        import_actor=source.actor,
    )


def _written(value: Any) -> str | None:
    """A value as the service writes it down (a date as YYYY-MM-DD, a flag as true/false)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def import_label(db: Session, import_id: int | None, lang: str) -> str | None:
    """``第 7 次导入（zhujian，2024年7月3日）``."""
    if import_id is None:
        return None
    done = db.get(DataImport, import_id)
    if done is None:
        return None
    when = day(done.finished_at, "zh" if lang == "zh" else "en")
    if lang == "zh":
        return f"第 {import_id} 次导入（{done.actor}，{when}）"
    return f"import {import_id} ({done.actor}, {when})"


def publishable_runs(db: Session, limit: int = 20) -> list[IdentificationRun]:
    """The kept runs of profiles as published (never a what-if), the latest first."""
    return list(
        db.scalars(
            select(IdentificationRun)
            .where(PUBLISHED)
            .order_by(IdentificationRun.id.desc())
            .limit(limit)
        )
    )


# -- the workbench's to-dos ----------------------------------------------------------------------


def objection_todos(db: Session, current: Current) -> list[Item]:
    """For a department's account, the objections routed to its department awaiting an answer;
    for the administrator, those no department supplies the value of (routed to it)."""
    role = Role(current.account.role)
    if Action.TASK not in ALLOWED[role]:
        return []
    try:
        scope = permitted(current.account, Action.TASK)
    except RefusedError:
        return []
    query = objections_query(ObjectionFilters(state=ObjectionState.OPEN))
    if scope.units is not None:
        query = restrict(query, scope, Objection)
    elif role is Role.ADMINISTRATOR:
        query = query.where(Objection.routed_to.is_(None))
    else:
        return []
    found = list(db.scalars(query.limit(TODO_LIMIT + 1)))
    items = [
        Item(
            level="warning",
            zh=f"异议 {o.id}：{o.lodged_by}对{table_label(o.table_name, 'zh')}"
            f"「{column_label(o.table_name, o.column_name, 'zh')}」（{o.object_key}）"
            f"提出异议，待答复",
            en=f"Objection {o.id}: {o.lodged_by} disputes {o.table_name}.{o.column_name} "
            f"({o.object_key}): awaiting your answer",
            href=f"/objections#objection-{o.id}",
        )
        for o in found[:TODO_LIMIT]
    ]
    if len(found) > TODO_LIMIT:
        rest = counted(db, query) - TODO_LIMIT
        items.append(
            Item(
                level="info",
                zh="另有待答复异议：",
                en="More objections awaiting an answer:",
                href="/objections",
                count=rest,
            )
        )
    return items
