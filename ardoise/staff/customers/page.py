"""The customer page's Account tab: what it shows, gathered in one place for its views.

Context names are a contract with the panels other areas include (`customer`, `account`,
`overview`): the statements panel and the sales panel read them.
"""

from typing import Any

from django.http import HttpRequest

from ardoise.ledger.models import Account
from ardoise.ledger.selectors import account_activity, balance_series, overview
from ardoise.payments.models import PaymentMode
from ardoise.payments.selectors import ACCOUNT, money_received
from ardoise.staff.customers import selectors
from ardoise.staff.customers.chart import balance_chart
from ardoise.staff.customers.forms import ActivityRangeForm, CreditLimitForm


def account_context(
    request: HttpRequest, account: Account, *, limit_form: CreditLimitForm | None = None
) -> dict[str, Any]:
    start, end, preset = selectors.activity_range(request.GET.dict())
    activity = account_activity(account, start=start, end=end)
    labels = {mode.code: str(mode.label) for mode in PaymentMode.objects.for_shop(account.shop_id)}
    received = money_received(account.shop_id, start, end, customer_id=account.customer_id)
    if limit_form is None:
        limit_form = CreditLimitForm(initial={"credit_limit": account.credit_limit})
    return {
        "customer": account.customer,
        "account": account,
        "overview": overview(account),
        "limit_form": limit_form,
        "activity": activity,
        "lines": selectors.activity_lines(activity, labels),
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
