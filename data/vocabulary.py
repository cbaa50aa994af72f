"""The fixed business vocabulary shared by the generator, validation and every page."""
from __future__ import annotations

__all__ = ["REGIONS", "SEGMENTS", "CHANNELS", "CATEGORIES", "PLANS", "EVENT_KINDS"]

REGIONS: tuple[str, ...] = ("North America", "EMEA", "APAC", "LATAM")
SEGMENTS: tuple[str, ...] = ("Consumer", "SMB", "Enterprise")
CHANNELS: tuple[str, ...] = ("Web", "Mobile", "Retail", "Partner")
CATEGORIES: tuple[str, ...] = ("Electronics", "Home", "Apparel", "Sports", "Beauty")
PLANS: tuple[str, ...] = ("Basic", "Plus", "Premium")
# Kinds of calendar events (data.schema.calendar_events): public holidays, commercial days such as
# Black Friday, and one-off events such as a store opening or an outage.
EVENT_KINDS: tuple[str, ...] = ("holiday", "commercial", "one_off")
