"""Policy profiles: a jurisdiction's rules and parameters, as data files.

A profile file (``files/<id>.yaml``) names the rules it applies (rule ids of rules.md), the
category and clause of each, and the parameters they read. A local profile ``extends`` another
(the national base): it inherits the base's parameters and rules, may ``omit`` base rules and
may redefine base parameters. Its ``documents`` section names who issues each kind of case
document and the 机关代字 of its number (:class:`DocumentIssuer`); a local profile may restate any
of them. A what-if run overrides parameters without editing the file
(:meth:`Profile.with_overrides`, after OpenFisca's reforms).
"""

import datetime as dt
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from mujun.policy.evaluation import EvaluationSpec
from mujun.policy.parameters import Parameter, ParameterError, ParameterValues


class Category(StrEnum):
    """What a finding says the subject is (interface.md, ``category``)."""

    IDLE_LAND = "idle_land"
    LOW_EFFICIENCY_LAND = "low_efficiency_land"
    NON_INDUSTRIAL_USE = "non_industrial_use"
    IDLE_BUILDING = "idle_building"
    LOW_EFFICIENCY_BUILDING = "low_efficiency_building"
    ABNORMAL_ENTERPRISE = "abnormal_enterprise"
    APPROVED_NOT_SUPPLIED = "approved_not_supplied"
    SUPERVISED_RESOURCE = "supervised_resource"

    @property
    def label_zh(self) -> str:
        return _CATEGORY_ZH[self]

    @property
    def label_en(self) -> str:
        return _CATEGORY_EN[self]


_CATEGORY_ZH = {
    Category.IDLE_LAND: "闲置土地",
    Category.LOW_EFFICIENCY_LAND: "低效用地",
    Category.NON_INDUSTRIAL_USE: "占工非工",
    Category.IDLE_BUILDING: "闲置厂房（楼宇）",
    Category.LOW_EFFICIENCY_BUILDING: "低效厂房",
    Category.ABNORMAL_ENTERPRISE: "非正常规上企业",
    Category.APPROVED_NOT_SUPPLIED: "批而未供",
    Category.SUPERVISED_RESOURCE: "资源监管库",
}
_CATEGORY_EN = {
    Category.IDLE_LAND: "Idle land",
    Category.LOW_EFFICIENCY_LAND: "Low-efficiency land",
    Category.NON_INDUSTRIAL_USE: "Industrial land in non-industrial use",
    Category.IDLE_BUILDING: "Idle factory or building",
    Category.LOW_EFFICIENCY_BUILDING: "Low-efficiency factory",
    Category.ABNORMAL_ENTERPRISE: "Abnormal above-scale enterprise",
    Category.APPROVED_NOT_SUPPLIED: "Approved, not supplied",
    Category.SUPERVISED_RESOURCE: "Resource supervision database",
}


class SubjectType(StrEnum):
    """What a finding names (interface.md, ``subject_type``)."""

    PARCEL = "parcel"
    BUILDING = "building"
    ENTERPRISE = "enterprise"
    APPROVAL = "approval"

    @property
    def label_zh(self) -> str:
        return {"parcel": "宗地", "building": "房屋", "enterprise": "企业", "approval": "批次"}[
            self.value
        ]


class ProfileError(ValueError):
    """A profile that does not exist or cannot be read."""


@dataclass(frozen=True)
class Rule:
    """One rule as a profile applies it."""

    id: str
    category: Category
    subjects: tuple[SubjectType, ...]
    source: str
    title_zh: str
    title_en: str
    note: str = ""


@dataclass(frozen=True)
class DisposalPath:
    """A way a case of some category may be disposed of (workflow.md §1, "Disposal paths"):
    what its plan (一地一策) picks. An idle-land path may apply to one cause only."""

    id: str
    title_zh: str
    title_en: str
    source: str
    cause: str | None = None
    """``government`` or ``enterprise`` for the idle-land paths that follow a cause."""


DOCUMENT_KINDS = (
    "investigation_notice",
    "determination",
    "hearing_notice",
    "fee_decision",
    "revocation_decision",
    "plan",
    "dispatch",
)
"""The kinds of case document a profile's ``documents`` section speaks of
(:class:`mujun.disposal.documents.DocumentKind`, by value)."""

DOCUMENT_PLACEHOLDERS = {
    "county": "the county's name (桐庐县)",
    "short": "the county's short name (简称: 桐), the first character of its name unless given",
}
"""The names a ``documents`` entry may write in braces."""


