"""The payment-provider interface: one folder per provider behind one small protocol.

A provider creates a hosted checkout for an amount, tells us how a checkout ended through a
signed confirmation (a webhook or a redirect), and answers a status query. Ardoise ships the
**test provider** (`providers/test/`), a local checkout page that approves or declines, so the
whole flow runs offline; SumUp and Stripe come later behind the same protocol.

`base` holds the protocol, its dataclasses and errors; `registry` the providers on offer.
"""
