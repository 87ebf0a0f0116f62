"""The Microsoft Graph provider: `provider` (reads and writes a tenant), `client` (HTTP, batches,
paging, throttling) and `auth` (the sign-in and its token)."""
