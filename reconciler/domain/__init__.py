"""The domain: the values every stage shares, and nothing that reads or writes anything.

The model (`TenantSpec`, `TenantState`, `PriceList`), the SKU catalog, the action types, the
billing roles Microsoft documents and the errors. Every other stage may import it; it imports no
other stage.
"""
