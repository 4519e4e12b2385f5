"""Top-level records of the evidence/1 format across domains.

`loading` turns stored records into their plain evidence/1 form (export, audit
log, manifests); `editing` holds the steps every domain service shares when it
changes one. Both sit above the domain models and below the services.
"""
