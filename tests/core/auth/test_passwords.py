"""Password hashing (argon2id), the policy and generated passwords."""
from __future__ import annotations

import re

import pytest
from argon2 import PasswordHasher

from core.auth.passwords import AccountError, check_policy, generate_password, hash_password, needs_rehash, \
    verify_password


def test_a_hash_is_salted_argon2id_and_verifies_only_the_right_password():
    first, second = hash_password("purple-otter-canal"), hash_password("purple-otter-canal")
    assert first.startswith("$argon2id$") and first != second  # a fresh salt each time
    assert verify_password(first, "purple-otter-canal") and verify_password(second, "purple-otter-canal")
    assert not verify_password(first, "purple-otter-canaL")
    assert not verify_password("not a hash", "purple-otter-canal")


def test_a_hash_made_with_other_parameters_verifies_and_asks_to_be_rehashed():
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("purple-otter-canal")
    assert verify_password(old, "purple-otter-canal")
    assert needs_rehash(old) and not needs_rehash(hash_password("purple-otter-canal"))


@pytest.mark.parametrize(("password", "rule"), [
    ("short-pw1", "has 9 characters; the policy asks for at least 12"),
    ("abababababababab", "only 2 different characters; the policy asks for at least 5"),
    ("my-name-is-Ada.Lovelace", "contains the username 'ada.lovelace'"),
    ("Password2024!", "well-known"),
    ("qwertyuiop1234", "well-known"),
    ("x" * 1025 + "abcde", "use at most 1024"),
])
def test_the_policy_names_the_rule_a_password_breaks(password, rule):
    with pytest.raises(AccountError, match=re.escape(rule)):
        check_policy(password, min_length=12, username="ada.lovelace")


def test_the_policy_accepts_a_long_passphrase_and_honours_the_configured_length():
    check_policy("correct horse battery staple", min_length=12, username="ada")
    with pytest.raises(AccountError, match="at least 40"):
        check_policy("correct horse battery staple", min_length=40, username="ada")


def test_generated_passwords_are_url_safe_random_and_pass_the_policy():
    passwords = {generate_password() for _ in range(20)}
    assert len(passwords) == 20
    for password in passwords:
        assert re.fullmatch(r"[A-Za-z0-9_-]{20}", password)
        check_policy(password, min_length=12, username="admin")
    assert len(generate_password(32)) == 32
