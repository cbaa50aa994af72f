"""Access settings: single sign-on needs trusted proxies, groups map to the highest role, bad values are refused."""
from __future__ import annotations

import pytest

from core.settings import Settings


def test_defaults_need_no_configuration():
    access = Settings.from_env({}).access
    assert (access.session_hours, access.login_failures, access.lockout_minutes) == (12.0, 5, 15)
    assert access.trusted_user_header is None and access.trusted_proxies == ()
    assert not access.is_trusted_proxy("127.0.0.1")


def test_only_listed_proxies_are_trusted():
    access = Settings.from_env({"FORESIGHT_TRUSTED_PROXIES": "10.0.0.0/8, 127.0.0.1"}).access
    assert access.is_trusted_proxy("10.2.3.4") and access.is_trusted_proxy("127.0.0.1")
    assert not access.is_trusted_proxy("127.0.0.2") and not access.is_trusted_proxy("192.168.1.1")
    assert not access.is_trusted_proxy("not-an-address") and not access.is_trusted_proxy(None)


def test_a_user_in_several_groups_gets_the_highest_mapped_role():
    access = Settings.from_env({"FORESIGHT_GROUP_ROLES": "staff=viewer, bi-admins=ADMIN, bi-analysts=analyst"}).access
    assert access.role_for_groups(["staff", "bi-analysts"]) == "analyst"
    assert access.role_for_groups(["bi-admins", "staff"]) == "admin"
    assert access.role_for_groups(["visitors"]) is None
    fallback = Settings.from_env({"FORESIGHT_SSO_DEFAULT_ROLE": "viewer"}).access
    assert fallback.role_for_groups([]) == "viewer"


@pytest.mark.parametrize("env, message", [
    ({"FORESIGHT_TRUSTED_USER_HEADER": "X-Forwarded-User"}, "FORESIGHT_TRUSTED_PROXIES is empty"),
    ({"FORESIGHT_TRUSTED_PROXIES": "10.0.0.0/8,intranet"}, "'intranet' is not an address or CIDR"),
    ({"FORESIGHT_TRUSTED_PROXIES": "127.0.0.1", "FORESIGHT_TRUSTED_USER_HEADER": "X User: 1"},
     "is not an HTTP header name"),
    ({"FORESIGHT_GROUP_ROLES": "bi-admins=root"}, "group 'bi-admins': unknown role 'root'"),
    ({"FORESIGHT_GROUP_ROLES": "bi-admins"}, "'bi-admins' is not group=role"),
    ({"FORESIGHT_SSO_DEFAULT_ROLE": "guest"}, "FORESIGHT_SSO_DEFAULT_ROLE: unknown role 'guest'"),
    ({"FORESIGHT_SESSION_HOURS": "-1"}, "FORESIGHT_SESSION_HOURS='-1' is not valid"),
    ({"FORESIGHT_LOGIN_FAILURES": "2.5"}, "FORESIGHT_LOGIN_FAILURES='2.5' is not valid"),
    ({"FORESIGHT_API_RATE_LIMIT": "fast"}, "FORESIGHT_API_RATE_LIMIT='fast' is not a rate"),
])
def test_invalid_values_stop_the_app_with_what_to_set(env, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env(env)


def test_rates_in_flask_limiter_notation_are_accepted():
    access = Settings.from_env({"FORESIGHT_API_RATE_LIMIT": "10 per second",
                                "FORESIGHT_UPLOAD_RATE_LIMIT": "5/15 minutes"}).access
    assert (access.api_rate, access.upload_rate) == ("10 per second", "5/15 minutes")
