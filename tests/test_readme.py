"""The README promises what the app says: KPI definitions and settings stay in sync."""
from __future__ import annotations

import re
from pathlib import Path

from analytics.kpis import KPI_DEFINITIONS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
SOURCES = [p.read_text() for p in (Path(__file__).resolve().parent.parent / "core").glob("*.py")]


def test_every_kpi_definition_is_in_the_readme():
    for spec in KPI_DEFINITIONS.values():
        assert f"| {spec.label} | {spec.definition} |" in README, spec.key


def test_every_setting_read_from_the_environment_is_documented():
    names = set()
    for source in SOURCES:
        names |= set(re.findall(r'env(?:\.get)?\(\s*"([A-Z_]+)"', source))
        names |= set(re.findall(r'_(?:flag|int|date)\(env, "([A-Z_]+)"', source))
    assert names >= {"FORESIGHT_DATABASE_URL", "REDIS_URL", "FORESIGHT_FRAME_ANCESTORS", "PORT"}
    for name in names:
        assert f"`{name}`" in README, name
