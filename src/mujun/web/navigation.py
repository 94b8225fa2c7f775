"""The side navigation every signed-in page has, grouped by work: 工作台 · 认定 · 评价 · 处置 ·
监测 · 地图 · 数据 · 管理.

A page joins it with one line: a :class:`Link` in its :class:`Group` of :data:`GROUPS`, naming
the action its route is gated by (the link is shown only to the roles that may take it,
``permissions.ALLOWED``) and the paths under it that are its records (``/parcels/`` under
宗地清单), which highlight it and make the breadcrumbs. A group without a link an account may
follow is not shown, so 处置 and 监测 appear when their pages are declared here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from mujun.web.permissions import ALLOWED, Action, Role


@dataclass(frozen=True)
class Link:
    """A page in the navigation: its address, its name, its icon (Tabler Icons, ``ti-…``),
    the action its route is gated by (None: every signed-in account) and the addresses of its
    records' own pages (prefixes), which lie under it."""

    path: str
    zh: str
    en: str
    icon: str
    action: Action | None = Action.READ
    under: tuple[str, ...] = ()

    def owns(self, path: str) -> bool:
        """Whether ``path`` is this page or one of its records' pages."""
        return path == self.path or any(path.startswith(prefix) for prefix in self.under)


@dataclass(frozen=True)
class Group:
    """A kind of work and its pages, in the order shown."""

    key: str
    zh: str
    en: str
    links: tuple[Link, ...]


WORKBENCH = Link("/workbench", "工作台", "Workbench", "ti-layout-dashboard", action=None)
"""Every account's landing page, and the way back from any refusal: every role may open it."""

ENTERPRISE = ("/enterprises/",)

GROUPS: tuple[Group, ...] = (
    Group(
        "workbench",
        "工作台",
        "Workbench",
        (WORKBENCH, Link("/cockpit", "驾驶舱", "Cockpit", "ti-chart-bar")),
    ),
    Group(
        "identification",
        "认定",
        "Identification",
        (
            Link("/findings", "认定结果", "Findings", "ti-list-check"),
            Link("/runs", "批次", "Runs", "ti-player-play", under=("/runs/",)),
            Link(
                "/publications",
                "公示与异议",
                "Publications",
                "ti-speakerphone",
                under=("/publications/",),
            ),
            Link("/objections", "异议答复", "Objections", "ti-message-report", Action.TASK),
        ),
    ),
    Group("evaluation", "评价", "Evaluation", (Link("/grades", "综合评价", "Grades", "ti-award"),)),
    Group(
        "disposal",
        "处置",
        "Disposal",
        (
            Link("/cases", "处置台账", "Cases", "ti-folders", under=("/cases/",)),
            Link("/cases/board", "处置看板", "Board", "ti-layout-kanban"),
            Link("/tasks", "我的任务", "My tasks", "ti-checklist", Action.TASK),
        ),
    ),
    Group(
        "monitoring",
        "监测",
        "Monitoring",
        (
            Link(
                "/warnings",
                "预警收件箱",
                "Warning inbox",
                "ti-alert-triangle",
                action=None,
                under=("/warnings/",),
            ),
        ),
    ),
    Group("map", "地图", "Map", (Link("/map", "挂图作战", "Map", "ti-map-2"),)),
    Group(
        "data",
        "数据",
        "Data",
        (
            Link("/", "宗地清单", "Parcels", "ti-vector-triangle", under=("/parcels/",)),
            Link(
                "/enterprises",
                "企业",
                "Enterprises",
                "ti-building-factory-2",
                under=("/enterprises/",),
            ),
            Link("/imports", "导入数据", "Import", "ti-file-upload", Action.IMPORT, ("/imports/",)),
        ),
    ),
    Group(
        "administration",
        "管理",
        "Administration",
        (
            Link("/admin/accounts", "账号管理", "Accounts", "ti-users", Action.ADMINISTER),
            Link("/admin/audit", "审计日志", "Audit log", "ti-shield-check", Action.ADMINISTER),
            Link("/admin/imports", "导入记录", "Import history", "ti-history"),
            Link("/account/password", "修改密码", "Change your password", "ti-key", action=None),
            Link("/api/docs", "接口文档", "API", "ti-api", Action.ADMINISTER),
        ),
    ),
)


def may_follow(role: Role, link: Link) -> bool:
    return link.action is None or link.action in ALLOWED[role]


def groups_for(role: Role) -> list[tuple[Group, list[Link]]]:
    """The groups an account of ``role`` sees, each with the links it may follow; a group
    with none is left out."""
    shown = [(group, [link for link in group.links if may_follow(role, link)]) for group in GROUPS]
    return [(group, links) for group, links in shown if links]


def link_of(path: str, links: Sequence[Link] | None = None) -> Link | None:
    """The navigation's page ``path`` is, or lies under (the most specific one)."""
    every = links if links is not None else [link for g in GROUPS for link in g.links]
    owning = [link for link in every if link.owns(path)]
    exact = [link for link in owning if link.path == path]
    return next(iter(exact or owning), None)


def group_of(link: Link) -> Group:
    return next(group for group in GROUPS if link in group.links)


def way_back(role: Role, path: str) -> Link:
    """Where a refused or missing page leads back to: the list ``path`` lies under when the
    role may open it (never a page that refuses it too), else the workbench."""
    link = link_of(path)
    if link is not None and link.path != path and may_follow(role, link):
        return link
    return WORKBENCH
