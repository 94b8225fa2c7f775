"""The records layer: SQLAlchemy models of every table of the interchange format."""

from mujun.records.accounts import Account, AuditEntry, WebSession
from mujun.records.archive import ImportFile, ImportFilePiece
from mujun.records.base import Base, table_of
from mujun.records.buildings import Building
from mujun.records.cases import (
    Case,
    CaseDocument,
    CaseEvent,
    CaseFile,
    CaseFinding,
    CaseMove,
    CasePlan,
    CaseTask,
)
from mujun.records.changes import Change, DataImport
from mujun.records.derived import DERIVED_FROM
from mujun.records.enterprises import Enterprise, EnterpriseCounty
from mujun.records.evaluations import EvaluationRun, ExcludedEnterprise, Grade
from mujun.records.jobs import Job
from mujun.records.jurisdictions import Jurisdiction
from mujun.records.land import Construction, LandApproval, LandContract, LandOccupancy, Parcel
from mujun.records.metrics import AnnualMetric, MonthlyMetric
from mujun.records.monitoring import EarlyWarning, MonitoringRun, MonitoringUnjudged, WarningMonth
from mujun.records.objections import Objection, Publication
from mujun.records.risks import Compliance, LegalEvent
from mujun.records.runs import Finding, IdentificationRun, UnjudgedSubject

# The tables of the interchange format, each after every table it refers to.
DATA_MODELS: tuple[type[Base], ...] = (
    Jurisdiction,
    Enterprise,
    Parcel,
    LandOccupancy,
    LandContract,
    Construction,
    Building,
    AnnualMetric,
    MonthlyMetric,
    LegalEvent,
    Compliance,
    LandApproval,
)

__all__ = [
    "DATA_MODELS",
    "DERIVED_FROM",
    "Account",
    "AnnualMetric",
    "AuditEntry",
    "Base",
    "Building",
    "Case",
    "CaseDocument",
    "CaseEvent",
    "CaseFile",
    "CaseFinding",
    "CaseMove",
    "CasePlan",
    "CaseTask",
    "Change",
    "Compliance",
    "Construction",
    "DataImport",
    "EarlyWarning",
    "Enterprise",
    "EnterpriseCounty",
    "EvaluationRun",
    "ExcludedEnterprise",
    "Finding",
    "Grade",
    "IdentificationRun",
    "ImportFile",
    "ImportFilePiece",
    "Job",
    "Jurisdiction",
    "LandApproval",
    "LandContract",
    "LandOccupancy",
    "LegalEvent",
    "MonitoringRun",
    "MonitoringUnjudged",
    "MonthlyMetric",
    "Objection",
    "Parcel",
    "Publication",
    "UnjudgedSubject",
    "WarningMonth",
    "WebSession",
    "table_of",
]
