"""The README promises what the app says: KPI definitions and settings stay in sync."""
from __future__ import annotations

import re
from pathlib import Path

from analytics.kpis import KPI_DEFINITIONS
from core.settings import VARIABLES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def test_every_kpi_definition_is_in_the_readme():
    for spec in KPI_DEFINITIONS.values():
        assert f"| {spec.label} | {spec.definition} |" in README, spec.key


def _environment_reads(source: str) -> set[str]:
    """Names of the environment variables a source file reads, in any of the forms Python allows."""
    quoted = r"""["']([A-Z][A-Z0-9_]*)["']"""
    patterns = [rf"environ\.get\(\s*{quoted}", rf"environ\[\s*{quoted}\s*\]", rf"getenv\(\s*{quoted}",
                rf"\benv\.get\(\s*{quoted}", rf"_env\(env\)\.get\(\s*{quoted}", rf"_(?:flag|int|date|positive)\(env,\s*{quoted}"]
    names = {name for pattern in patterns for name in re.findall(pattern, source)}
    dynamic = re.findall(r"environ\.get\(\s*[A-Za-z_]|getenv\(\s*[A-Za-z_]|environ\[\s*[A-Za-z_]", source)
    return names | ({"<a variable named by a constant>"} if dynamic else set())


def _sources() -> dict[str, str]:
    skip = {".venv", "tests", ".git", "instance", "node_modules"}
    return {str(path.relative_to(ROOT)): path.read_text() for path in ROOT.rglob("*.py")
            if not skip & set(path.relative_to(ROOT).parts)}


def test_only_core_settings_reads_the_environment():
    readers = {name: sorted(_environment_reads(source)) for name, source in _sources().items()
               if name != "core/settings.py" and _environment_reads(source)}
    assert readers == {}, "read these through core.settings (one parser for every variable)"


def test_every_setting_read_from_the_environment_is_documented():
    read = _environment_reads((ROOT / "core" / "settings.py").read_text())
    assert read == set(VARIABLES), "core.settings.VARIABLES lists exactly the variables it reads"
    assert read >= {"FORESIGHT_DATABASE_URL", "REDIS_URL", "FORESIGHT_DATASETS", "FORESIGHT_SOURCE_PRIORITY",
                    "FORESIGHT_MAX_ROWS", "PORT", "WEB_CONCURRENCY"}
    for name in VARIABLES:
        assert f"`{name}`" in README, name
