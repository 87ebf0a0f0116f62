"""tenantctl: Microsoft 365 licensing and calling billing as code.

Four stages, four kinds of values, one package each: `spec` loads the desired state, `providers`
read the live state, `plan` computes the actions as pure data, `apply` executes them. `domain`
holds the values they share, `render` the output, `cli` the commands, `support` machinery with no
tenant in it. Imports point down (docs/design.md, "Layout"; checked by `lint-imports`).
"""

__version__ = "0.1.0"
