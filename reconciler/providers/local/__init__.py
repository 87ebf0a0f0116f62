"""The local provider: a simulated tenant in a SQLite file.

`tables` holds its SQL (the schema, row mapping and the row-level rules), `store` the file (opening
it, one transaction per write, reading the whole state, loading a snapshot), `provider` the writes.
"""
