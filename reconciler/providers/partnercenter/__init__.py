"""Partner Center (CSP, new commerce): the commerce channel for NCE tenants."""
