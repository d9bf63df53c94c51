"""Claims as data: a paper's reported numbers, our measurements beside them, and a verdict for each.

A claim (``papers/<name>/reported.toml``) is one number or statement of a paper, stored exactly as
printed, with its kind:

- *structural* (parameter counts, MACs): must equal ours within the stated ``rounding``, unless
  ``deviation_why`` explains a known, investigated difference (it is still reported as a deviation);
- *stochastic* (accuracies, sizes of found architectures): must lie within ``tolerance`` (justified
  in ``tolerance_why``), and is only compared at a profile of the scale it needs (``profiles``).

Our measurements come from replaying the paper's experiments from the cache. Every claim gets a
status, never a silent skip: ``matches``, ``within tolerance``, ``deviates`` (a finding, with the
gap) or ``not reproducible here`` (with the reason). Separately, every measurement is compared
with the last *accepted* value (``golden.json``, updated on purpose with ``repro regress
--accept``): a drift means the code or the cache changed a reproduced number.
"""

from __future__ import annotations

import json
import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from repro.errors import ReproError

KINDS = ("structural", "stochastic")
STATUSES = ("matches", "within tolerance", "deviates", "not reproducible here")


@dataclass(frozen=True)
class Claim:
    """One reported number or statement, as printed."""

    id: str
    where: str
    value: float | str
    unit: str
    kind: str
    what: str
    needs: str
    profiles: tuple[str, ...] = ()
    """Experiment profiles at whose scale the claim is comparable (empty: any, e.g. structural)."""
    rounding: float = 0.0
    tolerance: float = 0.0
    tolerance_why: str = ""
    deviation_why: str = ""
    """For a structural claim we know we do not match: why (then ``repro regress`` reports it without failing)."""


@dataclass(frozen=True)
class Measured:
    """Our value for a claim at one profile, and where it came from."""

    claim_id: str
    profile: str
    value: float | str
    detail: str = ""
    provenance: str = ""


@dataclass
class Verdict:
    """A claim, the measurement it was judged on (if any), the status and why."""

    claim: Claim
    status: str
    measured: Measured | None
    reason: str
    gap: float | None = None
    context: list[Measured] = field(default_factory=list)
    """Measurements at other profiles, shown but not judged (e.g. smoke-scale accuracies)."""


def load_claims(path: Path) -> list[Claim]:
    """Read and check the ``[[claim]]`` entries of a ``reported.toml``."""
    try:
        data = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ReproError(f"cannot read claims from {path}: {exc}") from None
    claims = []
    for i, entry in enumerate(data.get("claim", [])):
        try:
            claim = Claim(**{**entry, "profiles": tuple(entry.get("profiles", ()))})
        except TypeError as exc:
            raise ReproError(
                f"{path}: claim #{i + 1} is malformed ({exc}); see repro/claims.py for the fields"
            ) from None
        if claim.kind not in KINDS:
            raise ReproError(f"{path}: claim {claim.id!r} has kind {claim.kind!r}; use one of {', '.join(KINDS)}")
        if claim.kind == "stochastic" and isinstance(claim.value, (int, float)) and not claim.tolerance_why:
            raise ReproError(f"{path}: stochastic claim {claim.id!r} needs a tolerance_why justifying its band")
        claims.append(claim)
    ids = [c.id for c in claims]
    if len(set(ids)) != len(ids):
        raise ReproError(f"{path}: claim ids must be unique")
    return claims


def _compare(claim: Claim, measured: Measured) -> tuple[str, float | None, str]:
    if isinstance(claim.value, str) or isinstance(measured.value, str):
        if str(measured.value) == str(claim.value):
            return "matches", None, "same statement"
        return "deviates", None, f"reported {claim.value!r}, ours {measured.value!r}"
    gap = float(measured.value) - float(claim.value)
    band = claim.rounding if claim.kind == "structural" else claim.tolerance
    if gap == 0:
        return "matches", gap, "exactly"
    if abs(gap) <= band:
        status = "matches" if claim.kind == "structural" else "within tolerance"
        return status, gap, f"gap {gap:+.4g} {claim.unit} within ±{band:g}"
    return "deviates", gap, f"gap {gap:+.4g} {claim.unit} outside ±{band:g}"


