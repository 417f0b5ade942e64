"""The API's request and response bodies. Amounts are strings of decimals ("12.50") beside the
currency code; dates are ISO 8601; ids are integers."""

import datetime as dt
from typing import Annotated, Any

from django.utils.translation import gettext_noop
from ninja import Field, Schema
from pydantic import ConfigDict, StrictBool, StrictInt, field_validator
from pydantic_core import PydanticCustomError

from ardoise.api.money import AMOUNT_EXAMPLE, AMOUNT_PATTERN

# An id: a positive 64-bit integer (a larger one cannot name a row, on either database).
MAX_ID = 2**63 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
BodyId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]

Amount = Annotated[
    str,
    Field(pattern=AMOUNT_PATTERN, max_length=21, examples=[AMOUNT_EXAMPLE]),
]
Currency = Annotated[str, Field(min_length=3, max_length=3, examples=["EUR"])]
Text = Annotated[str, Field(max_length=200)]
Reference = Annotated[str, Field(max_length=60)]
Reason = Annotated[str, Field(min_length=1, max_length=500)]


# No NUL in a text: PostgreSQL cannot store it (a 500 there), SQLite would keep it.
NO_NUL = r"^[^\x00]*$"


class In(Schema):
    """A request body: a field it does not know is refused (`unknown_field`: "vat" sent for
    "vat_amount" would otherwise record a sale without its VAT), and every text in it is free
    of NUL (`invalid_value`)."""

    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise PydanticCustomError("nul_character", "NUL character")
        return value


class Page(Schema):
    next_cursor: str | None


# --- Customers and accounts ---------------------------------------------------------------------


class CustomerIn(In):
    name: Annotated[str, Field(min_length=1, max_length=200)]
    company: Annotated[str, Field(max_length=200)] = ""
    email: Annotated[str, Field(max_length=254)] = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    address: Annotated[str, Field(max_length=500)] = ""
    postal_code: Annotated[str, Field(max_length=16)] = ""
    city: Annotated[str, Field(max_length=100)] = ""
    reference: Annotated[str, Field(max_length=40)] = ""
    language: Annotated[str, Field(pattern=r"^(|fr|en)$")] = ""
    credit_limit: Amount | None = Field(
        None,
        description=gettext_noop("The most the customer may owe; omitted: the shop's default."),
    )
    no_limit: StrictBool = Field(False, description=gettext_noop("True: no credit limit at all."))


class AccountOut(Schema):
    customer_id: int
    currency: str
    balance: str = Field(
        description=gettext_noop("Deposit − Debt; negative when the customer owes the shop.")
    )
    debt: str
    deposit: str
    credit_limit: str | None = Field(description=gettext_noop("null: no limit."))
    available_credit: str | None = Field(
        description=gettext_noop("What may still be charged; null: no limit.")
    )
    is_over_limit: bool


class CustomerOut(Schema):
    id: int
    name: str
    company: str
    email: str
    phone: str
    reference: str
    language: str
    is_archived: bool
    created_at: dt.datetime


class CustomerPage(Page):
    items: list[CustomerOut]


class CreditLimitIn(In):
    credit_limit: Amount | None = Field(
        description=gettext_noop('null: no limit; "0.00": no credit.')
    )
    currency: Currency
    reason: Annotated[str, Field(max_length=200)] = ""


class MovementOut(Schema):
    posting_id: int
    occurred_at: dt.datetime
    kind: str
    amount: str
    balance_after: str
    reference: str
    charge_id: int | None
    credit_id: int | None


class ActivityOut(Schema):
    currency: str
    start: dt.date
    end: dt.date
    opening_balance: str
    closing_balance: str
    items: list[MovementOut]
    next_cursor: str | None


# --- Charges and credits -----------------------------------------------------------------------


class ChargeIn(In):
    customer_id: BodyId
    amount: Amount = Field(description=gettext_noop("The total, VAT included."))
    vat_amount: Amount = "0"
    currency: Currency
    reference: Reference = Field(
        "", description=gettext_noop("The till's ticket number, for example.")
    )
    description: Text = ""


class ChargeOut(Schema):
    id: int
    customer_id: int
    kind: str
    status: str
    reference: str
    issued_on: dt.date
    due_on: dt.date | None
    currency: str
    total: str
    vat_amount: str
    open_amount: str
    balance_after: str


class ChargePage(Page):
    items: list[ChargeOut]


class PaymentIn(In):
    customer_id: BodyId
    amount: Amount
    currency: Currency
    mode: Annotated[str, Field(min_length=1, max_length=40, examples=["cash"])]
    reference: Reference = ""
    received_on: dt.date | None = None


class CreditOut(Schema):
    id: int
    customer_id: int
    kind: str
    status: str
    mode: str
    reference: str
    received_on: dt.date
    currency: str
    amount: str
    unapplied_amount: str
    payout_amount: str
    payout_mode: str
    charge_id: int | None


