"""Synthetic evidence/1 documents with every optional field filled (tests and benchmarks)."""

from __future__ import annotations

import random
from typing import Any

from evidence import vocabularies as v

DATES = ["2020-08-10", "2020-08", "2003?", "2000/2001", "2002~", "1998/..", "2020-08~", "2006-03"]
NAMES = ["Тарайковский", "Taraikovsky", "Лукашэнка", "Zhodino", "Алмаз", "Naumov", "Kazulin"]


def varied_dates(rng: random.Random, count: int = 3000) -> list[str]:
    """``count`` distinct EDTF dates of every accepted form, as an archive holds them."""
    found: set[str] = set()
    while len(found) < count:
        year, month, day = rng.randint(1994, 2024), rng.randint(1, 12), rng.randint(1, 28)
        qualifier = rng.choice(["", "", "?", "~", "%"])
        found.add(
            rng.choice(
                [
                    f"{year}-{month:02d}-{day:02d}",
                    f"{year}-{month:02d}-{day:02d}{qualifier}",
                    f"{year}-{month:02d}{qualifier}",
                    f"{year}{qualifier}",
                    f"{year}/{year + rng.randint(1, 3)}",
                    f"{year}-{month:02d}/{year + 1}-{month:02d}",
                    f"{year}-{rng.randint(21, 24)}",
                    f"[{year},{year + 1}]",
                    f"{year}/..",
                    f"{str(year)[:3]}X",
                ]
            )
        )
    return sorted(found)


def citation(rng: random.Random, source_keys: list[str]) -> dict[str, Any]:
    return {
        "source": rng.choice(source_keys),
        "locator": f"p. {rng.randint(1, 300)}",
        "quote": f"«{rng.choice(NAMES)}» said so",
        "credibility": rng.randint(1, 6),
    }


def document(
    incidents: int = 20, seed: int = 7, with_exhibits: bool = True, distinct_dates: int = 0
) -> dict[str, Any]:
    """A consistent document; about 10 records of other kinds per 100 incidents.

    Incident dates come from ``DATES``, or from ``distinct_dates`` varied ones.
    """
    rng = random.Random(seed)
    incident_dates = varied_dates(rng, distinct_dates) if distinct_dates else DATES
    scale = max(incidents // 10, 3)
    violation_types = [
        {"key": f"violation-{n}", "label": f"Violation {n}", "description": f"Kind {n}"}
        for n in range(5)
    ]
    places = [
        {
            "key": f"place-{n}",
            "name": f"Place {n} {rng.choice(NAMES)}",
            "aliases": [f"Место {n}", f"Mesta {n}"],
            "kind": rng.choice(v.PLACE_KINDS),
            "parent": f"place-{n - 1}" if n else None,
            "lat": round(rng.uniform(51, 56), 5),
            "lon": round(rng.uniform(23, 32), 5),
        }
        for n in range(scale)
    ]
    sources = [
        {
            "key": f"source-{n}",
            "kind": rng.choice(v.SOURCE_KINDS),
            "title": f"Source {n}",
            "url": f"https://example.org/{n}",
            "publisher": "Radio Svaboda",
            "author": "Anna Sous",
            "published": rng.choice(DATES),
            "accessed": "2020-11-01",
            "language": "be",
            "reliability": rng.choice(list(v.RELIABILITY)),
            "notes": "Translated",
        }
        for n in range(scale)
    ]
    source_keys = [s["key"] for s in sources]
    units = [
        {
            "key": f"unit-{n}",
            "name": f"Unit {n}",
            "aliases": [f"Подразделение {n}"],
            "kind": rng.choice(v.UNIT_KINDS),
            "parents": [{"unit": f"unit-{n - 1}", "start": "2000", "end": "2010~"}] if n else [],
        }
        for n in range(scale)
    ]
    persons = [
        {
            "key": f"person-{n}",
            "name": f"Person {n}",
            "aliases": [f"Персона {n}", f"Persona {n}"],
            "notes": "Born 1977",
            "memberships": [
                {
                    "unit": rng.choice(units)["key"],
                    "title": "Officer",
                    "start": "1998",
                    "end": "2003?",
                    "sources": [citation(rng, source_keys)],
                }
            ],
        }
        for n in range(scale)
    ]
    incident_records = [
        {
            "key": f"incident-{n}",
            "title": f"Incident {n}: beating in {rng.choice(NAMES)}",
            "date": rng.choice(incident_dates),
            "place": rng.choice(places)["key"],
            "violations": sorted({rng.choice(violation_types)["key"] for _ in range(2)}),
            "status": rng.choice(v.INCIDENT_STATUSES),
            "summary": f"Summary of incident {n}",
            "sources": [citation(rng, source_keys)],
            "involvements": [
                {
                    "unit": rng.choice(units)["key"],
                    "person": None,
                    "role": "perpetrator",
                    "confidence": rng.choice(v.CONFIDENCE_LEVELS),
                    "sources": [citation(rng, source_keys)],
                },
                {
                    "unit": None,
                    "person": rng.choice(persons)["key"],
                    "role": rng.choice(v.INVOLVEMENT_ROLES),
                    "confidence": rng.choice(v.CONFIDENCE_LEVELS),
                    "sources": [citation(rng, source_keys), citation(rng, source_keys)],
                },
            ],
        }
        for n in range(incidents)
    ]
    statements = [
        {
            "key": f"statement-{n}",
            "witness": rng.choice(persons)["key"],
            "pseudonym": f"Witness {n}",
            "protection": rng.choice(v.PROTECTION_LEVELS),
            "taken": "2020-09",
            "taken_by": "Documenter",
            "language": "ru",
            "text": f"Statement text {n}",
            "translation": f"Translation {n}",
            "source": rng.choice(source_keys),
            "incidents": [{"incident": rng.choice(incident_records)["key"], "excerpt": "excerpt"}],
        }
        for n in range(scale)
    ]
    cases = [
        {
            "key": "case-0",
            "title": "Case 0",
            "summary": "All incidents",
            "incidents": [i["key"] for i in incident_records[:10]],
        }
    ]
    result: dict[str, Any] = {
        "format": "evidence/1",
        "violation_types": violation_types,
        "places": places,
        "units": units,
        "persons": persons,
        "sources": sources,
        "incidents": incident_records,
        "statements": statements,
        "cases": cases,
    }
    if with_exhibits:
        result["exhibits"] = [
            {
                "key": "exhibit-0",
                "sha256": "a" * 64,
                "filename": "video.mp4",
                "media_type": "video/mp4",
                "size": 1024,
                "acquired": "2020-08-12",
                "acquired_from": "A witness",
                "incidents": [incident_records[0]["key"]],
                "statements": [statements[0]["key"]],
                "sources": [source_keys[0]],
                "custody": [
                    {
                        "at": "2020-08-12T10:00:00Z",
                        "action": "acquired",
                        "by": "documenter",
                        "note": "USB stick",
                    }
                ],
            }
        ]
    return result
