"""The client's address as the app sees it behind the proxies the README describes.

Behind a reverse proxy every request comes from the proxy (`REMOTE_ADDR` is 127.0.0.1), so a
throttle keyed on it would lock every user out at once. The proxy appends the address it saw to
`X-Forwarded-For`; with `PROXY_COUNT` trusted proxies in front of the app, the client is the
entry that many places from the right. Entries further left are whatever the client sent, never
trusted. Without proxies (`PROXY_COUNT=0`) the header is ignored.
"""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str | None:
    count = int(getattr(settings, "PROXY_COUNT", 0))
    remote = request.META.get("REMOTE_ADDR") or None
    if count <= 0:
        return remote
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    if len(hops) < count:
        return remote
    candidate = hops[-count]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
