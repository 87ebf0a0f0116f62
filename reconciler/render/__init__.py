"""Output: plans, drift and apply results as text (`text`), review comments (`markdown`),
JUnit XML (`junit`) and the HTML page (`html`). Nothing here reads a tenant or changes anything.
"""
