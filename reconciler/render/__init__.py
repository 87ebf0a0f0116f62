"""Output: plans, drift and apply results as text (`text`), review comments (`markdown`, `patterns`),
JUnit XML (`junit`), the HTML page (`html`), a folder of tenants (`fleet`), past applies (`history`),
an apply's report (`apply_report`), progress lines (`progress`), the reference tables (`tables`), a
saved plan in any format (`formats`) and `validate`'s line (`validation`). Pure: values in, text or
JSON-ready dicts out; nothing here reads a tenant, writes a file or echoes.
"""
