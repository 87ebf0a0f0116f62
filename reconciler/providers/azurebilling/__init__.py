"""Azure Billing (Microsoft.Billing 2024-04-01): the commerce channel for MCA tenants."""
