"""The domain: the values every stage shares, and nothing that reads or writes anything.

The model (`TenantSpec`, `TenantState`, `PriceList`), the SKU catalog, the action types, the
billing roles Microsoft documents, the errors, and the canonical dict forms of a spec and a
state (`canonical`). Every other stage may import it; it imports no other stage.
"""
