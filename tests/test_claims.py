"""Claims as data: loading, verdicts, drift against accepted values, and the CLI that checks them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from repro.claims import Claim, Measured, accept, drift, judge, load_claims
from repro.errors import ReproError


def _claim(**changes: object) -> Claim:
    fields = dict(id="acc", where="Table 1", value=90.0, unit="%", kind="stochastic", what="x", needs="GPU",
                  profiles=("paper",), tolerance=0.5, tolerance_why="seed spread")  # fmt: skip
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
        ('[[claim]]\nid = "x"\n', "malformed"),
        ('[[claim]]\nid="x"\nwhere="w"\nvalue=1\nunit="u"\nkind="fuzzy"\nwhat="w"\nneeds="n"\n', "kind 'fuzzy'"),
        ('[[claim]]\nid="x"\nwhere="w"\nvalue=1\nunit="u"\nkind="stochastic"\nwhat="w"\nneeds="n"\n', "tolerance_why"),
        ("not toml [", "cannot read claims"),
    ],
)
def test_malformed_claims_are_refused(tmp_path, toml, message):
    path = tmp_path / "reported.toml"
    path.write_text(toml)
    with pytest.raises(ReproError, match=message):
        load_claims(path)


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
    out = capsys.readouterr().out
    assert "remnet128_params" in out and "matches" in out and "not reproducible here" in out
    assert out.strip().endswith("no regressions")


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


def test_readme_status_table_is_the_generated_one():
    from papers import PAPERS
    from papers.judging import judge_paper
    from repro.cache.store import Store
    from repro.report import README_BEGIN, README_END, PaperSection, status_table

    root = Path(__file__).resolve().parent.parent
    sections = []
    with Store(root / "cache", read_only=True) as store:
        for name in sorted(PAPERS):
            judged = judge_paper(name, store)
            sections.append(PaperSection(name, "", judged.verdicts, profiles=dict.fromkeys(judged.outcomes, ""),
                                         unavailable=judged.unavailable))  # fmt: skip
    readme = (root / "README.md").read_text()
    block = readme.split(README_BEGIN, 1)[1].split(README_END, 1)[0].strip()
    assert block == status_table(sections), "README's status table is stale: run `repro report`"
