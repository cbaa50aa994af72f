"""The callback registry: reading Dash's output strings, and rules that apply only to some requests."""
from __future__ import annotations

import pytest

from core.auth import Permission
from core.auth.callbacks import (callback_permission, callback_rules, input_flag, output_ids, protect_callback,
                                 required_permissions, triggered_by)


@pytest.fixture(autouse=True)
def _registry_restored():
    """The registry is the app's: rules these tests add are taken out again (the role matrix walks every rule)."""
    before = dict(callback_rules)
    yield
    callback_rules.clear()
    callback_rules.update(before)


def test_output_ids_reads_single_multi_and_duplicate_outputs():
    assert output_ids("data-upload-token.data") == ["data-upload-token"]
    assert output_ids("..data-upload-token.data...data-upload-status.children@7f1e2a..") == [
        "data-upload-token", "data-upload-status"]
    assert output_ids("nothing") == []


def test_a_rule_with_when_applies_only_to_matching_requests():
    protect_callback(["cb-test-request"], Permission.RETRAIN, when=triggered_by("cb-test-run.n_clicks"))
    protect_callback(["cb-test-done"], Permission.RETRAIN, when=input_flag("cb-test-request", "refresh"))
    assert callback_permission("..cb-test-request.data...cb-test-status.children..") is Permission.RETRAIN
    first_view = {"output": "cb-test-request.data", "changedPropIds": ["dataset-version.data"]}
    pressed = {"output": "cb-test-request.data", "changedPropIds": ["cb-test-run.n_clicks"]}
    assert required_permissions(first_view) == []
    assert [p for p, _rule in required_permissions(pressed)] == [Permission.RETRAIN]
    fresh = {"output": "cb-test-done.data", "inputs": [{"id": "cb-test-request", "property": "data",
                                                        "value": {"refresh": True}}]}
    cached = {"output": "cb-test-done.data", "inputs": [{"id": "cb-test-request", "property": "data",
                                                         "value": {"refresh": False}}]}
    assert [p for p, _ in required_permissions(fresh)] == [Permission.RETRAIN]
    assert required_permissions(cached) == []


def test_a_malformed_body_needs_the_permission():
    protect_callback(["cb-test-malformed"], Permission.UPLOAD, when=input_flag("x", "refresh"))
    assert [p for p, _ in required_permissions({"output": "cb-test-malformed.data", "inputs": 7})] == [
        Permission.UPLOAD]
    assert required_permissions({"output": 3}) == [] and required_permissions([]) == []
