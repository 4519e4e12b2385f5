"""The sealed annex: for counsel, the real identities behind the dossier's pseudonyms.

It is a PDF of its own, so the dossier can be filed and shared while the annex is
lodged under seal: "UNDER SEAL" is printed on every page, and it carries its own
manifest (the dossier it belongs to and the fingerprint of each identity's record).
Only the counsel audience has one; the identities come from the snapshot's
``sealed`` list, which the dossier's own template never prints.
"""

from __future__ import annotations

import json

from evidence.dossiers.layout import data_attachment
from evidence.dossiers.render import render_document
from evidence.dossiers.snapshot import Snapshot
from evidence.protection import COUNSEL

SEALED_MANIFEST_NAME = "sealed-manifest.json"
SEALED_FORMAT = "evidence-sealed-annex/1"


def sealed_manifest(snapshot: Snapshot) -> bytes:
    document = {
        "format": SEALED_FORMAT,
        "dossier": snapshot.dossier_id,
        "audience": snapshot.audience,
        "generated_at": snapshot.generated_at,
        "audit": {"seq": snapshot.audit_seq, "hash": snapshot.audit_hash},
        "identities": [
            {"pseudonym": x.pseudonym, "entity": "person", "id": x.person_id, "hash": x.hash}
            for x in snapshot.sealed
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2, sort_keys=True).encode() + b"\n"


def render_sealed_annex(snapshot: Snapshot) -> bytes | None:
    """The sealed annex PDF, or None when the audience is not counsel."""
    if snapshot.audience != COUNSEL:
        return None
    attachment = data_attachment(
        snapshot,
        sealed_manifest(snapshot),
        SEALED_MANIFEST_NAME,
        "The identities in this sealed annex and the fingerprints of their records",
    )
    return render_document("sealed.html", snapshot, [attachment])