@dataclass(frozen=True)
class DocumentIssuer:
    """Who issues one kind of document and how its number begins, as templates of the
    :data:`DOCUMENT_PLACEHOLDERS`: ``issuer`` ``{county}自然资源和规划局`` and ``code`` (the
    机关代字 of GB/T 9704's 发文字号) ``{short}自然资闲``, numbered ``{code}〔year〕n号``."""

    issuer: str
    code: str

    def issuer_of(self, county: str, short: str) -> str:
        return self.issuer.format(county=county, short=short)

    def code_of(self, county: str, short: str) -> str:
        return self.code.format(county=county, short=short)


@dataclass(frozen=True)
class Profile:
    """A jurisdiction's identification rules and the parameters they read."""

    id: str
    version: int
    title_zh: str
    title_en: str
    document: str
    extends: str | None
    rules: Mapping[str, Rule]
    parameters: Mapping[str, Parameter]
    overrides: Mapping[str, str]
    evaluation: EvaluationSpec | None = None
    """The per-mu comprehensive evaluation, where the profile defines one."""
    disposal_paths: Mapping[Category, tuple[DisposalPath, ...]] = field(default_factory=dict)
    """Per category, the disposal paths a case's plan may pick; a local profile's list for a
    category replaces the base's."""
    documents: Mapping[str, DocumentIssuer] = field(default_factory=dict)
    """Per document kind (:data:`DOCUMENT_KINDS`), its issuer and number code; a local profile
    restates what differs, key by key. Empty for a profile that issues no case documents."""

    def values(self, as_of: dt.date) -> ParameterValues:
        """The parameters as of a run's date."""
        return ParameterValues(as_of=as_of, parameters=self.parameters)

    def with_overrides(self, overrides: Mapping[str, str]) -> "Profile":
        """This profile with some parameters set to one value on every date (a what-if)."""
        parameters = dict(self.parameters)
        for name, raw in overrides.items():
            if name not in parameters:
                known = ", ".join(sorted(parameters))
                raise ProfileError(f"{self.id} has no parameter {name!r} (it has: {known})")
            try:
                parameters[name] = parameters[name].overridden(raw)
            except ParameterError as error:
                raise ProfileError(f"--set {name}={raw}: {error}") from error
        return replace(self, parameters=parameters, overrides={**self.overrides, **overrides})

    def only(self, rule_ids: Iterable[str]) -> "Profile":
        """This profile with only the rules named (an exit evaluation re-runs a case's own)."""
        wanted = set(rule_ids)
        unknown = wanted - set(self.rules)
        if unknown:
            raise ProfileError(f"{self.id} has no rule {', '.join(sorted(unknown))}")
        return replace(self, rules={k: v for k, v in self.rules.items() if k in wanted})

    def paths_for(self, category: Category, cause: str | None = None) -> tuple[DisposalPath, ...]:
        """The disposal paths of ``category``: for a known cause, those of that cause."""
        paths = self.disposal_paths.get(category, ())
        return tuple(p for p in paths if cause is None or p.cause in (None, cause))


def profile_ids() -> list[str]:
    """The shipped profiles, by id."""
    folder = resources.files("mujun.policy") / "files"
    return sorted(
        item.name.removesuffix(".yaml") for item in folder.iterdir() if item.name.endswith(".yaml")
    )


@cache
def load_profile(profile_id: str) -> Profile:
    """A shipped profile with everything it inherits."""
    document = _document(profile_id)
    base = load_profile(document["extends"]) if document.get("extends") else None
    try:
        return _profile(profile_id, document, base)
    except (KeyError, TypeError, ValueError) as error:
        raise ProfileError(f"profile {profile_id}: {error}") from error


def all_profiles() -> list[Profile]:
    return [load_profile(profile_id) for profile_id in profile_ids()]


def _document(profile_id: str) -> dict[str, Any]:
    if profile_id not in profile_ids():
        known = ", ".join(profile_ids())
        raise ProfileError(f"no profile {profile_id!r} (the profiles are: {known})")
    path = resources.files("mujun.policy") / "files" / f"{profile_id}.yaml"
    document: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    if document.get("id") != profile_id:
        raise ProfileError(f"{path.name} declares id {document.get('id')!r}")
    return document


