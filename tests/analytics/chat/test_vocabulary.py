"""Vocabulary: the store's own names, aliases that follow them, typos, and the sample's names without a store."""
from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from analytics.chat import Vocabulary
from data import vocabulary as sample
from data.store import get_engine
from tests.analytics.chat._stores import OWN_CATEGORIES, OWN_REGIONS, OWN_SEGMENTS, write_store


@pytest.fixture(scope="module")
def own_store(tmp_path_factory):
    return get_engine(write_store(tmp_path_factory.mktemp("own"), own_names=True))


def test_sample_vocabulary_is_the_sample_company_s():
    vocabulary = Vocabulary.sample()
    assert vocabulary.regions == sample.REGIONS and vocabulary.categories == sample.CATEGORIES
    assert set(vocabulary.names()) == set(sample.REGIONS + sample.SEGMENTS + sample.CHANNELS + sample.CATEGORIES)


@pytest.mark.parametrize(("phrase", "kind", "name"), [
    ("Europe", "region", "EMEA"), ("eu", "region", "EMEA"), ("emea", "region", "EMEA"),
    ("Latin America", "region", "LATAM"), ("LatAm", "region", "LATAM"), ("asia pacific", "region", "APAC"),
    ("Asia-Pacific", "region", "APAC"), ("na", "region", "North America"), ("NORTH AMERICA", "region", "North America"),
    ("small business", "segment", "SMB"), ("consumers", "segment", "Consumer"), ("B2C", "segment", "Consumer"),
    ("enterprises", "segment", "Enterprise"), ("mobile app", "channel", "Mobile"), ("partners", "channel", "Partner"),
    ("online", "channel", "Web"), ("clothing", "category", "Apparel"), ("sport", "category", "Sports"),
])
def test_aliases_lead_to_canonical_names(phrase, kind, name):
    assert Vocabulary.sample().lookup(phrase) == (kind, name)


def test_typos_match_fuzzily_but_short_words_must_be_exact():
    vocabulary = Vocabulary.sample()
    assert vocabulary.match("Electroncs")[:2] == ("category", "Electronics")
    assert vocabulary.match("enterprize")[:2] == ("segment", "Enterprise")
    assert vocabulary.match("emae") is None  # four letters: a guess, not a typo
    assert vocabulary.match("revenue") is None


def test_from_store_reads_the_store_s_own_names(own_store):
    vocabulary = Vocabulary.from_store(own_store)
    assert set(vocabulary.regions) == set(OWN_REGIONS.values())
    assert set(vocabulary.segments) == set(OWN_SEGMENTS.values())
    assert set(vocabulary.categories) == set(OWN_CATEGORIES.values())
    assert "EMEA" not in vocabulary.names() and "Europe" in vocabulary.names()


def test_aliases_follow_the_store_s_names(own_store):
    vocabulary = Vocabulary.from_store(own_store)
    assert vocabulary.lookup("emea") == ("region", "Europe")  # a synonym of the store's "Europe"
    assert vocabulary.lookup("americas") == ("region", "Americas")
    assert vocabulary.lookup("north america") == ("region", "Americas")  # same synonym group
    assert vocabulary.lookup("nordic") == ("region", "Nordics")  # singular of the store's own name
    assert vocabulary.lookup("home and garden") == ("category", "Home & Garden")
    assert vocabulary.lookup("key accounts") == ("segment", "Key Accounts")
    assert vocabulary.lookup("ka") == ("segment", "Key Accounts")  # initials
    assert vocabulary.lookup("smb") == ("segment", "Small Business")
    assert vocabulary.match("Nordcs")[:2] == ("region", "Nordics")
    assert vocabulary.lookup("apac") is None  # the store has no APAC (its "Nordics" is not Asia)


def test_a_synonym_shared_by_two_names_is_left_out():
    vocabulary = Vocabulary(regions=("Europe", "EU"), segments=("SMB",), channels=("Web",), categories=("Home",))
    assert vocabulary.lookup("europe") == ("region", "Europe") and vocabulary.lookup("eu") == ("region", "EU")
    assert vocabulary.lookup("emea") is None  # could be either


def test_no_store_or_an_unreadable_one_gives_the_sample_names(tmp_path):
    assert Vocabulary.from_store(None) == Vocabulary.sample()
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # no tables at all
    assert Vocabulary.from_store(empty) == Vocabulary.sample()


def test_of_names_the_valid_kinds():
    with pytest.raises(ValueError, match="region, segment, channel, category"):
        Vocabulary.sample().of("plan")
