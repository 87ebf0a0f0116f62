"""`python -m reconciler` runs the tenantctl CLI."""

from .entry import main

main()
