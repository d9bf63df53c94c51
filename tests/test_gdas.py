"""GDAS: the Gumbel sampler's statistics, straight-through gradients, one operation per edge, the search loop."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from repro.data import load_dataset
from repro.errors import ReproError
from repro.search.gdas import Architecture, GdasConfig, gdas_search, gumbel_softmax_hard, search_halves
from repro.spaces import get_space


def test_gumbel_max_sample_frequencies_match_softmax():
    logits = torch.tensor([[2.0, 0.5, -1.0, 0.0, 1.0]])
    gen = torch.Generator().manual_seed(0)
    n = 20_000
    counts = np.zeros(5)
    for _ in range(n // 100):
        _, index = gumbel_softmax_hard(logits.expand(100, 5), 1.0, gen)
        counts += np.bincount(index, minlength=5)
    expected = torch.softmax(logits[0], 0).numpy()
    # Binomial standard error is at most 0.0036 at n = 20,000: 4 of them.
    assert np.abs(counts / n - expected).max() < 0.015


def test_the_hard_sample_is_one_hot_forward_and_softmax_backward():
    logits = torch.randn(3, 4, requires_grad=True)
    weights, index = gumbel_softmax_hard(logits, 2.0, torch.Generator().manual_seed(1))
    assert torch.equal(weights.detach(), torch.nn.functional.one_hot(torch.tensor(index), 4).float())
    (weights * torch.arange(4.0)).sum().backward()
    assert logits.grad is not None and bool((logits.grad != 0).all())


@pytest.mark.parametrize("name", ["nb201", "darts"])
def test_gradients_reach_every_logit_and_only_the_sampled_op_runs(name):
    space = get_space(name)
    net = space.supernet((1, 16, 16), 10, 8, 1)
    calls: dict[int, int] = {}
    edges = [(cell, e, k, op) for cell in net.modules() if hasattr(cell, "edges") and hasattr(cell, "ops")
             for e, ops in enumerate(cell.ops) for k, op in enumerate(ops)]  # fmt: skip
    for _, _, _, op in edges:
        op.register_forward_hook(lambda m, i, o: calls.__setitem__(id(m), calls.get(id(m), 0) + 1))
    gen = torch.Generator().manual_seed(0)
    arch = Architecture({k: (len(space.candidates(k)), len(space.candidates(k)[0])) for k in space.cell_types}, gen)
    sample = arch.sample(5.0, gen)
    net(torch.randn(4, 1, 16, 16), sample).logsumexp(1).sum().backward()
    kinds = {id(c.body): kind for kind, c in zip(net.kinds, net.cells)} if name == "darts" else {}
    for cell, e, k, op in edges:
        kind = kinds.get(id(cell), "cell")
        ran = calls.get(id(op), 0)
        assert ran == (1 if sample[kind].index[e] == k else 0), (kind, e, k)
    for a in arch.logits.values():
        assert a.grad is not None and bool((a.grad != 0).all()), "every logit gets a straight-through gradient"


def test_the_mixed_mode_runs_every_candidate():
    space = get_space("nb201")
    net = space.supernet((1, 8, 8), 10, 4, 1)
    ran = set()
    for module in net.modules():
        if hasattr(module, "edges") and hasattr(module, "ops"):
            for ops in module.ops:
                for op in ops:
                    op.register_forward_hook(lambda m, i, o: ran.add(id(m)))
                    ran.discard(id(op))
    arch = Architecture({"cell": (6, 5)}, torch.Generator().manual_seed(0))
    net(torch.randn(2, 1, 8, 8), arch.mixed())
    total = sum(len(ops) for m in net.modules() if hasattr(m, "edges") and hasattr(m, "ops") for ops in m.ops)
    assert len(ran) == total


def test_tau_schedule_and_bad_configs():
    config = GdasConfig(epochs=4, tau_max=10.0, tau_min=1.0)
    assert [config.tau(e) for e in range(4)] == [10.0, 7.0, 4.0, 1.0]
    with pytest.raises(ReproError, match="tau_min"):
        GdasConfig(tau_min=0.0)
    with pytest.raises(ReproError, match="mode"):
        GdasConfig(mode="soft")


def test_search_halves_are_disjoint_and_equal(tiny_mnist):
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60)
    d_t, d_v = search_halves(data.train, 40, seed=3)
    assert len(d_t) == len(d_v) == 20
    with pytest.raises(ReproError, match="lower search_images"):
        search_halves(data.train, 61, seed=3)


@pytest.mark.parametrize("name", ["nb201", "darts"])
def test_search_is_repeatable_and_logs_every_epoch(tiny_mnist, name):
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60)
    config = GdasConfig(epochs=2, channels=8, layers=1, search_images=32, batch_size=16)
    space = get_space(name)
    a = gdas_search(space, data, config, seed=0, normalize=(0.13, 0.31))
    b = gdas_search(space, data, config, seed=0, normalize=(0.13, 0.31))
    assert a.logits == b.logits and a.derived == b.derived and len(a.derived) == 2
    assert a.tau == [10.0, 1.0]
    space.from_json(a.derived[-1])  # a valid genome of the space
    first = np.asarray(a.logits[0][space.cell_types[0]])
    assert first.shape == (len(space.candidates(space.cell_types[0])), len(space.candidates(space.cell_types[0])[0]))
