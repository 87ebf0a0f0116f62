"""Stage 3, the plan: the actions that bring a tenant's state to its spec, as pure data.

`compute` plans; the rest are its parts (licenses, subscriptions, seats, credits, targets), what
a plan costs and whether its guardrails hold, the admin-center steps of manual actions, drift
and digests. No I/O: it imports only `domain` and `support`, never a provider, apply or the CLI.
"""
