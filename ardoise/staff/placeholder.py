"""Temporary: URL names the navigation already links to, answered until their area is built."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ardoise.staff.access import member_required


@member_required()
def not_built(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return render(request, "staff/not_built.html", status=501)
