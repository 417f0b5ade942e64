"""Access helpers for statements and bulk runs: another shop's id gives 404, never its row."""

from django.http import Http404

from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission
from ardoise.staff.access import require
from ardoise.statements.models import Statement, StatementRun


def get_statement_for_member(
    membership: Membership, statement_id: int, *, perm: Permission = Permission.STATEMENTS_SEND
) -> Statement:
    require(membership, perm)
    statement = (
        Statement.objects.select_related("customer", "account")
        .filter(shop_id=membership.shop_id, pk=statement_id)
        .first()
    )
    if statement is None:
        raise Http404("no such statement in this shop")
    return statement


def get_run_for_member(
    membership: Membership, run_id: int, *, perm: Permission = Permission.STATEMENTS_SEND
) -> StatementRun:
    require(membership, perm)
    run = StatementRun.objects.filter(shop_id=membership.shop_id, pk=run_id).first()
    if run is None:
        raise Http404("no such statement run in this shop")
    return run
