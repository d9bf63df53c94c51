"""Claims as data: loading, verdicts, drift against accepted values, and the CLI that checks them."""

from __future__ import annotations

import json
import shutil

import pytest

from repro.claims import (
    Claim,
    Measured,
    accept,
    drift,
    format_value,
    judge,
    load_claims,
    ours_text,
    verdicts_json,
)
from repro.errors import ReproError


def _claim(**changes: object) -> Claim:
    fields = dict(
        id="acc",
        where="Table 1",
        value=90.0,
        unit="%",
        kind="stochastic",
        what="x",
        needs="GPU",
        profiles=("paper",),
        tolerance=0.5,
        tolerance_why="seed spread",
    )
    fields.update(changes)
    return Claim(**fields)  # type: ignore[arg-type]


def test_structural_claims_match_within_rounding_only():
    claim = _claim(id="params", value=3.1e6, kind="structural", profiles=(), rounding=0.1e6, tolerance=0.0)
    assert judge(claim, [Measured("params", "any", 3_159_626)], {}).status == "matches"
    verdict = judge(claim, [Measured("params", "any", 3_300_000)], {})
    assert verdict.status == "deviates" and verdict.gap == pytest.approx(200_000)
    exact = _claim(id="p", value=791338, kind="structural", profiles=(), tolerance=0.0)
    assert judge(exact, [Measured("p", "any", 791339)], {}).status == "deviates"


def test_stochastic_claims_are_judged_only_at_their_scale():
    claim = _claim()
    smoke, paper = Measured("acc", "smoke", 80.0), Measured("acc", "paper", 90.4)
    verdict = judge(claim, [smoke], {"paper": "not in this cache"})
    assert verdict.status == "not reproducible here" and verdict.measured is None
    assert "needs profile paper (GPU)" in verdict.reason and "not in this cache" in verdict.reason
    assert verdict.context == [smoke]
    within = judge(claim, [smoke, paper], {})
    assert within.status == "within tolerance" and within.measured == paper and within.gap == pytest.approx(0.4)
    off = judge(claim, [Measured("acc", "paper", 88.0)], {})
    assert off.status == "deviates" and "outside ±0.5" in off.reason


def test_statement_claims():
    claim = _claim(id="dominates", value="yes", profiles=("smoke",))
    assert judge(claim, [Measured("dominates", "smoke", "yes")], {}).status == "matches"
    assert judge(claim, [Measured("dominates", "smoke", "no")], {}).status == "deviates"


def test_drift_against_accepted_values(tmp_path):
    golden = tmp_path / "golden.json"
    now = [Measured("a", "smoke", 84.3), Measured("b", "any", 791338), Measured("c", "smoke", "yes")]
    assert any("no accepted value yet" in p for p in drift(now, golden))
    accept(now, golden)
    assert drift(now, golden) == []
    changed = [Measured("a", "smoke", 84.31), now[1]]
    problems = drift(changed, golden)
    assert any("a@smoke: drifted from the accepted 84.3 to 84.31" in p for p in problems)
    assert any("c@smoke: accepted before but no longer measured" in p for p in problems)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[claim]]\nid="x"\nwhere="w"\nvalue=1\nunit="u"\nkind="structural"\nwhat="w"\nneeds="n"\n'
            '[[claim]]\nid = "y"\n',
            "claim #2 is malformed",
        ),
        (
            '[[claim]]\nid="x"\nwhere="w"\nvalue=1\nunit="u"\nkind="fuzzy"\nwhat="w"\nneeds="n"\n',
            "kind 'fuzzy'; use one of structural, stochastic$",
        ),
        ('[[claim]]\nid="x"\nwhere="w"\nvalue=1\nunit="u"\nkind="stochastic"\nwhat="w"\nneeds="n"\n', "tolerance_why"),
        ("not toml [", "cannot read claims"),
    ],
)
def test_malformed_claims_are_refused(tmp_path, toml, message):
    path = tmp_path / "reported.toml"
    path.write_text(toml)
    with pytest.raises(ReproError, match=message):
        load_claims(path)


def test_a_gap_exactly_at_the_band_is_within_it_on_either_side():
    claim = _claim()  # 90 %, tolerance 0.5
    above = judge(claim, [Measured("acc", "paper", 90.5)], {})
    below = judge(claim, [Measured("acc", "paper", 89.5)], {})
    assert (above.status, above.gap, above.reason) == ("within tolerance", 0.5, "gap +0.5 % within ±0.5")
    assert (below.status, below.gap, below.reason) == ("within tolerance", -0.5, "gap -0.5 % within ±0.5")
    beyond = judge(claim, [Measured("acc", "paper", 89.25)], {})
    assert (beyond.status, beyond.gap, beyond.reason) == ("deviates", -0.75, "gap -0.75 % outside ±0.5")
    structural = _claim(kind="structural", profiles=(), rounding=0.5, tolerance=0.0)
    edge = judge(structural, [Measured("acc", "any", 90.5)], {})
    assert (edge.status, edge.reason) == ("matches", "gap +0.5 % within ±0.5")


