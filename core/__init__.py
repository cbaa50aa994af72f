"""Cross-cutting platform pieces: settings, cache, security headers, background jobs.

Nothing here knows about pages or analytics; ``app.py`` wires it together.
"""
