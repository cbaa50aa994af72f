"""The fixed business vocabulary shared by the generator, validation and every page."""
from __future__ import annotations

__all__ = ["REGIONS", "SEGMENTS", "CHANNELS", "CATEGORIES", "PLANS"]

REGIONS: tuple[str, ...] = ("North America", "EMEA", "APAC", "LATAM")
SEGMENTS: tuple[str, ...] = ("Consumer", "SMB", "Enterprise")
CHANNELS: tuple[str, ...] = ("Web", "Mobile", "Retail", "Partner")
CATEGORIES: tuple[str, ...] = ("Electronics", "Home", "Apparel", "Sports", "Beauty")
PLANS: tuple[str, ...] = ("Basic", "Plus", "Premium")
