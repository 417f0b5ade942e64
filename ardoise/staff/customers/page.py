"""The customer page's Account tab: what it shows, gathered in one place for its views.

Context names are a contract with the panels other areas include (`customer`, `account`,
`overview`): the statements panel and the sales panel read them.
"""

from typing import Any

from ardoise.ledger.models import Account
from ardoise.ledger.selectors import (
    account_activity,
    balance_series,
    held_reservations,
    overview,
)
from ardoise.payments.models import PaymentMode
from ardoise.payments.selectors import ACCOUNT, money_received
from ardoise.shops.access import MemberRequest
from ardoise.staff.customers import selectors
from ardoise.staff.customers.chart import balance_chart
from ardoise.staff.customers.forms import (
    ActivityRangeForm,
    ApplyDepositForm,
    CreditLimitForm,
    limit_initial,
)
from ardoise.statements.activity import activity_lines, online_credit_ids
from ardoise.statements.selectors import online_payment_labels


def account_context(
    request: MemberRequest,
    account: Account,
    *,
    limit_form: CreditLimitForm | None = None,
    deposit_form: ApplyDepositForm | None = None,
) -> dict[str, Any]:
    start, end, preset = selectors.activity_range(request.GET.dict())
    activity = account_activity(account, start=start, end=end)
    labels = {mode.code: str(mode.label) for mode in PaymentMode.objects.for_shop(account.shop_id)}
    received = money_received(account.shop_id, start, end, customer_id=account.customer_id)
    # Internal references (an online payment's `statement:<id>`) read as people say them, in the
    # activity and in the money received alike: one lookup for both.
    online_ids = set(online_credit_ids(activity)) | {
        receipt.credit_id
        for receipt in received.receipts
        if receipt.credit_id is not None and receipt.reference.startswith("statement:")
    }
    reference_labels = online_payment_labels(account.shop_id, online_ids)
    for receipt in received.receipts:
        if receipt.credit_id in reference_labels:
            receipt.reference = reference_labels[receipt.credit_id]
    if limit_form is None:
        limit_form = CreditLimitForm(initial=limit_initial(account.credit_limit))
    automatic = request.membership.shop.auto_allocate
    idle = selectors.idle_deposit(account, automatic=automatic)
    if deposit_form is None and idle is not None and idle.applicable > 0:
        deposit_form = ApplyDepositForm(charges=idle.open_charges)
    return {
        "customer": account.customer,
        "account": account,
        "overview": overview(account),
        # Read only when something is held (the cached `reserved` says): no query otherwise.
        "reservations": selectors.reservation_rows(held_reservations(account))
        if account.reserved
        else [],
        "limit_form": limit_form,
        "automatic": automatic,
        "idle": idle,
        "deposit_form": deposit_form,
        "activity": activity,
        "lines": activity_lines(activity, labels, reference_labels),
        "chart": balance_chart(balance_series(activity)),
        "received": received,
        "received_by_mode": [
            (labels.get(mode, mode), amount)
            for mode, amount in received.by_mode.items()
            if mode != ACCOUNT
        ],
        "mode_labels": labels,
        "range_form": ActivityRangeForm(initial={"start": start, "end": end}),
        "presets": selectors.activity_presets(),
        "preset": preset,
        "tab": "account",
        "nav": "customers",
    }