def judge(claim: Claim, measurements: list[Measured], unavailable: dict[str, str]) -> Verdict:
    """The verdict on ``claim`` given our measurements and the profiles the cache cannot replay."""
    mine = [m for m in measurements if m.claim_id == claim.id]
    comparable = [m for m in mine if not claim.profiles or m.profile in claim.profiles or m.profile == "any"]
    if comparable:
        chosen = comparable[-1]  # profiles are measured from small to large: judge on the largest
        status, gap, reason = _compare(claim, chosen)
        if status == "deviates" and claim.deviation_why:
            reason += f"; known deviation: {claim.deviation_why}"
        return Verdict(claim, status, chosen, reason, gap, [m for m in mine if m is not chosen])
    wanted = " or ".join(claim.profiles) or "any"
    reasons = [f"{p}: {unavailable[p]}" for p in claim.profiles if p in unavailable]
    reason = f"needs profile {wanted} ({claim.needs})" + (f"; {'; '.join(reasons)}" if reasons else "")
    return Verdict(claim, "not reproducible here", None, reason, None, mine)


def _key(m: Measured) -> str:
    return f"{m.claim_id}@{m.profile}"


def drift(measurements: list[Measured], golden_path: Path) -> list[str]:
    """Differences between our measurements and the accepted ones (empty when nothing drifted)."""
    golden = json.loads(golden_path.read_text()) if golden_path.exists() else {}
    problems = []
    for m in measurements:
        key = _key(m)
        if key not in golden:
            problems.append(f"{key}: no accepted value yet (ours {m.value!r}); review and run `repro regress --accept`")
            continue
        accepted = golden[key]
        same = (
            math.isclose(float(accepted), float(m.value), rel_tol=1e-9, abs_tol=1e-12)
            if isinstance(accepted, (int, float)) and isinstance(m.value, (int, float))
            else accepted == m.value
        )
        if not same:
            problems.append(f"{key}: drifted from the accepted {accepted!r} to {m.value!r}")
    measured_keys = {_key(m) for m in measurements}
    problems += [f"{k}: accepted before but no longer measured" for k in golden if k not in measured_keys]
    return problems


def accept(measurements: list[Measured], golden_path: Path) -> Path:
    """Record our current measurements as the accepted ones."""
    data = {_key(m): m.value for m in measurements}
    golden_path.write_text(json.dumps(dict(sorted(data.items())), indent=1) + "\n")
    return golden_path


def format_value(value: object) -> str:
    """A number as a reader wants it (thousands separators, 4 significant digits), text as is."""
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1e4 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def ours_text(verdict: Verdict) -> str:
    """Our value and its profile; values at profiles that cannot be compared are marked so."""
    if verdict.measured is not None:
        return f"{format_value(verdict.measured.value)} ({verdict.measured.profile})"
    if verdict.context:
        return "; ".join(f"{format_value(m.value)} ({m.profile}, not comparable)" for m in verdict.context)
    return "—"


def verdicts_json(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Verdicts as plain data (for reports)."""
    out = []
    for v in verdicts:
        out.append(
            {
                "id": v.claim.id,
                "where": v.claim.where,
                "what": v.claim.what,
                "unit": v.claim.unit,
                "kind": v.claim.kind,
                "reported": v.claim.value,
                "status": v.status,
                "reason": v.reason,
                "gap": v.gap,
                "ours": None
                if v.measured is None
                else {
                    "profile": v.measured.profile,
                    "value": v.measured.value,
                    "detail": v.measured.detail,
                    "provenance": v.measured.provenance,
                },
                "context": [{"profile": m.profile, "value": m.value, "detail": m.detail} for m in v.context],
            }
        )
    return out