def _profile(profile_id: str, document: Mapping[str, Any], base: Profile | None) -> Profile:
    parameters = dict(base.parameters) if base else {}
    for name, entry in (document.get("parameters") or {}).items():
        parameters[name] = Parameter.from_document(name, entry)
    rules = dict(base.rules) if base else {}
    for omitted in document.get("omit") or ():
        if rules.pop(omitted, None) is None:
            raise ProfileError(f"omits {omitted!r}, which it does not inherit")
    for rule_id, entry in (document.get("rules") or {}).items():
        rules[rule_id] = _rule(rule_id, entry)
    evaluation = base.evaluation if base else None
    paths = dict(base.disposal_paths) if base else {}
    for category, entries in (document.get("disposal_paths") or {}).items():
        paths[Category(category)] = tuple(
            _disposal_path(path_id, entry) for path_id, entry in entries.items()
        )
    if document.get("evaluation"):
        evaluation = EvaluationSpec.from_document(document["evaluation"])
    issuers = _documents(
        f"{profile_id}.yaml", document.get("documents"), base.documents if base else {}
    )
    return Profile(
        id=profile_id,
        version=int(document["version"]),
        title_zh=str(document["title"]),
        title_en=str(document["title_en"]),
        document=str(document["document"]),
        extends=base.id if base else None,
        rules=rules,
        parameters=parameters,
        overrides={},
        evaluation=evaluation,
        disposal_paths=paths,
        documents=issuers,
    )


def _documents(
    file_name: str, section: Any, inherited: Mapping[str, DocumentIssuer]
) -> dict[str, DocumentIssuer]:
    """The ``documents`` section over what the base says; every entry checked, each kind
    complete once any is given."""
    if section is None:
        return dict(inherited)
    if not isinstance(section, Mapping):
        raise ProfileError(f"{file_name}: documents: a mapping of document kinds is expected")
    given: dict[str, dict[str, str]] = {
        kind: {"issuer": entry.issuer, "code": entry.code} for kind, entry in inherited.items()
    }
    for kind, entry in section.items():
        where = f"{file_name}: documents.{kind}"
        if kind not in DOCUMENT_KINDS:
            raise ProfileError(
                f"{where}: no such document kind (the kinds are: {', '.join(DOCUMENT_KINDS)})"
            )
        if not isinstance(entry, Mapping):
            raise ProfileError(f"{where}: issuer and code are expected")
        for key, text in entry.items():
            if key not in ("issuer", "code"):
                raise ProfileError(f"{where}.{key}: unknown key (the keys are issuer and code)")
            given.setdefault(kind, {})[key] = _document_template(f"{where}.{key}", text)
    for kind in DOCUMENT_KINDS if given else ():
        for key in ("issuer", "code"):
            if key not in given.get(kind, {}):
                raise ProfileError(
                    f"{file_name}: documents.{kind}.{key} is missing "
                    "(a profile that issues documents names every kind's issuer and code)"
                )
    return {kind: DocumentIssuer(**given[kind]) for kind in DOCUMENT_KINDS if kind in given}


def _document_template(where: str, text: Any) -> str:
    """``text``, checked: a non-empty string whose braces name only known placeholders."""
    known = "、".join(f"{{{name}}}" for name in DOCUMENT_PLACEHOLDERS)
    if not isinstance(text, str) or not text.strip():
        raise ProfileError(f"{where}: a text is expected, not {text!r}")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError as error:
        message = f"{where}: {text!r} cannot be read ({error}); write {{{{ for a brace"
        raise ProfileError(message) from error
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in DOCUMENT_PLACEHOLDERS:
            shown = f"{{{name}}}" if name else "{}"
            raise ProfileError(
                f"{where}: unknown placeholder {shown} in {text!r} (the placeholders are {known})"
            )
        if spec or conversion:
            raise ProfileError(f"{where}: write {{{name}}} plainly in {text!r}")
    return text


def _disposal_path(path_id: str, entry: Mapping[str, Any]) -> DisposalPath:
    return DisposalPath(
        id=path_id,
        title_zh=str(entry["title"]),
        title_en=str(entry["title_en"]),
        source=str(entry["source"]),
        cause=entry.get("cause"),
    )


def _rule(rule_id: str, entry: Mapping[str, Any]) -> Rule:
    subjects: Iterable[str] = entry["subjects"]
    return Rule(
        id=rule_id,
        category=Category(entry["category"]),
        subjects=tuple(SubjectType(s) for s in subjects),
        source=str(entry["source"]),
        title_zh=str(entry["title"]),
        title_en=str(entry["title_en"]),
        note=str(entry.get("note", "")),
    )
