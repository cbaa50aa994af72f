"""Contract tests for the theme CSS in assets/: contrast, motion, offline-only, class names."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest

from components.theme import PALETTE
from tests.components.helpers import contrast_ratio

ASSETS = Path(__file__).resolve().parents[2] / "assets"
TOKENS_FILE = ASSETS / "00-tokens.css"
CSS_FILES = sorted(ASSETS.glob("*.css"))

# The CSS custom property in 00-tokens.css that holds each colour of the Plotly palette (components.theme.PALETTE).
PALETTE_TOKENS = {name: "--nf-text-muted" if name == "muted" else "--nf-" + name.replace("_", "-") for name in PALETTE}
TEXT_TOKENS = (
    "--nf-text", "--nf-text-muted", "--nf-cyan", "--nf-magenta", "--nf-lime", "--nf-amber", "--nf-danger",
)
BACKGROUND_TOKENS = ("--nf-bg", "--nf-surface", "--nf-surface-2")
MUTED_TEXT_CLASSES = (".nf-kpi-sub", ".nf-kpi-label", ".nf-page-subtitle", ".text-muted", ".form-text")

# Every selector the app's layouts rely on (compound ones included).
APP_SELECTORS = (
    ".nf-app", ".nf-header", ".nf-brand", ".nf-glitch", ".nf-nav", ".nf-nav-link", ".nf-nav-link.active",
    ".nf-header-tools", ".nf-freshness", ".nf-freshness-dot", ".nf-freshness.is-fresh",
    ".nf-freshness.is-stale", ".nf-freshness.is-empty", ".nf-view-toggle", ".nf-toggle-btn", ".nf-main",
    ".nf-scanlines", ".nf-page-title", ".nf-page-subtitle",
    ".nf-card", ".nf-card-title", ".nf-filter-bar", ".nf-filter-chip", ".nf-toolbar", ".nf-kpi-grid",
    ".nf-kpi-card", ".nf-kpi-card.accent-cyan", ".nf-kpi-card.accent-magenta", ".nf-kpi-card.accent-lime",
    ".nf-kpi-card.accent-amber", ".nf-kpi-label", ".nf-kpi-value", ".nf-kpi-delta", ".nf-kpi-delta.is-up",
    ".nf-kpi-delta.is-down", ".nf-kpi-delta.is-flat", ".nf-kpi-sub", ".nf-info", ".nf-sparkline", ".nf-btn",
    ".nf-btn-magenta", ".form-control", ".form-select", ".dash-dropdown", ".nav-tabs .nav-link", ".progress",
    ".progress-bar", ".nf-progress", ".popover", ".tooltip", ".nf-pulse", ".nf-fade-in", ".nf-skip-link",
    ".nf-matrix", ".nf-matrix-col",
)


def _strip_comments(css: str) -> str:
    return re.sub(r"/\*.*?\*/", "", css, flags=re.S)


def _rules(css: str) -> list[tuple[str, dict[str, str]]]:
    """Innermost ``selector { declarations }`` blocks, at-rule wrappers ignored."""
    rules = []
    for selector, body in re.findall(r"([^{}]+)\{([^{}]*)\}", _strip_comments(css)):
        declarations = {}
        for declaration in body.split(";"):
            name, sep, value = declaration.partition(":")
            if sep:
                declarations[name.strip()] = " ".join(value.split())
        rules.append((" ".join(selector.split()), declarations))
    return rules


def _media_block(css: str, query: str) -> str:
    """Body of the first ``@media <query>`` block, found by brace matching."""
    css = _strip_comments(css)
    start = css.find(f"@media {query}")
    assert start != -1, f"no `@media {query}` block"
    depth, i = 0, css.index("{", start)
    for j in range(i, len(css)):
        depth += {"{": 1, "}": -1}.get(css[j], 0)
        if depth == 0:
            return css[i + 1:j]
    raise AssertionError(f"unbalanced braces after `@media {query}`")


def _selectors(selector_list: str) -> list[str]:
    return [s.strip() for s in selector_list.split(",")]


def _without_important(value: str) -> str:
    return value.replace("!important", "").strip()


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    root_rules = [d for s, d in _rules(TOKENS_FILE.read_text(encoding="utf-8")) if s == ":root"]
    return {k: v for d in root_rules for k, v in d.items() if k.startswith("--nf-")}


@pytest.fixture(scope="module")
def all_css() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in CSS_FILES)


def _resolve(tokens: dict[str, str], name: str) -> str:
    value = tokens[name]
    while value.startswith("var("):
        value = tokens[value[4:-1].strip()]
    return value


def test_contrast_formula_matches_wcag_reference_points():
    assert contrast_ratio("#ffffff", "#000000") == pytest.approx(21.0)
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


def test_css_tokens_hold_the_plotly_palette(tokens):
    assert {token: tokens.get(token, "").lower() for token in PALETTE_TOKENS.values()} == {
        token: PALETTE[name].lower() for name, token in PALETTE_TOKENS.items()}


@pytest.mark.parametrize(("text", "background"), list(itertools.product(TEXT_TOKENS, BACKGROUND_TOKENS)))
def test_text_colour_meets_wcag_aa(tokens, text, background):
    ratio = contrast_ratio(_resolve(tokens, text), _resolve(tokens, background))
    assert ratio >= 4.5, f"{text} on {background} is {ratio:.2f}:1; WCAG AA needs 4.5:1"


@pytest.mark.parametrize("background", BACKGROUND_TOKENS)
@pytest.mark.parametrize("indicator", ["--nf-border-strong", "--nf-focus"])
def test_control_outlines_and_focus_meet_non_text_contrast(tokens, indicator, background):
    ratio = contrast_ratio(_resolve(tokens, indicator), _resolve(tokens, background))
    assert ratio >= 3.0, f"{indicator} on {background} is {ratio:.2f}:1; WCAG 1.4.11 needs 3:1"


def test_bootstrap_variables_are_mapped_for_dark_theme():
    dark = {}
    for selector, declarations in _rules(TOKENS_FILE.read_text(encoding="utf-8")):
        if "[data-bs-theme=dark]" in _selectors(selector):
            dark.update(declarations)
    required = (
        "--bs-body-bg", "--bs-body-color", "--bs-emphasis-color", "--bs-secondary-color", "--bs-primary",
        "--bs-primary-rgb", "--bs-border-color", "--bs-link-color", "--bs-link-hover-color",
    )
    assert [name for name in required if name not in dark] == []
    # Bootstrap dims secondary text with alpha; ours must stay the solid muted token.
    assert dark["--bs-secondary-color"] == "var(--nf-text-muted)"


def test_dash_component_variables_outrank_dash_runtime_styles():
    rules = _rules(TOKENS_FILE.read_text(encoding="utf-8"))
    selectors = [s for s, d in rules if "--Dash-Fill-Inverse-Strong" in d]
    assert any(":root:root" in _selectors(s) for s in selectors)


def test_muted_text_is_never_dimmed_with_opacity(all_css):
    offenders = []
    for selector, declarations in _rules(all_css):
        muted = declarations.get("color") == "var(--nf-text-muted)" or any(
            re.search(re.escape(cls) + r"(?![\w-])", selector) for cls in MUTED_TEXT_CLASSES
        )
        # opacity: 1 is allowed: it undoes Firefox's dimming of placeholders.
        if muted and _without_important(declarations.get("opacity", "1")) != "1":
            offenders.append(selector)
    assert offenders == []


def test_reduced_motion_turns_off_every_animation_and_transition(all_css):
    block = _media_block(all_css, "(prefers-reduced-motion: reduce)")
    universal = [d for s, d in _rules(block) if "*" in _selectors(s)]
    assert universal, "reduced-motion block has no rule for `*`"
    declarations = {k: _without_important(v) for d in universal for k, v in d.items()}
    assert declarations.get("animation") == "none"
    assert declarations.get("transition") == "none"
    assert any("*::before" in _selectors(s) and "*::after" in _selectors(s) for s, _ in _rules(block))


def test_reduced_motion_keeps_a_visible_loader(all_css):
    block = _media_block(all_css, "(prefers-reduced-motion: reduce)")
    loader = (".nf-matrix", ".nf-matrix-rain", ".nf-matrix-col", ".nf-matrix-caption")
    hidden = [s for s, d in _rules(block) if d.get("display") == "none" and set(_selectors(s)) & set(loader)]
    assert hidden == []


@pytest.mark.parametrize("path", CSS_FILES, ids=lambda p: p.name)
def test_css_loads_nothing_from_the_network(path):
    css = _strip_comments(path.read_text(encoding="utf-8")).lower()
    for forbidden in ("@import", "@font-face", "http://", "https://"):
        assert forbidden not in css, f"{path.name} contains {forbidden}"
    for target in re.findall(r"url\(\s*['\"]?([^'\")]*)", css):
        assert target.startswith("data:"), f"{path.name} loads url({target}); only data: URIs are allowed"


def test_assets_keep_numeric_load_order_prefixes():
    assert CSS_FILES, "no CSS in assets/"
    assert all(re.match(r"\d\d-[a-z0-9-]+\.css$", path.name) for path in CSS_FILES)


@pytest.mark.parametrize("selector", APP_SELECTORS)
def test_app_selector_is_styled(all_css, selector):
    pattern = r"(?<![\w-])" + re.escape(selector) + r"(?![\w-])"
    styled = [s for s, d in _rules(all_css) if d and any(re.search(pattern, part) for part in _selectors(s))]
    assert styled, f"no rule styles {selector}"


def test_scanlines_never_block_the_pointer(all_css):
    rules = [d for s, d in _rules(all_css) if ".nf-scanlines" in _selectors(s)]
    assert any(d.get("pointer-events") == "none" and d.get("position") == "fixed" for d in rules)


def test_keyboard_focus_has_an_offset_neon_outline(all_css):
    focus_rules = [
        d for s, d in _rules(all_css) if any(p.endswith("button:focus-visible") for p in _selectors(s))
    ]
    assert any("var(--nf-focus)" in d.get("outline", "") and "outline-offset" in d for d in focus_rules)
    toggle = [d for s, d in _rules(all_css) if ".btn-check:focus-visible + .btn" in _selectors(s)]
    assert any("outline" in d for d in toggle)
