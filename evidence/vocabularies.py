"""The closed vocabularies of the evidence/1 format (FORMAT.md)."""

from __future__ import annotations

PLACE_KINDS = (
    "prison",
    "detention-centre",
    "police-station",
    "street",
    "building",
    "settlement",
    "region",
    "other",
)
UNIT_KINDS = (
    "ministry",
    "police",
    "special-forces",
    "military",
    "security-service",
    "penitentiary",
    "court",
    "other",
)
SOURCE_KINDS = ("web", "document", "video", "image", "audio", "interview", "other")
RELIABILITY = {
    "A": "completely reliable",
    "B": "usually reliable",
    "C": "fairly reliable",
    "D": "not usually reliable",
    "E": "unreliable",
    "F": "cannot be judged",
}
CREDIBILITY = {
    1: "confirmed",
    2: "probably true",
    3: "possibly true",
    4: "doubtful",
    5: "improbable",
    6: "cannot be judged",
}
INCIDENT_STATUSES = ("alleged", "corroborated", "verified", "disputed")
INVOLVEMENT_ROLES = ("perpetrator", "commander", "present", "victim", "witness")
CONFIDENCE_LEVELS = ("low", "medium", "high")
CUSTODY_ACTIONS = ("acquired", "uploaded", "verified", "exported", "transferred", "redacted")
PROTECTION_LEVELS = ("public", "pseudonymous", "confidential")
AUDIENCES = ("internal", "counsel", "public")
ROLES = ("admin", "documenter", "lawyer", "auditor", "viewer")
