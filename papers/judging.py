"""Every paper's claims judged against the cache: what ``repro regress`` and ``repro report`` orchestrate.

The command line only prints what these functions return; they replay each paper's cached
experiments (:func:`papers.replay.replay_all`), judge its reported claims
(:func:`repro.claims.judge`) and write the per-paper reports and the index.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from papers import PAPERS, Paper, load
from papers.replay import all_measurements, read_reported, replay_all
from repro.cache.store import Store
from repro.claims import Verdict, accept, drift, judge, load_claims, verdicts_json
from repro.report import PaperSection, status_table, update_readme, write_html, write_markdown


@dataclass(frozen=True)
class Judged:
    """One paper replayed from the cache and its claims judged."""

    paper: Paper
    outcomes: dict[str, Any]
    """Profile name -> the replayed outcome, for every profile the cache holds."""
    unavailable: dict[str, str]
    """Profile name -> why it could not be replayed."""
    measured: list[Any]
    verdicts: list[Verdict]


def judge_paper(name: str, store: Store) -> Judged:
    """Replay paper ``name``'s cached experiments and judge its claims."""
    paper = load(name)
    outcomes, unavailable = replay_all(name, paper.reproduce, store)
    measured = all_measurements(paper.claims, outcomes)
    verdicts = [judge(c, measured, unavailable) for c in load_claims(paper.reproduce.HERE / "reported.toml")]
    return Judged(paper, outcomes, unavailable, measured, verdicts)


def regressions(judged: Judged, include_drift: bool = True) -> list[str]:
    """What makes ``repro regress`` fail for one paper: a structural number that deviates without a recorded
    reason, or (with ``include_drift``) one of our values drifting from its accepted (golden) value."""
    name = judged.paper.name
    problems = [
        f"{name}/{v.claim.id}: structural number deviates: {v.reason}"
        for v in judged.verdicts
        if v.claim.kind == "structural" and v.status == "deviates" and not v.claim.deviation_why
    ]
    if include_drift:
        problems += [f"{name}/{p}" for p in drift(judged.measured, judged.paper.reproduce.HERE / "golden.json")]
    return problems


def accept_values(judged: Judged) -> Path:
    """Record a paper's current values as its accepted ones (``golden.json``)."""
    return accept(judged.measured, judged.paper.reproduce.HERE / "golden.json")


def write_reports(store: Store, out: Path, readme: Path, on_paper: Callable[[str], None] | None = None) -> list[Path]:
    """Every paper's figures and summaries, its ``claims.json``, the index (Markdown and HTML) and the README's
    status table (when ``readme`` exists); returns the files written."""
    sections, written = [], []
    for name in sorted(PAPERS):
        if on_paper is not None:
            on_paper(name)
        judged = judge_paper(name, store)
        claimed = {v.claim.id for v in judged.verdicts}
        title = read_reported(judged.paper.reproduce.HERE)["title"]
        section = PaperSection(
            name,
            title,
            judged.verdicts,
            unavailable=judged.unavailable,
            findings=[m for m in judged.measured if m.claim_id not in claimed],
        )
        for profile, outcome in judged.outcomes.items():
            paths = judged.paper.report.write_report(outcome, out / name / profile)
            section.profiles[profile] = judged.paper.reproduce.describe_profile(outcome)
            section.figures[profile] = [p for p in paths if p.suffix == ".png"]
            section.summaries[profile] = next(p for p in paths if p.name == "summary.md")
        sections.append(section)
        claims_path = out / name / "claims.json"
        # A paper with no replayable profile has no report folder yet.
        claims_path.parent.mkdir(parents=True, exist_ok=True)
        claims_path.write_text(json.dumps(verdicts_json(judged.verdicts), indent=1) + "\n")
        written.append(claims_path)
    written += [write_markdown(sections, out), write_html(sections, out)]
    if readme.exists() and update_readme(readme, status_table(sections, f"{out.as_posix()}/index.md")):
        written.append(readme)
    return written
