"""`python -m reconciler` runs the tenantctl CLI."""

from .cli.entry import main

main()
