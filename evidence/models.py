"""Imports every domain's models so that the metadata is complete (Alembic, tests)."""

from evidence.accounts.models import RecoveryCode, SignInFailure, User, UserSession
from evidence.actors.models import Membership, Person, Unit, UnitParent
from evidence.audit.models import AuditEntry, AuditHead
from evidence.cases.models import Case, CaseIncident
from evidence.dossiers.models import CaseStatementExclusion, DossierJob, DossierSecret
from evidence.drafts.models import Draft
from evidence.exhibits.models import CustodyEvent, Exhibit, ExhibitLink
from evidence.incidents.models import Incident, IncidentViolation, Involvement, ViolationType
from evidence.interchange.models import SheetMapping, SheetUpload
from evidence.links.models import Capture, CaptureJob, LinkCheck, LinkCheckRun
from evidence.places.models import Place
from evidence.search.models import SearchDocument, SearchTerm
from evidence.sources.models import Citation, Source
from evidence.statements.models import Statement, StatementIncident

__all__ = [
    "AuditEntry",
    "AuditHead",
    "Capture",
    "CaptureJob",
    "Case",
    "CaseIncident",
    "CaseStatementExclusion",
    "Citation",
    "CustodyEvent",
    "DossierJob",
    "DossierSecret",
    "Draft",
    "Exhibit",
    "ExhibitLink",
    "Incident",
    "IncidentViolation",
    "LinkCheck",
    "LinkCheckRun",
    "Involvement",
    "Membership",
    "Person",
    "Place",
    "RecoveryCode",
    "SearchDocument",
    "SheetMapping",
    "SheetUpload",
    "SearchTerm",
    "SignInFailure",
    "Source",
    "Statement",
    "StatementIncident",
    "Unit",
    "UnitParent",
    "User",
    "UserSession",
    "ViolationType",
]
