"""SumUp: hosted checkouts, signed notifications read back from the API, refunds."""
