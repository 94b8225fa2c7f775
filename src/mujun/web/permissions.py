"""The one permission gate every page and API call passes through (after NetBox's
``restrict``).

A role says what an account may do; a scope says where: the counties it may read or work on,
and for an import the tables and columns its department supplies (:mod:`mujun.policy.duties`).
:func:`restrict` answers both for an account and an action, or refuses. Every read of records
is then kept to the scope by :mod:`mujun.web.gate`. A request for a record outside the scope
is refused, never silently filtered into a wrong answer, and the refusal is written to the
audit log (:mod:`mujun.web.audit`).
"""

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import StrEnum

from mujun.policy import duties
from mujun.policy.duties import Department
from mujun.records.accounts import Account


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    CITY_ANALYST = "city_analyst"
    COUNTY_OFFICER = "county_officer"
    DATA_PROVIDER = "data_provider"
    VIEWER = "viewer"

    @property
    def label_zh(self) -> str:
        return _ROLE_ZH[self]

    @property
    def label_en(self) -> str:
        return self.value.replace("_", " ")


_ROLE_ZH = {
    Role.ADMINISTRATOR: "系统管理员",
    Role.CITY_ANALYST: "市级分析员",
    Role.COUNTY_OFFICER: "县区工作人员",
    Role.DATA_PROVIDER: "部门数据报送员",
    Role.VIEWER: "查阅人员",
}


class Action(StrEnum):
    READ = "read"
    """See records, findings, grades, counts, charts, exports and map tiles."""
    RUN = "run"
    """Start identification and evaluation runs."""
    IMPORT = "import"
    """Import data: an administrator every table, a data provider its department's."""
    ADMINISTER = "administer"
    """Manage accounts."""
    WORK = "work"
    """Work disposal cases: verify, plan, dispatch, record legal steps, issue documents."""
    DECIDE = "decide"
    """The task force's decisions on cases: open them from a run, confirm, approve plans,
    close."""
    TASK = "task"
    """Sign for and complete the tasks dispatched to one's unit."""


ALLOWED: Mapping[Role, frozenset[Action]] = {
    Role.ADMINISTRATOR: frozenset(Action),
    Role.CITY_ANALYST: frozenset(
        {Action.READ, Action.RUN, Action.WORK, Action.DECIDE, Action.TASK}
    ),
    Role.COUNTY_OFFICER: frozenset({Action.READ, Action.WORK, Action.TASK}),
    Role.DATA_PROVIDER: frozenset({Action.IMPORT, Action.TASK}),
    Role.VIEWER: frozenset({Action.READ}),
}
"""What each role may do. Runs are computed over the whole city, so a county officer reads
them but does not start them. The city analyst is the task force (工作专班) of workflow.md §1:
it opens cases, confirms them, approves plans and closes them; the county officer verifies and
works its county's cases; a department's account (the data provider) signs for and completes
the tasks dispatched to its department."""


class RefusedError(Exception):
    """A request outside the account's rights; the message says why, in Chinese and English."""

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en


@dataclass(frozen=True)
class Scope:
    """Where an action may reach: every county (``counties`` None) or the ones listed; for an
    import, also the tables and columns it may bring (``imports``; None: none at all)."""

    counties: frozenset[str] | None
    imports: Department | None = None
    units: frozenset[str] | None = None
    """For tasks, the units whose tasks it may work (None: every unit in its counties)."""

    @property
    def everywhere(self) -> bool:
        """Whether the scope is every county."""
        return self.counties is None

    def require_import(self, supplied: Mapping[str, Collection[str]]) -> None:
        """Refuse a data set (its tables, each with the columns it has) holding any table or
        column outside ``imports``, naming every one: refused whole, never trimmed."""
        if self.imports is None:
            raise RefusedError("无权导入数据", "you may not import data")
        refusals = duties.refused(self.imports, supplied)
        if refusals:
            raise RefusedError(
                f"{self.imports.label_zh}无权导入："
                + "、".join(r.label_zh for r in refusals)
                + "。本次上传未导入任何数据，请删去这些表或列后重新上传。",
                f"the {self.imports.label_en} may not import "
                + ", ".join(r.label_en for r in refusals)
                + "; nothing was imported: remove them and upload again",
            )


def restrict(account: Account, action: Action) -> Scope:
    """The scope within which ``account`` may do ``action``, or refuse."""
    role = Role(account.role)
    if action not in ALLOWED[role]:
        raise RefusedError(
            f"{role.label_zh}无权执行此操作（{action}）", f"a {role} may not {action}"
        )
    if action is Action.IMPORT:
        return Scope(None, imports=_imports_of(account, role))
    if action is Action.TASK and role is Role.DATA_PROVIDER:
        return Scope(None, units=frozenset({_imports_of(account, role).code}))
    if role is Role.COUNTY_OFFICER or (role is Role.VIEWER and account.county_code):
        return Scope(frozenset({account.county_code or ""}))
    return Scope(None)


def _imports_of(account: Account, role: Role) -> Department:
    """Every table for an administrator; for a data provider its department's duties, refused
    when the account names no known department."""
    if role is Role.ADMINISTRATOR:
        return duties.EVERY_TABLE
    found = duties.department(account.department)
    if found is None:
        raise RefusedError(
            f"账号未设置有效的报送部门（{account.department or '空'}），无权导入数据",
            f"the account names no known department ({account.department}): it may not import",
        )
    return found
