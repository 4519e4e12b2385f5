"""The closed vocabularies of the evidence/1 format (FORMAT.md).

Each value is also the English word shown for it; ``translatable`` marks it for the
message catalogs, and pages show it translated through the ``term`` filter.
"""

from __future__ import annotations


def translatable(text: str) -> str:
    """Marks English text for the message catalogs where it is defined, outside any request;
    it is translated where it is shown."""
    return text


PLACE_KINDS = (
    translatable("prison"),
    translatable("detention-centre"),
    translatable("police-station"),
    translatable("street"),
    translatable("building"),
    translatable("settlement"),
    translatable("region"),
    translatable("other"),
)
UNIT_KINDS = (
    translatable("ministry"),
    translatable("police"),
    translatable("special-forces"),
    translatable("military"),
    translatable("security-service"),
    translatable("penitentiary"),
    translatable("court"),
    translatable("other"),
)
SOURCE_KINDS = (
    translatable("web"),
    translatable("document"),
    translatable("video"),
    translatable("image"),
    translatable("audio"),
    translatable("interview"),
    translatable("other"),
)
RELIABILITY = {
    "A": translatable("completely reliable"),
    "B": translatable("usually reliable"),
    "C": translatable("fairly reliable"),
    "D": translatable("not usually reliable"),
    "E": translatable("unreliable"),
    "F": translatable("cannot be judged"),
}
CREDIBILITY = {
    1: translatable("confirmed"),
    2: translatable("probably true"),
    3: translatable("possibly true"),
    4: translatable("doubtful"),
    5: translatable("improbable"),
    6: translatable("cannot be judged"),
}
INCIDENT_STATUSES = (
    translatable("alleged"),
    translatable("corroborated"),
    translatable("verified"),
    translatable("disputed"),
)
INVOLVEMENT_ROLES = (
    translatable("perpetrator"),
    translatable("commander"),
    translatable("present"),
    translatable("victim"),
    translatable("witness"),
)
CONFIDENCE_LEVELS = (translatable("low"), translatable("medium"), translatable("high"))
CUSTODY_ACTIONS = (
    translatable("acquired"),
    translatable("uploaded"),
    translatable("verified"),
    translatable("exported"),
    translatable("transferred"),
    translatable("redacted"),
)
PROTECTION_LEVELS = (
    translatable("public"),
    translatable("pseudonymous"),
    translatable("confidential"),
)
AUDIENCES = (translatable("internal"), translatable("counsel"), translatable("public"))
ROLES = (
    translatable("admin"),
    translatable("documenter"),
    translatable("lawyer"),
    translatable("auditor"),
    translatable("viewer"),
)
# The languages of the interface and of dossiers, each named in itself.
LANGUAGES = ("en", "be", "ru")
LANGUAGE_NAMES = {"en": "English", "be": "Беларуская", "ru": "Русский"}
