"""Machinery with no tenant in it, for every stage: the garbage-collector pause for long-lived
data (`gc_pause`) and the crash points the crash-safety tests use (`crash_points`).

It imports nothing from tenantctl.
"""
