"""Roles and permissions: one table decides, roles are cumulative, an embed link can only look."""
from __future__ import annotations

import pytest

from core.auth import ROLES, Permission, Principal, allows, parse_role

ANALYST_EXTRA = {Permission.UPLOAD, Permission.RETRAIN, Permission.EXPORT, Permission.ALERTS}


def test_a_viewer_reads_and_asks_the_assistant_and_does_nothing_else():
    # The chat assistant only reads (issue 15: it works for the viewer role).
    assert [p for p in Permission if allows("viewer", p)] == [Permission.VIEW, Permission.CHAT]


def test_an_analyst_adds_upload_retrain_and_export_but_no_administration():
    granted = {p for p in Permission if allows("analyst", p)}
    assert granted == {Permission.VIEW, Permission.CHAT} | ANALYST_EXTRA


def test_an_admin_may_do_everything_and_roles_are_cumulative():
    assert all(allows("admin", p) for p in Permission)
    for lower, higher in zip(ROLES, ROLES[1:]):
        assert {p for p in Permission if allows(lower, p)} < {p for p in Permission if allows(higher, p)}


@pytest.mark.parametrize("role", [None, "", "root", "Admin ", "ADMIN"])
def test_an_unknown_or_missing_role_has_no_permission(role):
    assert not any(allows(role, p) for p in Permission)


def test_role_names_from_users_are_normalised_or_refused_with_the_valid_ones():
    assert parse_role(" Analyst ") == "analyst"
    with pytest.raises(ValueError, match="unknown role 'owner'; use one of viewer, analyst, admin"):
        parse_role("owner")


def test_an_embed_link_can_only_view_even_with_a_higher_role():
    embed = Principal(username="embed:7", role="admin", kind="embed", page="/forecast", embed_id=7)
    assert embed.can(Permission.VIEW)
    assert not any(embed.can(p) for p in Permission if p is not Permission.VIEW)
    token = Principal(username="ada", role="analyst", kind="token", user_id=1, token_id=3)
    assert token.can(Permission.UPLOAD) and not token.can(Permission.MANAGE_USERS)
    assert token.label == "ada (analyst)"
