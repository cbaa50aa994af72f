"""Checking a ``--query`` before it runs: exactly one SELECT (or WITH ... SELECT), nothing that writes.

Private to the SQL connector. A small tokenizer for the SQL that SQLite and PostgreSQL share:
``--`` and ``/* */`` comments, ``'...'`` strings (``''`` inside, ``E'..'`` with backslash
escapes), ``"..."``, ```...``` and ``[...]`` identifiers, and PostgreSQL ``$tag$...$tag$`` strings,
so a ``;`` or a keyword inside any of them is not mistaken for SQL. The connection is read-only
as well (see sql.py); this check is what gives the specific message, before anything runs.
"""

from __future__ import annotations

import re

__all__ = ["SELECT_ONLY", "statement_problem"]

SELECT_ONLY = "give exactly one SELECT statement (or WITH ... SELECT); a source is only read, never changed"
# Words that make a SELECT (or a WITH) write, lock or create something. As a function name, followed
# by "(", a word is allowed (replace(...) is a string function); a quoted identifier is never a word.
_WRITING = frozenset({"INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "INTO", "DROP", "CREATE", "ALTER",
                      "TRUNCATE", "ATTACH", "DETACH", "PRAGMA", "VACUUM", "GRANT", "REVOKE", "COPY", "CALL"})
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*.*?\*/)
  | (?P<escaped>[eE]'(?:[^'\\]|\\.|'')*')
  | (?P<string>'(?:[^']|'')*')
  | (?P<identifier>"(?:[^"]|"")*"|`(?:[^`]|``)*`|\[[^\]]*\])
  | (?P<dollar>\$(?P<tag>[A-Za-z_][A-Za-z_0-9]*)?\$.*?\$(?P=tag)\$)
  | (?P<word>[A-Za-z_][A-Za-z_0-9$]*)
  | (?P<semicolon>;)
  | (?P<other>[^\s'"`\[;$/-]+|[/$-])
""", re.VERBOSE | re.DOTALL)
_UNTERMINATED = re.compile(r"""['"`\[]|/\*|\$([A-Za-z_][A-Za-z_0-9]*)?\$""")


def _tokens(query: str) -> list[tuple[str, str]] | None:
    """(kind, text) of every token that is not space or a comment; None when a quote or comment is open."""
    tokens, position = [], 0
    while position < len(query):
        match = _TOKEN.match(query, position)
        if match is None or (match.lastgroup == "other" and _UNTERMINATED.match(query, position)):
            return None
        if match.lastgroup not in ("space", "line_comment", "block_comment"):
            kind = match.lastgroup if match.lastgroup != "tag" else "dollar"
            tokens.append((kind, match.group()))
        position = match.end()
    return tokens


def _statements(tokens: list[tuple[str, str]]) -> list[list[tuple[str, str]]]:
    statements, current = [], []
    for token in tokens:
        if token[0] == "semicolon":
            statements.append(current)
            current = []
        else:
            current.append(token)
    statements.append(current)
    return [statement for statement in statements if statement]


def statement_problem(query: str) -> str | None:
    """Why ``query`` is not exactly one read-only SELECT, or None when it is."""
    tokens = _tokens(query)
    if tokens is None:
        return f"the query has an unterminated quote or comment; {SELECT_ONLY}"
    statements = _statements(tokens)
    if not statements:
        return f"the query is empty; {SELECT_ONLY}"
    if len(statements) > 1:
        return f"the query holds {len(statements)} statements; {SELECT_ONLY}"
    statement = statements[0]
    first = statement[0][1].upper() if statement[0][0] == "word" else statement[0][1]
    if first not in ("SELECT", "WITH"):
        return f"the query starts with {first[:20]}; {SELECT_ONLY}"
    for (kind, text), following in zip(statement, [*statement[1:], ("", "")]):
        if kind == "word" and text.upper() in _WRITING and following[1] != "(":
            return (f"the query contains {text.upper()}, which writes; {SELECT_ONLY} (quote a column named "
                    f'{text.lower()} as "{text.lower()}")')
    return None