def test_each_kind_uses_its_own_band():
    structural = _claim(kind="structural", profiles=(), rounding=0.0, tolerance=5.0)
    assert judge(structural, [Measured("acc", "any", 91.0)], {}).status == "deviates"
    stochastic = _claim(rounding=5.0, tolerance=0.0)
    assert judge(stochastic, [Measured("acc", "paper", 91.0)], {}).status == "deviates"
    exact = judge(_claim(), [Measured("acc", "paper", 90.0)], {})
    assert (exact.status, exact.gap, exact.reason) == ("matches", 0.0, "exactly")


def test_the_largest_comparable_profile_is_judged_and_the_rest_is_context():
    claim = _claim(profiles=("gpu", "paper"))
    smoke, gpu, paper = Measured("acc", "smoke", 80.0), Measured("acc", "gpu", 85.0), Measured("acc", "paper", 90.25)
    other = Measured("params", "paper", 3.0)
    verdict = judge(claim, [smoke, other, gpu, paper], {})
    assert verdict.measured is paper and verdict.status == "within tolerance" and verdict.gap == 0.25
    assert verdict.context == [smoke, gpu]
    anywhere = judge(claim, [smoke, Measured("acc", "any", 90.0)], {})
    assert anywhere.measured == Measured("acc", "any", 90.0) and anywhere.context == [smoke]
    unscaled = _claim(profiles=())
    assert judge(unscaled, [smoke], {}).measured is smoke


def test_not_reproducible_names_the_profiles_and_why_each_is_missing():
    claim = _claim(profiles=("gpu", "paper"), deviation_why="known")
    verdict = judge(claim, [Measured("acc", "smoke", 80.0)], {"paper": "no rows", "smoke": "unused"})
    assert verdict.status == "not reproducible here" and verdict.gap is None
    assert verdict.reason == "needs profile gpu or paper (GPU); paper: no rows"
    both = judge(claim, [], {"paper": "no rows", "gpu": "no lease"})
    assert both.reason == "needs profile gpu or paper (GPU); gpu: no lease; paper: no rows"
    assert judge(_claim(), [], {}).reason == "needs profile paper (GPU)"
    assert judge(_claim(profiles=()), [], {}).reason == "needs profile any (GPU)"


def test_a_known_deviation_is_explained_only_where_the_claim_deviates():
    claim = _claim(kind="structural", profiles=(), value=100, rounding=1.0, deviation_why="head differs")
    off = judge(claim, [Measured("acc", "any", 120)], {})
    assert off.reason == "gap +20 % outside ±1; known deviation: head differs"
    assert judge(claim, [Measured("acc", "any", 100.5)], {}).reason == "gap +0.5 % within ±1"
    statement = judge(_claim(value="yes", deviation_why="differs"), [Measured("acc", "paper", "yes")], {})
    assert statement.reason == "same statement"


def test_mixed_statement_and_number_claims_compare_as_text():
    number_claim = judge(_claim(profiles=()), [Measured("acc", "any", "yes")], {})
    assert (number_claim.status, number_claim.gap) == ("deviates", None)
    assert number_claim.reason == "reported 90.0, ours 'yes'"
    text_claim = judge(_claim(value="3", profiles=()), [Measured("acc", "any", 3)], {})
    assert (text_claim.status, text_claim.gap, text_claim.reason) == ("matches", None, "same statement")


def test_claims_load_with_their_profiles_as_a_tuple(tmp_path):
    path = tmp_path / "reported.toml"
    path.write_text(
        '[[claim]]\nid="p"\nwhere="Table 2"\nvalue=791338\nunit="params"\nkind="structural"\nwhat="w"\nneeds="n"\n'
        '[[claim]]\nid="s"\nwhere="Sec. 4"\nvalue="yes"\nunit=""\nkind="stochastic"\nwhat="w"\nneeds="n"\n'
        'profiles=["gpu", "paper"]\n'
    )
    params, statement = load_claims(path)
    assert params == Claim("p", "Table 2", 791338, "params", "structural", "w", "n")
    assert statement.profiles == ("gpu", "paper") and statement.tolerance_why == ""
    path.write_text("")
    assert load_claims(path) == []


def test_duplicate_claim_ids_are_refused(tmp_path):
    entry = '[[claim]]\nid="p"\nwhere="w"\nvalue=1\nunit="u"\nkind="structural"\nwhat="w"\nneeds="n"\n'
    path = tmp_path / "reported.toml"
    path.write_text(entry * 2)
    with pytest.raises(ReproError, match="claim ids must be unique"):
        load_claims(path)


