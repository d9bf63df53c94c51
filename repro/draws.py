"""Draws from a numpy Generator that return exactly what its methods return, at a fraction of their cost.

Every stored trajectory is fixed by the sequence of a search's numpy draws, so those draws must not
change; but ``Generator.choice`` and ``Generator.integers`` spend microseconds on argument handling
per call, which on a replayed search (a dict lookup per step) is most of a step. Each function here
reads the Generator's own 32-bit stream (its bit generator's ``next_uint32``, through numpy's public
ctypes interface) and applies the algorithm numpy applies (Lemire's bounded integers; for ``choice``
without replacement Floyd's sampling, then a Fisher-Yates shuffle), so it returns the same values
and leaves the generator in the same state, draw for draw (``tests/test_draws.py`` checks both
against numpy over many seeds). They skip the Generator's lock: a generator they draw from belongs to
one thread (a strategy's, as every search's generator does).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

_TWO_32 = 1 << 32
_LOW_32 = _TWO_32 - 1
_CHOICE_FLOYD_MAX = 10_000
"""numpy's ``choice`` without replacement uses Floyd's algorithm up to this population (and may shuffle a
whole range above it)."""


def _bounded(next_uint32: Callable[[int], int], state: int, n: int) -> int:
    """Uniform on ``0 .. n - 1`` for ``1 <= n <= 2**32``: numpy's ``random_bounded_uint64`` for such a range."""
    if n == 1:  # a range of one value draws nothing
        return 0
    if n == _TWO_32:
        return next_uint32(state)
    # Lemire's multiply-and-reject (numpy's buffered_bounded_lemire_uint32).
    m = next_uint32(state) * n
    if m & _LOW_32 < n:
        threshold = (_TWO_32 - n) % n
        while m & _LOW_32 < threshold:
            m = next_uint32(state) * n
    return m >> 32


def _stream(rng: np.random.Generator) -> tuple[Callable[[int], int], int]:
    c = rng.bit_generator.ctypes
    return c.next_uint32, c.state_address


def below(rng: np.random.Generator, n: int) -> int:
    """``int(rng.integers(n))`` for ``1 <= n <= 2**32``."""
    if not 1 <= n <= _TWO_32:
        return int(rng.integers(n))
    return _bounded(*_stream(rng), n)


def integers_below(rng: np.random.Generator, n: int, size: int) -> list[int]:
    """``rng.integers(n, size=size).tolist()`` for ``1 <= n <= 2**32``."""
    if not 1 <= n <= _TWO_32:
        return rng.integers(n, size=size).tolist()
    next_uint32, state = _stream(rng)
    return [_bounded(next_uint32, state, n) for _ in range(size)]


def choice_indices(rng: np.random.Generator, n: int, size: int, replace: bool = False) -> list[int]:
    """``rng.choice(n, size=size, replace=replace).tolist()``, for ``n >= 1`` and (without replacement)
    ``size <= n``; numpy is asked itself beyond the range where it uses the algorithms copied here."""
    if replace:
        return integers_below(rng, n, size)
    if not 0 <= size <= n <= _CHOICE_FLOYD_MAX:
        return rng.choice(n, size=size, replace=False).tolist()
    next_uint32, state = _stream(rng)
    # Floyd's algorithm: the pick for j is uniform on 0..j, or j itself when that value is already picked.
    picked: list[int] = []
    seen: set[int] = set()
    for j in range(n - size, n):
        value = _bounded(next_uint32, state, j + 1)
        if value in seen:
            value = j
        seen.add(value)
        picked.append(value)
    # numpy then shuffles the picks: Fisher-Yates from the last position down.
    for i in range(size - 1, 0, -1):
        k = _bounded(next_uint32, state, i + 1)
        picked[i], picked[k] = picked[k], picked[i]
    return picked
