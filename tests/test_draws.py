"""repro.draws returns numpy's own draws: same values, same generator state after, over many seeds."""

from __future__ import annotations

import numpy as np
import pytest

from repro.draws import below, choice_indices, integers_below


def _twins(seed: int, bit_generator: type = np.random.PCG64) -> tuple[np.random.Generator, np.random.Generator]:
    return np.random.Generator(bit_generator(seed)), np.random.Generator(bit_generator(seed))


def _same_state(a: np.random.Generator, b: np.random.Generator) -> bool:
    """Equal states, judged by the next draws too (some bit generators keep arrays in their state dict)."""
    if isinstance(a.bit_generator, np.random.PCG64) and a.bit_generator.state != b.bit_generator.state:
        return False
    return a.integers(2**63, size=4).tolist() == b.integers(2**63, size=4).tolist()


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.MT19937, np.random.Philox])
def test_draws_match_numpy_draw_for_draw(bit_generator: type) -> None:
    """Random populations and sample sizes, mixed with numpy's own draws in between (which share the
    generator's 32-bit buffer with ours), so an extra or missing 32-bit draw anywhere shows."""
    for seed in range(150 if bit_generator is np.random.PCG64 else 30):
        numpy_rng, ours = _twins(seed, bit_generator)
        for _ in range(25):
            n = int(numpy_rng.integers(1, 60))
            assert below(ours, 59) + 1 == n
            k = int(numpy_rng.integers(0, n + 1))
            assert below(ours, n + 1) == k
            assert numpy_rng.choice(n, size=k, replace=False).tolist() == choice_indices(ours, n, k)
            if k:
                assert numpy_rng.choice(n, size=k, replace=True).tolist() == choice_indices(ours, n, k, replace=True)
            assert numpy_rng.integers(n, size=k).tolist() == integers_below(ours, n, k)
            for wide in (1, 2**31 + 7, 2**32 - 1, 2**32):
                assert int(numpy_rng.integers(wide)) == below(ours, wide)
            assert numpy_rng.random() == ours.random()  # a 64-bit draw between 32-bit ones
        assert _same_state(numpy_rng, ours)


def test_outside_the_copied_algorithms_numpy_is_asked() -> None:
    """Ranges beyond 32 bits and populations where numpy's choice switches algorithm give numpy's answer."""
    numpy_rng, ours = _twins(7)
    assert int(numpy_rng.integers(2**40)) == below(ours, 2**40)
    assert numpy_rng.integers(2**40, size=3).tolist() == integers_below(ours, 2**40, 3)
    assert numpy_rng.choice(20_000, size=500, replace=False).tolist() == choice_indices(ours, 20_000, 500)
    assert _same_state(numpy_rng, ours)
