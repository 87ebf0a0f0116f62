"""The `tenantctl` command line: `main` (the click group), one module per command family.

Only this package imports it. It is kept free of imports here, so that `entry` (the console
script and `python -m reconciler`) can catch a Ctrl-C that lands while the CLI is imported.
"""