class CreditPage(Page):
    items: list[CreditOut]


class CreditNoteIn(In):
    amount: Amount
    currency: Currency
    reason: Reason
    refund_mode: Annotated[str, Field(min_length=1, max_length=40)] = Field(
        "account",
        description=gettext_noop('"account": back to the customer\'s account; or a payout mode.'),
    )
    to_account: Amount | None = Field(
        None,
        description=gettext_noop("With a payout mode: the part that goes back to the account."),
    )


class ReversalIn(In):
    charge_id: BodyId | None = None
    credit_id: BodyId | None = None
    reason: Reason


class ReversalOut(Schema):
    entry_id: int
    reverses_entry_id: int
    charge_id: int | None
    credit_id: int | None
    currency: str
    amount: str = Field(
        description=gettext_noop("What the reversal moved on the customer's account.")
    )


# --- Orders ------------------------------------------------------------------------------------


class OrderLineIn(In):
    description: Annotated[str, Field(min_length=1, max_length=200)]
    quantity: Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$", examples=["1.5"])]
    unit_price: Annotated[str, Field(pattern=r"^[0-9]{1,10}(\.[0-9]{1,4})?$", examples=["4.20"])]
    vat_rate: Annotated[str, Field(pattern=r"^[0-9]{1,2}(\.[0-9]{1,2})?$", examples=["5.5"])]
    unit: Annotated[str, Field(max_length=10)] = "piece"
    product_id: BodyId | None = Field(
        None,
        description=gettext_noop(
            "The catalogue's product the line is for, recorded on the line; the line's "
            "own description and price are what the order says."
        ),
    )


class OrderIn(In):
    customer_id: BodyId
    currency: Currency
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=200)]
    note: Text = ""


class OrderLineOut(Schema):
    position: int
    description: str
    unit: str
    quantity: str
    unit_price: str
    vat_rate: str
    amount: str


class OrderOut(Schema):
    id: int
    customer_id: int
    status: str
    ordered_on: dt.date
    note: str
    currency: str
    net_amount: str
    vat_amount: str
    total: str
    lines: list[OrderLineOut]
    invoice_number: str | None
    charge_id: int | None


class OrderPage(Page):
    items: list[OrderOut]


class CancelIn(In):
    reason: Annotated[str, Field(max_length=200)] = ""


# --- Checkout ------------------------------------------------------------------------------------


class CartItemIn(In):
    product_id: BodyId = Field(
        description=gettext_noop("A product of the shop's catalogue, at its price.")
    )
    quantity: Annotated[str, Field(pattern=r"^[0-9]{1,9}(\.[0-9]{1,3})?$", examples=["1.5"])]


class CheckoutQuoteIn(In):
    customer_id: BodyId
    currency: Currency
    items: Annotated[list[CartItemIn], Field(min_length=1, max_length=200)]


class QuoteOut(Schema):
    customer_id: int
    currency: str
    total: str
    on_account: str = Field(
        description=gettext_noop("What the account covers (held once the order is placed).")
    )
    debt: str = Field(description=gettext_noop("What the customer owes now, paid with the order."))
    to_pay: str = Field(description=gettext_noop("What the customer pays online."))
    payment_required: bool = Field(
        description=gettext_noop("The shop's setting: online orders are paid.")
    )


class CheckoutIn(CheckoutQuoteIn):
    note: Text = ""
    expected_to_pay: Amount | None = Field(
        None,
        description=gettext_noop(
            "The quote's to_pay: refused (409 quote_changed) if it changed since."
        ),
    )
    return_url: Annotated[str, Field(min_length=8, max_length=400, pattern=r"^https?://")] = Field(
        description=gettext_noop(
            "Where the provider sends the customer back; {order}: the order's id."
        )
    )


class CheckoutPaymentOut(Schema):
    id: int
    status: str
    amount: str
    pay_url: str | None = Field(
        description=gettext_noop("The provider's page, while it can be paid.")
    )
    expires_at: dt.datetime | None


class CheckoutOut(Schema):
    order: OrderOut
    payment_state: str = Field(
        description=gettext_noop(
            "awaiting_payment, account (the account covers it) or paid (online)."
        )
    )
    reserved: str = Field(description=gettext_noop("What the order holds on the account now."))
    reserved_until: dt.datetime | None
    checkout: CheckoutPaymentOut | None = Field(
        description=gettext_noop("The order's latest checkout.")
    )


# --- Statements --------------------------------------------------------------------------------


class StatementOut(Schema):
    id: int
    number: int
    customer_id: int
    issued_at: dt.datetime
    currency: str
    total_charges: str
    total_credits: str
    balance: str
    amount_due: str
    pdf_url: str


class StatementPage(Page):
    items: list[StatementOut]


def dump(schema: Schema) -> dict[str, Any]:
    return schema.model_dump(mode="json")
