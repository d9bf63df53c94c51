"""Tests for NAR's search: the LSTM controller, REINFORCE, the supernet and the ENAS loop."""

from __future__ import annotations

import math

import torch

from repro.cost import count_params
from repro.data import load_dataset
from repro.search.controller import Controller, Reinforce
from repro.search.enas import EnasConfig, enas_search
from repro.spaces import get_space


def _fixed_logits_controller(logits: list[float], num_choices: int) -> Controller:
    """A controller whose every step has the distribution softmax(logits): all weights zero, head bias = logits."""
    controller = Controller(num_choices, len(logits), hidden=4)
    with torch.no_grad():
        for p in controller.parameters():
            p.zero_()
        controller.head.bias.copy_(torch.tensor(logits))
    return controller


def test_log_probability_and_entropy_of_a_sample_are_exact():
    logits = [0.0, 1.0, 2.0]
    controller = _fixed_logits_controller(logits, num_choices=3)
    z = sum(math.exp(v) for v in logits)
    p = [math.exp(v) / z for v in logits]
    sampled = controller.sample(torch.Generator().manual_seed(0))
    assert len(sampled.actions) == 3 and all(0 <= a < 3 for a in sampled.actions)
    assert math.isclose(sampled.log_prob.item(), sum(math.log(p[a]) for a in sampled.actions), rel_tol=1e-5)
    assert math.isclose(sampled.entropy.item(), 3 * -sum(q * math.log(q) for q in p), rel_tol=1e-5)
    assert math.isclose(controller.score((2, 2, 0)).log_prob.item(), 2 * math.log(p[2]) + math.log(p[0]), rel_tol=1e-5)


def test_sampling_is_repeatable_given_a_generator():
    controller = Controller(6, 4)
    draws = [[controller.sample(torch.Generator().manual_seed(s)).actions for s in range(5)] for _ in range(2)]
    assert draws[0] == draws[1]
    assert len(set(draws[0])) > 1


def test_reinforce_raises_the_probability_of_the_rewarded_operator():
    torch.manual_seed(0)
    controller = Controller(num_choices=2, num_ops=4, hidden=8)
    reinforce = Reinforce(controller, lr=0.05, entropy_weight=0.0)
    gen = torch.Generator().manual_seed(0)

    def p_op2_first() -> float:
        return torch.exp(torch.stack([controller.score((2, b)).log_prob for b in range(4)])).sum().item()

    before = p_op2_first()
    for _ in range(40):
        samples = [controller.sample(gen) for _ in range(8)]
        reinforce.update(samples, [1.0 if s.actions[0] == 2 else 0.0 for s in samples])
    assert before < 0.4 and p_op2_first() > 0.8


def test_supernet_with_all_conv3_is_the_plain_backbone():
    space = get_space("nar", backbone="resnet18-8-cifar")
    plain = space.build(space.baseline(), (3, 32, 32), 10, channels=8)
    supernet = space.supernet((3, 32, 32), 10, channels=8)
    # Only the chosen candidates' weights are used: the supernet's conv3 weights alone are the plain net's.
    used = sum(p.numel() for n, p in supernet.named_parameters() if ".ops." not in n or ".ops.0." in n)
    assert used == count_params(plain)
    x = torch.randn(2, 3, 32, 32)
    assert supernet(x, (0,) * 8).shape == plain(x).shape == (2, 10)
    # The plain net's state names are exactly the supernet's conv3 candidates (and the fixed parts).
    loaded = supernet.load_state_dict(plain.state_dict(), strict=False)
    assert not loaded.unexpected_keys and all(".ops.0." not in k for k in loaded.missing_keys)
    plain.eval(), supernet.eval()
    assert torch.allclose(supernet(x, (0,) * 8), plain(x))


def test_enas_search_is_deterministic_and_records_operator_frequencies(tiny_mnist):
    data = load_dataset("mnist", tiny_mnist, val_size=20, train_size=60)
    space = get_space("nar")
    config = EnasConfig(epochs=2, pretrain_epochs=1, batch_size=16, controller_steps=2, derive_samples=3, derive_val=20)
    runs = [enas_search(space, data, config, seed=3, channels=2, normalize=(0.13, 0.31)) for _ in range(2)]
    assert runs[0].best == runs[1].best and runs[0].derived == runs[1].derived
    assert runs[0].best in [v for v, _ in runs[0].derived] and len(runs[0].best) == space.num_choices
    assert runs[0].frequencies.shape == (3, 4)
    assert torch.allclose(torch.tensor(runs[0].frequencies.sum(1)), torch.ones(3, dtype=torch.float64))
