"""The portal emails: a sign-in link (asked for, or sent by staff as an invitation) and the
confirmation link of a new email address. Built and sent by `customers.tasks`, after commit."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from ardoise.customers.models import Customer, PortalLinkPurpose
from ardoise.customers.portal_links import EMAIL_CHANGE_LIFETIME, LINK_LIFETIME, create_link
from ardoise.shops.models import Shop

SIGN_IN = "sign_in"
INVITATION = "invitation"
EMAIL_CHANGE = "email_change"
KINDS = (SIGN_IN, INVITATION, EMAIL_CHANGE)


def portal_url(shop: Shop) -> str:
    """The shop's own portal address, as Settings shows it and the emails link to it."""
    return settings.SITE_URL + reverse("portal:home", kwargs={"shop_slug": shop.slug})


def build_portal_email(*, customer: Customer, kind: str, new_email: str = "") -> EmailMessage:
    """The message of one kind for `customer`, with a fresh link (stored hashed)."""
    shop = customer.shop
    if kind == EMAIL_CHANGE:
        token = create_link(
            customer=customer, purpose=PortalLinkPurpose.EMAIL_CHANGE, new_email=new_email
        )
        path = reverse("portal:email_confirm", kwargs={"shop_slug": shop.slug, "token": token})
        lifetime = EMAIL_CHANGE_LIFETIME
        to = new_email
    else:
        token = create_link(customer=customer)
        path = reverse("portal:sign_in_link", kwargs={"shop_slug": shop.slug, "token": token})
        lifetime = LINK_LIFETIME
        to = customer.email
    context = {
        "shop": shop,
        "customer": customer,
        "kind": kind,
        "link": settings.SITE_URL + path,
        "portal_url": portal_url(shop),
        "minutes": int(lifetime.total_seconds() // 60),
        "hours": int(lifetime.total_seconds() // 3600),
    }
    with translation.override(customer.language or shop.language):
        subject = " ".join(render_to_string("customers/email/subject.txt", context).split())
        body = render_to_string("customers/email/portal_link.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        reply_to=[shop.email] if shop.email else None,
    )
