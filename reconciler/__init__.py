"""tenantctl: Microsoft 365 licensing and calling billing as code.

Four stages, four kinds of values: `spec` loads the desired state, `providers` read the live
state, `plan` computes the actions as pure data, `apply` executes them.
"""

__version__ = "0.1.0"
