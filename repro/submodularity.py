"""Monotonicity, diminishing returns and the submodularity ratio, measured on every set of a complete table.

The ground set is ``n`` positions with ``m`` choices each (one element per position, as a network
position holds one block): a set is an assignment of a choice ``1..m`` or ``0`` (empty) to every
position, stored at the flat index ``sum(d_p * (m+1)**(n-1-p))`` (position 0 most significant, so
for NAS-Bench-Macro the index of a genome is ``int(genome, 3)``). ``A ⊂ B`` when ``B`` keeps every
choice of ``A`` and fills more positions; an element ``v = (p, c)`` can be added to ``B`` when
``p`` is empty in ``B``. Plain subsets of ``n`` items are ``m = 1``.

Everything is enumerated with numpy: the proper nested pairs number ``(2m+1)^n - (m+1)^n``
(384,064 for NAS-Bench-Macro's ``n = 8, m = 2``), the triples ``(A ⊂ B, v)`` about 1.2 million.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from repro.errors import ReproError


def _weights(n: int, m: int) -> np.ndarray:
    return (m + 1) ** np.arange(n - 1, -1, -1, dtype=np.int64)


def digits(n: int, m: int) -> np.ndarray:
    """The choice at every position of every set: shape ``((m+1)**n, n)``."""
    index = np.arange((m + 1) ** n, dtype=np.int64)
    return (index[:, None] // _weights(n, m)[None, :]) % (m + 1)


def nested_pairs(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat indices ``(A, B)`` of every proper nested pair ``A ⊂ B``."""
    # Per position: (empty, empty), (empty, c) or (c, c) for c in 1..m.
    in_a = np.array([0] + [0] * m + list(range(1, m + 1)), dtype=np.int64)
    in_b = np.array([0] + list(range(1, m + 1)) * 2, dtype=np.int64)
    states = np.indices((2 * m + 1,) * n, dtype=np.int8).reshape(n, -1)
    weights = _weights(n, m)[:, None]
    a = (in_a[states] * weights).sum(axis=0)
    b = (in_b[states] * weights).sum(axis=0)
    proper = a != b
    return a[proper], b[proper]


@dataclass(frozen=True)
class Triples:
    """Every ``(A ⊂ B, v)`` with ``v`` addable to ``B``, as flat indices of ``A``, ``A+v``, ``B``, ``B+v``."""

    a: np.ndarray
    a_v: np.ndarray
    b: np.ndarray
    b_v: np.ndarray

    def excess(self, values: np.ndarray) -> np.ndarray:
        """``Δ(v|B) − Δ(v|A)`` per triple: positive breaks diminishing returns."""
        return values[self.b_v] - values[self.b] - values[self.a_v] + values[self.a]


def nested_triples(n: int, m: int) -> Triples:
    """All diminishing-returns triples of the lattice (see the module docstring)."""
    a, b = nested_pairs(n, m)
    parts: list[list[np.ndarray]] = [[], [], [], []]
    for p, weight in enumerate(_weights(n, m)):
        free = (b // weight) % (m + 1) == 0  # empty in B, hence in A
        for c in range(1, m + 1):
            for part, idx in zip(parts, (a[free], a[free] + c * weight, b[free], b[free] + c * weight)):
                part.append(idx)
    return Triples(*(np.concatenate(part) for part in parts))


def additions(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """Every ``(A, A+v)`` with ``v`` addable to ``A``: the monotonicity checks."""
    d = digits(n, m)
    index = np.arange(len(d), dtype=np.int64)
    bases, grown = [], []
    for p, weight in enumerate(_weights(n, m)):
        free = index[d[:, p] == 0]
        for c in range(1, m + 1):
            bases.append(free)
            grown.append(free + c * weight)
    return np.concatenate(bases), np.concatenate(grown)


@dataclass(frozen=True)
class Counted:
    """Violations of one property: how many checks, how many broke it by more than ``tolerance``, and by how much."""

    checks: int
    violations: int
    sizes: np.ndarray
    """The size of every violation (positive)."""

    @property
    def fraction(self) -> float:
        """Violations per check."""
        return self.violations / self.checks if self.checks else 0.0


def count(amounts: np.ndarray, tolerance: float = 1e-9) -> Counted:
    """Violations among ``amounts`` (positive = broken): ``Triples.excess`` or minus the monotonicity gains."""
    broken = amounts[amounts > tolerance]
    return Counted(int(amounts.size), int(broken.size), broken)


def monotonicity(values: np.ndarray, n: int, m: int, tolerance: float = 1e-9) -> Counted:
    """Additions that lower the value by more than ``tolerance``."""
    _check(values, n, m)
    base, grown = additions(n, m)
    return count(values[base] - values[grown], tolerance)


def diminishing_returns(values: np.ndarray, n: int, m: int, tolerance: float = 1e-9) -> Counted:
    """Triples with ``Δ(v|B) > Δ(v|A) + tolerance`` for ``A ⊂ B``."""
    _check(values, n, m)
    return count(nested_triples(n, m).excess(values), tolerance)


def singleton_gain_sums(values: np.ndarray, n: int, m: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``Σ_{x ∈ B∖A} (F(A+x) − F(A))`` for each pair ``A ⊂ B``."""
    total = np.zeros(len(a))
    for weight in _weights(n, m):
        added = (b // weight) % (m + 1) - (a // weight) % (m + 1)  # the choice B adds at this position, or 0
        total += np.where(added > 0, values[a + added * weight] - values[a], 0.0)
    return total


def ratio_pairs(n: int, m: int) -> tuple[np.ndarray, np.ndarray]:
    """The nested pairs ``L ⊂ L∪S`` with ``|S| ≥ 2`` (``|S| = 1`` gives a ratio of 1 by definition)."""
    a, b = nested_pairs(n, m)
    filled = (digits(n, m) > 0).sum(axis=1)
    several = filled[b] - filled[a] >= 2
    return a[several], b[several]


def submodularity_ratios(values: np.ndarray, n: int, m: int, min_gain: float = 1e-9) -> np.ndarray:
    """Das & Kempe's ratio ``Σ_{x∈S} Δ(x|L) / (F(L∪S) − F(L))`` for every pair of :func:`ratio_pairs` whose joint
    gain exceeds ``min_gain`` (no ratio otherwise); the minimum is the submodularity ratio γ (≥ 1 when submodular)."""
    _check(values, n, m)
    a, b = ratio_pairs(n, m)
    joint = values[b] - values[a]
    keep = joint > min_gain
    return singleton_gain_sums(values, n, m, a[keep], b[keep]) / joint[keep]


def _check(values: np.ndarray, n: int, m: int) -> None:
    if values.shape != ((m + 1) ** n,):
        raise ReproError(f"expected one value per set ({(m + 1) ** n} for n={n}, m={m}), got shape {values.shape}")


__all__ = [
    "Counted",
    "Triples",
    "additions",
    "count",
    "digits",
    "diminishing_returns",
    "monotonicity",
    "nested_pairs",
    "nested_triples",
    "ratio_pairs",
    "singleton_gain_sums",
    "submodularity_ratios",
]
