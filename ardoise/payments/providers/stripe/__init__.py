"""Stripe: Checkout Sessions in payment mode, signed webhooks, refunds."""
