"""An ENAS-style LSTM controller over operator vectors, trained by REINFORCE (Pham et al. 2018, as NAR uses it).

At step ``c`` the LSTM reads the embedding of the operator chosen at step ``c - 1`` (a learned start
token at step 0) and a linear head gives the logits over the ``num_ops`` operators of choice ``c``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class Sampled:
    """An operator vector (indices) with its log-probability and the summed per-step entropy (both with grad)."""

    actions: tuple[int, ...]
    log_prob: torch.Tensor
    entropy: torch.Tensor


class Controller(nn.Module):
    """Samples ``num_choices`` operator indices in ``range(num_ops)``, one LSTM step each."""

    def __init__(self, num_choices: int, num_ops: int, hidden: int = 32) -> None:
        super().__init__()
        self.num_choices = num_choices
        self.num_ops = num_ops
        self.hidden = hidden
        self.embed = nn.Embedding(num_ops + 1, hidden)  # the last row is the start token
        self.lstm = nn.LSTMCell(hidden, hidden)
        self.head = nn.Linear(hidden, num_ops)

    def _run(self, actions: Sequence[int] | None, generator: torch.Generator | None) -> Sampled:
        state = (torch.zeros(1, self.hidden), torch.zeros(1, self.hidden))
        token = torch.tensor([self.num_ops])
        chosen: list[int] = []
        log_prob = torch.zeros(())
        entropy = torch.zeros(())
        for c in range(self.num_choices):
            state = self.lstm(self.embed(token), state)
            dist = torch.distributions.Categorical(logits=self.head(state[0])[0])
            if actions is None:
                action = int(torch.multinomial(dist.probs.detach(), 1, generator=generator))
            else:
                action = int(actions[c])
            log_prob = log_prob + dist.log_prob(torch.tensor(action))
            entropy = entropy + dist.entropy()
            chosen.append(action)
            token = torch.tensor([action])
        return Sampled(tuple(chosen), log_prob, entropy)

    def sample(self, generator: torch.Generator | None = None) -> Sampled:
        """Draw one operator vector (``generator`` makes the draw reproducible)."""
        return self._run(None, generator)

    def score(self, actions: Sequence[int]) -> Sampled:
        """The log-probability and entropy of a given operator vector."""
        return self._run(actions, None)


class Reinforce:
    """REINFORCE with a moving-average reward baseline and an entropy bonus, Adam on the controller.

    loss = -(reward - baseline) * log p(a) - entropy_weight * H; the baseline starts at the first
    reward and moves by ``baseline = decay * baseline + (1 - decay) * reward`` after each update.
    """

    def __init__(
        self, controller: Controller, lr: float = 3.5e-3, baseline_decay: float = 0.95, entropy_weight: float = 1e-3
    ) -> None:
        self.controller = controller
        self.optimizer = torch.optim.Adam(controller.parameters(), lr=lr)
        self.baseline_decay = baseline_decay
        self.entropy_weight = entropy_weight
        self.baseline: float | None = None

    def update(self, samples: Sequence[Sampled], rewards: Sequence[float]) -> float:
        """One gradient step on a batch of sampled vectors and their rewards; returns the loss."""
        mean_reward = sum(rewards) / len(rewards)
        baseline = mean_reward if self.baseline is None else self.baseline
        losses = [-(r - baseline) * s.log_prob - self.entropy_weight * s.entropy for s, r in zip(samples, rewards)]
        loss = torch.stack(losses).mean()
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        self.optimizer.step()
        self.baseline = self.baseline_decay * baseline + (1 - self.baseline_decay) * mean_reward
        return loss.item()
