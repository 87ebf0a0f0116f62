"""The local provider: a simulated tenant in a SQLite file.

`tables` holds its SQL (the schema, row mapping and the row-level rules), `provider` the provider.
"""
