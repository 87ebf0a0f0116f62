"""`python -m reconciler` runs the tenantctl CLI."""

from .cli import main

main()
