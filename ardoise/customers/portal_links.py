"""The links that sign a customer in to their shop's portal, and confirm a new email address.

Why not django-sesame (the magic-link library DESIGN.md names)? It logs in `AUTH_USER_MODEL`
rows, and a customer is not a staff user: giving each customer a `User` would put them in the
table every back-office check starts from (`request.user.is_authenticated`), one forgotten
`member_required` away from the back office. So the portal keeps a customer session of its own
(`ardoise.portal.access`) and the links are made here with Django's signing:

- the URL token is `signing.dumps({"s": shop id, "n": nonce})` with a salt per purpose
  (`ardoise.portal.sign-in`, `ardoise.portal.email-change`), so a link made for one purpose or
  one shop is refused by every other, and a tampered one before any lookup;
- it is short-lived: `signing.loads(max_age=LINK_LIFETIME)`, and the row's `expires_at`;
- it works once: only the SHA-256 of the nonce is stored (`PortalLink.nonce_hash`), and
  `consume_link` marks it used with one conditional UPDATE, so two clicks at once open one
  session at most.

Asking for a link answers the same whether the address is known or not: the caller shows one
message, and the link itself is made and emailed by a task after the request has committed
(`customers.tasks.send_portal_link_task`), for each customer of the shop with that address.
Requests are throttled per email and per client address (`shops.services.claim_attempt`, kind
"portal-link"); a throttled request sends nothing and reads exactly like a sent one.
"""

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from django.core import signing
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.core.errors import Refusal
from ardoise.customers.models import Customer, PortalLink, PortalLinkPurpose
from ardoise.shops.models import Shop
from ardoise.shops.services import claim_attempt

LINK_LIFETIME = dt.timedelta(minutes=15)
EMAIL_CHANGE_LIFETIME = dt.timedelta(hours=24)
_SALTS = {
    PortalLinkPurpose.SIGN_IN: "ardoise.portal.sign-in",
    PortalLinkPurpose.EMAIL_CHANGE: "ardoise.portal.email-change",
}
_LIFETIMES = {
    PortalLinkPurpose.SIGN_IN: LINK_LIFETIME,
    PortalLinkPurpose.EMAIL_CHANGE: EMAIL_CHANGE_LIFETIME,
}
# A shop may hold a few customers with one address (a family, a company's branches): each gets
# its own link, and no more than this many.
MAX_LINKS_PER_REQUEST = 5


class InvalidPortalLink(Refusal):
    code = "invalid_link"
    default_message = _(
        "This link is not valid any more: it has expired or was already used. "
        "Ask for a new one below."
    )


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def portal_customers_for_email(*, shop: Shop, email: str) -> list[int]:
    """The ids of the shop's (not archived) customers who have this address."""
    email = email.strip()
    if not email or not shop.portal_enabled:
        return []
    return list(
        Customer.objects.for_shop(shop.pk)
        .filter(email__iexact=email, is_archived=False)
        .order_by("id")
        .values_list("id", flat=True)[:MAX_LINKS_PER_REQUEST]
    )


def request_sign_in_link(*, shop: Shop, email: str, address: str | None) -> list[int]:
    """Count the request against the throttle and return whom to email a link (maybe nobody).

    The caller enqueues `send_portal_link_task` for each id after commit and answers the same
    in every case. Throttled: nobody.
    """
    if claim_attempt(email=email, address=address, kind="portal-link") is not None:
        return []
    return portal_customers_for_email(shop=shop, email=email)


def create_link(
    *,
    customer: Customer,
    purpose: PortalLinkPurpose = PortalLinkPurpose.SIGN_IN,
    new_email: str = "",
) -> str:
    """Store a new link for `customer` and return its signed token (shown once, in the email)."""
    nonce = secrets.token_urlsafe(24)
    PortalLink.objects.create(
        shop_id=customer.shop_id,
        customer=customer,
        purpose=purpose,
        nonce_hash=_hash(nonce),
        new_email=new_email,
        expires_at=timezone.now() + _LIFETIMES[purpose],
    )
    return signing.dumps({"s": customer.shop_id, "n": nonce}, salt=_SALTS[purpose])


@dataclass(frozen=True)
class ConsumedLink:
    customer: Customer
    new_email: str


