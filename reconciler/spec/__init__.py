"""Stage 1, the desired state: Tenant specs, rosters and snapshot files read (and written) as documents.

YAML with locations (`yamlload`), the JSON Schemas (`schema`), what the rules can still check in
an invalid file (`salvage`), the spec loader (`loader`), rosters, the shipped price list
(`prices`), TenantSnapshot files (`snapshot`) and export (`export`). It imports only `domain` and
`support`.
"""