def test_drift_tolerates_float_noise_only(tmp_path):
    golden = tmp_path / "golden.json"
    golden.write_text(json.dumps({"a@smoke": 0.81, "b@any": 791338, "c@smoke": "yes", "d@smoke": 1, "e@smoke": 0.0}))
    same = [
        Measured("a", "smoke", 0.81 + 1e-13),
        Measured("b", "any", 791338.0),
        Measured("c", "smoke", "yes"),
        Measured("d", "smoke", 1),
        Measured("e", "smoke", 1e-13),
    ]
    assert drift(same, golden) == []
    moved = [Measured("a", "smoke", 0.8101), same[1], same[2], Measured("d", "smoke", "1"), same[4]]
    assert drift(moved, golden) == [
        "a@smoke: drifted from the accepted 0.81 to 0.8101",
        "d@smoke: drifted from the accepted 1 to '1'",
    ]
    new = drift([Measured("e", "gpu", 0.5), Measured("f", "gpu", "no")], tmp_path / "absent.json")
    assert new == [
        "e@gpu: no accepted value yet (ours 0.5); review and run `repro regress --accept`",
        "f@gpu: no accepted value yet (ours 'no'); review and run `repro regress --accept`",
    ]


def test_accept_writes_sorted_values(tmp_path):
    path = accept([Measured("b", "smoke", 0.5), Measured("a", "any", "yes")], tmp_path / "golden.json")
    assert path.read_text() == '{\n "a@any": "yes",\n "b@smoke": 0.5\n}\n'


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.812345, "0.8123"),
        (1234.5, "1,234"),
        (9999.0, "9,999"),
        (10000.0, "10,000"),
        (-12345.6, "-12,346"),
        (791338, "791,338"),
        ("yes", "yes"),
    ],
)
def test_format_value(value, text):
    assert format_value(value) == text


def test_ours_text_and_json_show_the_judged_value_and_the_context():
    claim = _claim()
    smoke, paper = Measured("acc", "smoke", 80.25, "5 seeds"), Measured("acc", "paper", 90.25, "3 seeds", "cache abc")
    judged, unjudged = judge(claim, [smoke, paper], {}), judge(claim, [smoke, Measured("acc", "gpu", 12345)], {})
    assert ours_text(judged) == "90.25 (paper)"
    assert ours_text(unjudged) == "80.25 (smoke, not comparable); 12,345 (gpu, not comparable)"
    assert ours_text(judge(claim, [], {})) == "—"
    assert verdicts_json([judged, judge(claim, [], {})]) == [
        {
            "id": "acc",
            "where": "Table 1",
            "what": "x",
            "unit": "%",
            "kind": "stochastic",
            "reported": 90.0,
            "status": "within tolerance",
            "reason": "gap +0.25 % within ±0.5",
            "gap": 0.25,
            "ours": {"profile": "paper", "value": 90.25, "detail": "3 seeds", "provenance": "cache abc"},
            "context": [{"profile": "smoke", "value": 80.25, "detail": "5 seeds"}],
        },
        {
            "id": "acc",
            "where": "Table 1",
            "what": "x",
            "unit": "%",
            "kind": "stochastic",
            "reported": 90.0,
            "status": "not reproducible here",
            "reason": "needs profile paper (GPU)",
            "gap": None,
            "ours": None,
            "context": [],
        },
    ]


@pytest.fixture
def remnet_copy(tmp_path, monkeypatch):
    """The remnet paper (its reproduce module) pointed at a copy of its claims and accepted values."""
    from papers.remnet import reproduce

    folder = tmp_path / "remnet"
    folder.mkdir()
    for name in ("reported.toml", "golden.json"):
        shutil.copy(reproduce.HERE / name, folder / name)
    monkeypatch.setattr(reproduce, "HERE", folder)
    return folder


def test_regress_passes_on_the_shipped_cache(capsys):
    from repro.cli import main

    assert main(["regress", "remnet"]) == 0
    out, err = capsys.readouterr()
    assert "remnet128_params" in out and "matches" in out and "not reproducible here" in out
    assert max(len(line) for line in out.splitlines()) <= 120
    assert "no regressions" in out.splitlines()[-2:]
    lines = out.splitlines()
    row = next(i for i, line in enumerate(lines) if line.startswith("remnet128_params "))
    assert lines[row].split()[1] == "matches" and lines[row + 1].startswith("    ")  # the reason wrapped below
    assert main(["regress", "remnet", "--wide", "--no-progress"]) == 0
    wide = capsys.readouterr().out
    assert max(len(line) for line in wide.splitlines()) > 120 and len(wide.splitlines()) < len(lines)
    assert err.startswith("repro regress: [1/1] remnet")


def test_regress_fails_on_drift(remnet_copy, capsys):
    from repro.cli import main

    golden = json.loads((remnet_copy / "golden.json").read_text())
    golden["es_best_test_acc@smoke"] += 0.01
    (remnet_copy / "golden.json").write_text(json.dumps(golden))
    assert main(["regress", "remnet"]) == 1
    assert "REGRESSION remnet/es_best_test_acc@smoke: drifted" in capsys.readouterr().err


def test_regress_fails_when_a_structural_number_stops_matching(remnet_copy, capsys):
    from repro.cli import main

    toml = (remnet_copy / "reported.toml").read_text().replace("value = 791338", "value = 791339")
    (remnet_copy / "reported.toml").write_text(toml)
    assert main(["regress", "remnet"]) == 1
    assert "remnet/remnet128_params: structural number deviates" in capsys.readouterr().err