def _unsign(token: str, *, shop: Shop, purpose: PortalLinkPurpose) -> str:
    try:
        payload = signing.loads(token, salt=_SALTS[purpose], max_age=_LIFETIMES[purpose])
    except signing.BadSignature as error:  # SignatureExpired is one too
        raise InvalidPortalLink() from error
    if not isinstance(payload, dict) or payload.get("s") != shop.pk:
        raise InvalidPortalLink()
    nonce = payload.get("n")
    if not isinstance(nonce, str) or not nonce:
        raise InvalidPortalLink()
    return nonce


def check_link(*, shop: Shop, token: str, purpose: PortalLinkPurpose) -> PortalLink:
    """The unused, unexpired link behind `token` (the confirmation page shows it), or refused."""
    nonce = _unsign(token, shop=shop, purpose=purpose)
    link = (
        PortalLink.objects.select_related("customer")
        .filter(
            shop_id=shop.pk,
            nonce_hash=_hash(nonce),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=timezone.now(),
            customer__is_archived=False,
        )
        .first()
    )
    if link is None:
        raise InvalidPortalLink()
    return link


def consume_link(*, shop: Shop, token: str, purpose: PortalLinkPurpose) -> ConsumedLink:
    """Use the link once: one conditional UPDATE claims it; a second use is refused.

    For an email change, the customer's address changes in the same transaction and every
    portal session of theirs is signed out (the version moves on). Audited.
    """
    nonce = _unsign(token, shop=shop, purpose=purpose)
    now = timezone.now()
    with transaction.atomic():
        claimed = PortalLink.objects.filter(
            shop_id=shop.pk,
            nonce_hash=_hash(nonce),
            purpose=purpose,
            used_at__isnull=True,
            expires_at__gt=now,
            customer__is_archived=False,
        ).update(used_at=now)
        if claimed != 1:
            raise InvalidPortalLink()
        link = PortalLink.objects.select_related("customer").get(
            shop_id=shop.pk, nonce_hash=_hash(nonce)
        )
        customer = link.customer
        if purpose == PortalLinkPurpose.EMAIL_CHANGE:
            previous = customer.email
            customer.email = link.new_email
            customer.save(update_fields=["email"])
            Customer.objects.filter(pk=customer.pk).update(
                portal_session_version=F("portal_session_version") + 1
            )
            customer.refresh_from_db(fields=["portal_session_version"])
            record_event(
                shop_id=shop.pk,
                actor_id=None,
                action="customers.portal.email_changed",
                target=customer,
                data={"from": previous, "to": link.new_email},
            )
        else:
            record_event(
                shop_id=shop.pk,
                actor_id=None,
                action="customers.portal.signed_in",
                target=customer,
            )
    return ConsumedLink(customer=customer, new_email=link.new_email)


def sign_out_everywhere(*, customer: Customer, actor_id: int | None) -> Customer:
    """End every portal session of the customer (staff, or the customer themself). Audited."""
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(
            portal_session_version=F("portal_session_version") + 1
        )
        customer.refresh_from_db(fields=["portal_session_version"])
        record_event(
            shop_id=customer.shop_id,
            actor_id=actor_id,
            action="customers.portal.signed_out_everywhere",
            target=customer,
        )
    return customer


class PortalInvitationRefused(Refusal):
    code = "portal_invitation_refused"


def invite_to_portal(*, customer: Customer, actor_id: int | None) -> Customer:
    """Staff send a customer their portal sign-in link (the caller enqueues the email after
    commit). Refused when the shop's portal is off or the customer has no email. Audited."""
    shop = customer.shop
    if not shop.portal_enabled:
        raise PortalInvitationRefused(
            _("The customer portal is off: turn it on in Settings → Customer portal first.")
        )
    if not customer.email.strip():
        raise PortalInvitationRefused(
            _("This customer has no email address: add one in their details first.")
        )
    if customer.is_archived:
        raise PortalInvitationRefused(_("This customer is archived."))
    with transaction.atomic():
        record_event(
            shop_id=customer.shop_id,
            actor_id=actor_id,
            action="customers.portal.invited",
            target=customer,
            data={"email": customer.email},
        )
    return customer
