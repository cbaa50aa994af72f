"""Fixtures of the stream tests: a private copy of a 300-customer sample store, and a Redis client."""
from __future__ import annotations

import pytest
import redis

from tests.data.stream.helpers import COMPANY
from tests.sample_stores import copy_store, write_template


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The sample company written once; tests work on copies."""
    return write_template(tmp_path_factory.mktemp("stream-template"), COMPANY)


@pytest.fixture
def store_url(template, tmp_path) -> str:
    return copy_store(template, tmp_path)


@pytest.fixture
def client(clean_redis):
    connection = redis.Redis.from_url(clean_redis)
    yield connection
    connection.close()
