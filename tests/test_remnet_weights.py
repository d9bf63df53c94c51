"""The authors' published REMNet-128 weights in our builder's network: loading, the record, the claim."""

from __future__ import annotations

import pytest
import torch

from papers.remnet import weights
from repro.claims import judge, load_claims
from repro.errors import ReproError
from repro.spaces import get_space
from repro.weights import load_by_order, read_state_dict
from tests.conftest import fashion_available

needs_fashion = pytest.mark.skipif(not fashion_available(), reason="needs Fashion-MNIST")


@pytest.fixture(scope="module")
def state() -> dict[str, torch.Tensor]:
    return read_state_dict(weights.WEIGHTS, weights.WEIGHTS_SHA256)


@pytest.fixture(scope="module")
def record() -> dict:
    found = weights.stored_record()
    assert found is not None, (
        "papers/remnet/artefacts/evaluation.json is missing: python -m papers.remnet.weights --write-record"
    )
    return found


def test_every_published_tensor_fits_the_builders_network(state):
    space = get_space("remnet")
    model = space.build(space.from_json(weights.REMNET), (1, 28, 28), 10, channels=128)
    pairs = load_by_order(model, state, "the authors")
    assert [theirs for _, theirs in pairs] == list(state) and len(pairs) == 48
    assert all(torch.equal(model.state_dict()[ours], state[theirs]) for ours, theirs in pairs)
    assert model.eval()(torch.zeros(2, 1, 28, 28)).shape == (2, 10)


def test_a_network_of_another_width_is_refused_naming_the_first_mismatch(state):
    space = get_space("remnet")
    model = space.build(space.from_json(weights.REMNET), (1, 28, 28), 10, channels=64)
    with pytest.raises(
        ReproError,
        match=r"tensor #1 differs: ours layers\.\d+\.0\.weight \(64, 1, 2, 2\), "
        r"the authors' REMNet-128 001_1304in\.weight \(128, 1, 2, 2\)",
    ):
        load_by_order(model, state, "the authors' REMNet-128")


def test_a_state_dict_with_a_missing_tensor_is_refused(state):
    fewer = dict(list(state.items())[:-1])
    with pytest.raises(ReproError, match="has 47 tensors but the network built here has 48"):
        weights.network(weights.AUTHORS, fewer)


def test_a_changed_or_missing_weights_file_is_refused(tmp_path):
    with pytest.raises(ReproError, match="SHA-256"):
        read_state_dict(weights.WEIGHTS, "0" * 64)
    with pytest.raises(ReproError, match="no weights file"):
        read_state_dict(tmp_path / "absent.dict")
    (tmp_path / "junk.dict").write_bytes(b"not a state dict")
    with pytest.raises(ReproError, match="cannot read the state dict"):
        read_state_dict(tmp_path / "junk.dict")


def test_the_record_is_the_published_file_on_the_whole_test_set(record):
    assert record["weights"]["sha256"] == weights.WEIGHTS_SHA256
    assert record["images"] == len(record["predictions"]) == 10000
    assert record["correct"] == round(record["accuracy"] * 100)


def test_every_control_falls_well_below_the_authors_conventions(record):
    """The controls show that the check can fail: each changed convention costs accuracy, or does not load."""
    authors = record["authors_on_control"]["accuracy"]
    assert {c["name"] for c in record["controls"]} == {c.name for c in weights.CONTROLS}
    for control in record["controls"]:
        assert not control["loads"] or control["accuracy"] < authors - 1, control["name"]
    assert any(not c["loads"] for c in record["controls"])


def test_the_claim_is_judged_on_the_record(record):
    claims = {c.id: c for c in load_claims(weights.HERE / "reported.toml")}
    [measured] = weights.measurement()
    assert measured.value == record["accuracy"] and measured.profile == "weights"
    assert "not a training result of ours" in measured.detail
    verdict = judge(claims[weights.CLAIM_ID], [measured], {})
    assert verdict.status == "matches", verdict.reason
    table = weights.summary_lines(record, weights.reported_value())
    assert sum(line.startswith("| ") for line in table) == len(weights.CONTROLS) + 3  # header, rule, authors, controls


@needs_fashion
def test_the_first_test_images_get_the_recorded_predictions(state, record):
    from repro.data import load_dataset

    data = load_dataset("fashion-mnist", test_size=200)
    found = weights.predict(weights.network(weights.AUTHORS, state), data.test.x, weights.AUTHORS.normalize, "cpu")
    assert weights.differences(weights.digits(found), record["predictions"]) <= weights.allowed_differences(200)


@pytest.mark.slow
@needs_fashion
def test_a_fresh_evaluation_agrees_with_the_record(record):
    """All 10,000 test images and every control, recomputed (a minute on 2 idle cores, several under load)."""
    found = weights.measure()
    assert weights.disagreements(found, record) == []
    assert abs(found["accuracy"] - record["accuracy"]) <= 100 * weights.allowed_differences(10000) / 10000
