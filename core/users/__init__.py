"""Manage accounts and API tokens from the command line: ``python -m core.users add|list|set-role|...``.

An entry point: it reads its settings through ``core.settings`` and changes the store through ``core.auth``.
"""
from core.users.cli import main

__all__ = ["main"]
