"""Every search algorithm, one house: the ask/tell loop and its strategies, and the searches that are not ask/tell.

- :mod:`~repro.search.loop`: ask a strategy, evaluate through the cache, tell, log (``run_search``);
- :mod:`~repro.search.strategies`: ask/tell strategies by name (regularized evolution, random search,
  local search, (1+1)-ES); they never train, so they run unchanged on the cache, a GPU or a cluster;
- :mod:`~repro.search.gdas`: GDAS's differentiable search over a weight-sharing cell supernet;
- :mod:`~repro.search.enas` with :mod:`~repro.search.controller`: ENAS's controller-driven search (NAR);
- :mod:`~repro.search.greedy`: cost-effective greedy, lazy CEG and RCAS over any set function;
- :mod:`~repro.search.budgeted`: random search under a weight-sharing search's compute budget.
"""
