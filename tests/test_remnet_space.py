"""Tests for the REMNet search space: genome operators, canonical keys, building, parsing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from repro.cost import count_params
from repro.errors import ReproError
from repro.spaces import InvalidArchitecture, get_space
from repro.spaces.remnet import RemnetSpace
from repro.spaces.remnet import genome as gen
from repro.spaces.remnet.genome import INPUT, LAYERS, OUTPUT, Connection, Genome

SHAPE = (1, 28, 28)

# The paper's REMNet-128 (Fig. 4): IN->CONV_2.N->CONV_2.N->CONV_3.N->CONV_5.N->POOL_5.A->{CONV_3.H, CONV_3.H}->OUT
REMNET_LAYERS = [
    [0, "CONV_2.N"],
    [1, "CONV_2.N"],
    [2, "CONV_3.N"],
    [3, "CONV_5.N"],
    [4, "POOL_5.A"],
    [5, "CONV_3.H"],
    [6, "CONV_3.H"],
]
REMNET_CONNECTIONS = [
    [0, INPUT, 0, True],
    [1, 0, 1, True],
    [2, 1, 2, True],
    [3, 2, 3, True],
    [4, 3, 4, True],
    [5, 4, 5, True],
    [6, 4, 6, True],
    [7, 5, OUTPUT, True],
    [8, 6, OUTPUT, True],
]
REMNET_JSON = json.dumps({"layers": REMNET_LAYERS, "connections": REMNET_CONNECTIONS})
REMNET_DESCRIBE = (
    "1:CONV_2.N<-in 2:CONV_2.N<-1 3:CONV_3.N<-2 4:CONV_5.N<-3 5:POOL_5.A<-4 6:CONV_3.H<-5 7:CONV_3.H<-5 out<-6,7"
)


@pytest.fixture
def space() -> RemnetSpace:
    return RemnetSpace()


# --- helpers -----------------------------------------------------------------------------------


def all_nodes(genome: Genome) -> list[int]:
    return [INPUT, OUTPUT] + [n for n, _ in genome.layers]


def topo_order(genome: Genome) -> list[int] | None:
    """An independent acyclicity check over *all* connection genes; None if there is a cycle."""
    nodes = all_nodes(genome)
    indeg = {n: 0 for n in nodes}
    succ: dict[int, list[int]] = {n: [] for n in nodes}
    for c in genome.connections:
        succ[c.source].append(c.target)
        indeg[c.target] += 1
    ready = [n for n in nodes if indeg[n] == 0]
    order = []
    while ready:
        v = ready.pop()
        order.append(v)
        for w in succ[v]:
            indeg[w] -= 1
            if indeg[w] == 0:
                ready.append(w)
    return order if len(order) == len(nodes) else None


def relabel(genome: Genome, rng: np.random.Generator, offset: int = 100) -> Genome:
    """The same genome with new hidden node ids, new innovation numbers and shuffled gene order."""
    ids = [n for n, _ in genome.layers]
    perm = rng.permutation(len(ids))
    new = {n: offset + 7 * int(perm[i]) for i, n in enumerate(ids)}
    new[INPUT], new[OUTPUT] = INPUT, OUTPUT
    layers = [(new[n], layer) for n, layer in genome.layers]
    layers = [layers[int(i)] for i in rng.permutation(len(layers))]
    # small, gappy, shuffled innovation numbers (so "max + 1" and "count" differ)
    innovations = rng.choice(3 * len(genome.connections) + 5, size=len(genome.connections), replace=False)
    connections = [
        Connection(int(innovations[i]), new[c.source], new[c.target], c.enabled)
        for i, c in enumerate(genome.connections)
    ]
    connections = [connections[int(i)] for i in rng.permutation(len(connections))]
    out = Genome(layers=tuple(layers), connections=tuple(connections))
    gen.check(out)
    return out


def add_dead_parts(genome: Genome, rng: np.random.Generator) -> Genome:
    """Add genes that change nothing the network computes."""
    live, _ = genome.active()
    assert live, "needs a genome with a path"
    order = topo_order(genome)
    assert order is not None
    layers = list(genome.layers)
    connections = list(genome.connections)
    next_node = max((n for n, _ in layers), default=-1) + 1
    next_innovation = max(c.innovation for c in connections) + 1

    def new_node() -> int:
        nonlocal next_node
        layers.append((next_node, LAYERS[int(rng.integers(len(LAYERS)))]))
        next_node += 1
        return next_node - 1

    def connect(a: int, b: int, enabled: bool) -> None:
        nonlocal next_innovation
        connections.append(Connection(next_innovation, a, b, enabled))
        next_innovation += 1

    # disabled connections between existing nodes, consistent with a topological order (check() rejects
    # cycles among disabled genes too)
    for _ in range(3):
        i, j = sorted(rng.choice(len(order), size=2, replace=False))
        a, b = order[int(i)], order[int(j)]
        if a != OUTPUT and b != INPUT:
            connect(a, b, False)
    connect(INPUT, OUTPUT, False)  # a disabled skip
    new_node()  # a node with no connection at all
    sources = [n for n in live if n != OUTPUT]
    targets = [n for n in live if n != INPUT]
    # reachable from the input but never reaching the output: live -> d1 -> d2, and d1 -> d3 (disabled d3 -> OUT)
    d1, d2, d3 = new_node(), new_node(), new_node()
    connect(sources[int(rng.integers(len(sources)))], d1, True)
    connect(d1, d2, True)
    connect(d1, d3, True)
    connect(d3, OUTPUT, False)
    # reaching the output but not from the input: d5 -> d4 -> live; IN -> d5 disabled
    d4, d5 = new_node(), new_node()
    connect(d4, targets[int(rng.integers(len(targets)))], True)
    connect(d5, d4, True)
    connect(d4, OUTPUT, True)
    connect(INPUT, d5, False)
    out = Genome(layers=tuple(layers), connections=tuple(connections))
    gen.check(out)
    return out


def random_valid_genomes(space: RemnetSpace, seed: int, count: int) -> list[Genome]:
    """Sampled and mutated genomes that have an input -> output path."""
    rng = np.random.default_rng(seed)
    out: list[Genome] = []
    genome = space.sample(rng)
    while len(out) < count:
        if genome.active()[0]:
            out.append(genome)
        genome = space.mutate(genome, rng)
        if rng.random() < 0.2:
            genome = space.sample(rng)
    return out


def remnet(space: RemnetSpace) -> Genome:
    return space.from_json(REMNET_JSON)


# --- operators ---------------------------------------------------------------------------------


def test_sample_has_four_layers_nine_connections_and_disables_the_first(space: RemnetSpace) -> None:
    for seed in range(30):
        genome = space.sample(np.random.default_rng(seed))
        assert len(genome.layers) == 4
        assert len({n for n, _ in genome.layers}) == 4
        assert all(layer in LAYERS for _, layer in genome.layers)
        assert len(genome.connections) == 1 + 2 * 4
        first = genome.connections[0]
        assert (first.innovation, first.source, first.target, first.enabled) == (0, INPUT, OUTPUT, False)
        # each node addition disables the gene it splits (which may already have been disabled)
        assert 1 <= sum(not c.enabled for c in genome.connections) <= 4
        assert [c.innovation for c in genome.connections] == list(range(9))
        assert genome.active()[0], "splitting connections never removes the last path"
        gen.check(genome)


def test_initial_nodes_option_controls_the_sample_size() -> None:
    genome = RemnetSpace(initial_nodes=2).sample(np.random.default_rng(0))
    assert len(genome.layers) == 2 and len(genome.connections) == 5
    assert RemnetSpace(initial_nodes=0).sample(np.random.default_rng(0)) == gen.minimal()


def test_mutations_keep_genomes_valid_and_parents_untouched(space: RemnetSpace) -> None:
    lineage: list[tuple[Genome, str]] = []
    for seed in range(12):
        rng = np.random.default_rng(1000 + seed)
        genome = space.sample(rng)
        if seed % 2:  # start from non-contiguous node ids and innovation numbers, as a parsed genome may have
            genome = relabel(genome, rng, offset=seed // 2)
        lineage.append((genome, space.to_json(genome)))
        for _ in range(200):
            parent, before = genome, space.to_json(genome)
            child = space.mutate(parent, rng)
            assert space.to_json(parent) == before, "mutate changed its parent"
            gen.check(child)
            assert topo_order(child) is not None, "cycle in the connection genes"
            ids = [n for n, _ in child.layers]
            assert len(set(ids)) == len(ids) and all(n >= 0 for n in ids)
            assert all(layer in LAYERS for _, layer in child.layers)
            known = set(all_nodes(child))
            assert all(c.source in known and c.target in known for c in child.connections)
            innovations = [c.innovation for c in child.connections]
            assert len(set(innovations)) == len(innovations)
            parent_innovations = {c.innovation for c in parent.connections}
            fresh = [i for i in innovations if i not in parent_innovations]
            if fresh:  # a node addition: two new genes after every old one, in increasing order
                assert len(fresh) == 2
                assert fresh == sorted(fresh) and fresh[0] > max(parent_innovations)
                assert len(child.layers) == len(parent.layers) + 1
            else:
                assert set(innovations) == parent_innovations
            # the parent's genes survive in the child (possibly switched or retyped), in the same order
            assert [(c.innovation, c.source, c.target) for c in child.connections[: len(parent.connections)]] == [
                (c.innovation, c.source, c.target) for c in parent.connections
            ]
            assert [n for n, _ in child.layers[: len(parent.layers)]] == [n for n, _ in parent.layers]
            lineage.append((child, space.to_json(child)))
            genome = child
    # nothing along any lineage was modified afterwards
    assert all(space.to_json(g) == text for g, text in lineage)
    # and every one round-trips through JSON
    for g, text in lineage[::25]:
        assert space.from_json(text) == g


def test_genomes_are_frozen(space: RemnetSpace) -> None:
    genome = space.sample(np.random.default_rng(0))
    with pytest.raises(AttributeError):
        genome.layers = ()  # type: ignore[misc]
    with pytest.raises(AttributeError):
        genome.connections[0].enabled = True  # type: ignore[misc]


def classify(parent: Genome, child: Genome) -> str:
    if child == parent:
        return "identity"
    if len(child.layers) == len(parent.layers) + 1:
        return "add"
    if child.layers != parent.layers:
        assert child.connections == parent.connections
        return "layer"
    assert child.layers == parent.layers and child.connections != parent.connections
    return "connection"


def test_mutation_probabilities(space: RemnetSpace) -> None:
    rng = np.random.default_rng(2024)
    parents = [space.sample(np.random.default_rng(s)) for s in range(5)]
    counts = {"identity": 0, "add": 0, "layer": 0, "connection": 0}
    n = 20_000
    for i in range(n):
        parent = parents[i % len(parents)]
        counts[classify(parent, space.mutate(parent, rng))] += 1
    assert counts["add"] / n == pytest.approx(0.25, abs=0.015)
    assert counts["identity"] / n == pytest.approx(0.05, abs=0.008)
    rest = counts["layer"] + counts["connection"]
    assert rest / n == pytest.approx(0.70, abs=0.015)
    assert counts["layer"] / rest == pytest.approx(0.5, abs=0.025)


def test_mutation_without_layers_only_flips_connections(space: RemnetSpace) -> None:
    rng = np.random.default_rng(5)
    parent = gen.minimal()
    counts = {"identity": 0, "add": 0, "layer": 0, "connection": 0}
    n = 5000
    for _ in range(n):
        counts[classify(parent, space.mutate(parent, rng))] += 1
    assert counts["layer"] == 0
    assert counts["connection"] / n == pytest.approx(0.70, abs=0.025)


def test_custom_mutation_probabilities_are_used() -> None:
    space = RemnetSpace(p_add=1.0, p_identity=0.0)
    rng = np.random.default_rng(1)
    genome = space.sample(rng)
    for _ in range(20):
        child = space.mutate(genome, rng)
        assert len(child.layers) == len(genome.layers) + 1
        genome = child
    with pytest.raises(ReproError):
        RemnetSpace(p_add=0.8, p_identity=0.3)


# --- canonical keys ----------------------------------------------------------------------------


def test_canonical_key_ignores_ids_gene_order_innovations_and_dead_parts(space: RemnetSpace) -> None:
    rng = np.random.default_rng(77)
    genomes = random_valid_genomes(space, seed=3, count=60) + [remnet(space)]
    for genome in genomes:
        key = space.canonical(genome).key
        relabelled = relabel(genome, rng, offset=int(rng.integers(0, 50)))
        assert space.canonical(relabelled).key == key
        padded = add_dead_parts(relabelled, rng)
        assert len(padded.layers) >= len(genome.layers) + 6
        assert space.canonical(padded) == space.canonical(genome)
        assert space.describe(padded) == space.describe(genome)
        assert space.canonical(add_dead_parts(genome, rng)).key == key


def test_dead_parts_do_not_change_the_built_network(space: RemnetSpace) -> None:
    rng = np.random.default_rng(8)
    genome = remnet(space)
    padded = add_dead_parts(relabel(genome, rng), rng)
    a = space.build(genome, SHAPE, 10, channels=8)
    b = space.build(padded, SHAPE, 10, channels=8)
    assert count_params(a) == count_params(b)


def test_canonical_key_changes_with_the_network(space: RemnetSpace) -> None:
    rng = np.random.default_rng(13)
    for genome in random_valid_genomes(space, seed=4, count=40) + [remnet(space)]:
        key = space.canonical(genome).key
        live, edges = genome.active()
        hidden_live = [n for n in live if n >= 0]
        # one live layer changes type
        if hidden_live:
            node = hidden_live[int(rng.integers(len(hidden_live)))]
            old = genome.layer_of[node]
            new_layer = [x for x in LAYERS if x != old][int(rng.integers(len(LAYERS) - 1))]
            changed = Genome(
                layers=tuple((n, new_layer if n == node else layer) for n, layer in genome.layers),
                connections=genome.connections,
            )
            assert space.canonical(changed).key != key
        # a new parallel path IN -> new node -> OUT
        node = max((n for n, _ in genome.layers), default=-1) + 1
        innovation = max(c.innovation for c in genome.connections) + 1
        extended = Genome(
            layers=genome.layers + ((node, "CONV_3.N"),),
            connections=genome.connections
            + (Connection(innovation, INPUT, node, True), Connection(innovation + 1, node, OUTPUT, True)),
        )
        gen.check(extended)
        assert space.canonical(extended).key != key
        # an extra enabled edge between two live nodes that are not yet joined (forward in a topological order)
        order = [v for v in topo_order(genome) or [] if v in set(live)]
        pairs = [(a, b) for i, a in enumerate(order) for b in order[i + 1 :] if a != OUTPUT and b != INPUT]
        missing = [p for p in pairs if p not in set(edges)]
        if missing:
            a, b = missing[int(rng.integers(len(missing)))]
            more = Genome(layers=genome.layers, connections=genome.connections + (Connection(innovation, a, b, True),))
            gen.check(more)
            assert space.canonical(more).key != key


def test_flipping_connections_changes_the_key(space: RemnetSpace) -> None:
    genome = remnet(space)
    key = space.canonical(genome).key
    # every gene of REMNet-128 is on a path; switching one off removes a node or the whole path
    for index in range(len(genome.connections)):
        connections = list(genome.connections)
        c = connections[index]
        connections[index] = Connection(c.innovation, c.source, c.target, False)
        assert space.canonical(Genome(genome.layers, tuple(connections))).key != key
    # in a sample the first gene (IN -> OUT) is disabled: switching it on adds a skip connection
    sample = space.sample(np.random.default_rng(0))
    on = Genome(sample.layers, (Connection(0, INPUT, OUTPUT, True),) + sample.connections[1:])
    assert space.canonical(on).key != space.canonical(sample).key


def test_genomes_without_a_path_share_one_key_and_do_not_build(space: RemnetSpace) -> None:
    chain = gen.from_json(
        json.dumps(
            {
                "layers": [[0, "CONV_3.N"], [1, "POOL_2.M"]],
                "connections": [[0, -2, 0, True], [1, 0, 1, True], [2, 1, -1, True]],
            }
        )
    )
    broken = [
        Genome(layers=(), connections=(Connection(0, INPUT, OUTPUT, False),)),
        Genome(chain.layers, (chain.connections[0], Connection(1, 0, 1, False), chain.connections[2])),
        Genome(chain.layers, (Connection(0, INPUT, 0, False),) + chain.connections[1:]),
        Genome(chain.layers, chain.connections[:2] + (Connection(2, 1, OUTPUT, False),)),
        Genome(((0, "CONV_5.H"),), (Connection(3, INPUT, 0, True),)),  # the input reaches a node, never the output
        Genome(((0, "CONV_5.H"),), (Connection(3, 0, OUTPUT, True),)),  # the output is reached, not from the input
    ]
    keys = {space.canonical(g).key for g in broken}
    assert len(keys) == 1
    assert space.canonical(chain).key not in keys
    assert space.canonical(gen.minimal()).key not in keys
    for g in broken:
        gen.check(g)
        assert space.graph(g) is None
        assert "no enabled path" in space.describe(g)
        with pytest.raises(InvalidArchitecture, match="no enabled path") as info:
            space.build(g, SHAPE, 10, channels=4)
        assert "no enabled path" in info.value.reason


# --- REMNet-128 --------------------------------------------------------------------------------


def test_remnet_128_has_791338_parameters(space: RemnetSpace) -> None:
    genome = remnet(space)
    canonical = space.canonical(genome)
    from_canonical = space.from_json(canonical.text)
    assert space.canonical(from_canonical) == canonical
    for g in (genome, from_canonical):
        model = space.build(g, SHAPE, 10, channels=128)
        assert count_params(model) == 791_338
    model.eval()
    with torch.no_grad():
        out = model(torch.randn(2, *SHAPE))
    assert out.shape == (2, 10)
    assert torch.isfinite(out).all()


def test_remnet_128_describe(space: RemnetSpace) -> None:
    genome = remnet(space)
    assert space.describe(genome) == REMNET_DESCRIBE
    rng = np.random.default_rng(2)
    assert space.describe(add_dead_parts(relabel(genome, rng), rng)) == REMNET_DESCRIBE
    assert space.describe(space.from_json(space.canonical(genome).text)) == REMNET_DESCRIBE


def test_describe_small_known_answers(space: RemnetSpace) -> None:
    assert space.describe(gen.minimal()) == "out<-in"
    g = gen.from_json(
        json.dumps(
            {
                "layers": [[5, "POOL_2.M"], [3, "CONV_3.N"]],
                "connections": [[0, -2, 3, True], [1, 3, 5, True], [2, 5, -1, True], [3, -2, -1, True]],
            }
        )
    )
    assert space.describe(g) == "1:CONV_3.N<-in 2:POOL_2.M<-1 out<-in,2"


def test_space_is_registered() -> None:
    space = get_space("remnet", p_add=0.3)
    assert isinstance(space, RemnetSpace)
    assert space.config() == {"p_add": 0.3, "p_identity": 0.05, "initial_nodes": 4}


# --- building ----------------------------------------------------------------------------------


def test_pool_after_shrinking_layers_is_an_invalid_architecture(space: RemnetSpace) -> None:
    # 28 -POOL_3.M-> 9 -CONV_5.N-> 5 -CONV_2.N-> 4 -POOL_5.A-> needs 5x5
    g = gen.from_json(
        json.dumps(
            {
                "layers": [[0, "POOL_3.M"], [1, "CONV_5.N"], [2, "CONV_2.N"], [3, "POOL_5.A"]],
                "connections": [[0, -2, 0, True], [1, 0, 1, True], [2, 1, 2, True], [3, 2, 3, True], [4, 3, -1, True]],
            }
        )
    )
    with pytest.raises(InvalidArchitecture) as info:
        space.build(g, SHAPE, 10, channels=4)
    reason = info.value.reason
    assert "POOL_5.A" in reason and "5x5" in reason and "4x4" in reason, reason
    # one size step earlier it fits: 28 -> 9 -> 5 -> POOL_5.A -> 1x1
    ok = Genome(
        g.layers[:2] + ((3, "POOL_5.A"),),
        (g.connections[0], g.connections[1], Connection(5, 1, 3, True), g.connections[4]),
    )
    gen.check(ok)
    space.build(ok, SHAPE, 10, channels=64)


def test_too_few_features_for_the_head_is_an_invalid_architecture(space: RemnetSpace) -> None:
    # 28 -CONV_2.H-> 2x27x27 -POOL_5.M-> 2x5x5 -POOL_5.M-> 2x1x1: 2 features, the head needs 8
    g = gen.from_json(
        json.dumps(
            {
                "layers": [[0, "CONV_2.H"], [1, "POOL_5.M"], [2, "POOL_5.M"]],
                "connections": [[0, -2, 0, True], [1, 0, 1, True], [2, 1, 2, True], [3, 2, -1, True]],
            }
        )
    )
    with pytest.raises(InvalidArchitecture, match="features"):
        space.build(g, SHAPE, 10, channels=4)


def test_random_genomes_build_and_run_or_are_invalid(space: RemnetSpace) -> None:
    torch.manual_seed(0)
    genomes = random_valid_genomes(space, seed=11, count=200)
    built = invalid = 0
    x = torch.randn(2, *SHAPE)
    for g in genomes:
        try:
            model = space.build(g, SHAPE, 10, channels=4)
        except InvalidArchitecture as exc:
            assert isinstance(exc.reason, str) and exc.reason
            invalid += 1
            continue
        model.eval()
        with torch.no_grad():
            out = model(x)
        assert out.shape == (2, 10)
        assert torch.isfinite(out).all()
        built += 1
    assert built >= 100 and invalid >= 1, (built, invalid)


def test_unknown_build_option_is_rejected(space: RemnetSpace) -> None:
    with pytest.raises(ReproError, match="channels"):
        space.build(remnet(space), SHAPE, 10, width=3)


def test_isomorphic_genomes_build_identical_networks_under_one_seed(space: RemnetSpace) -> None:
    rng = np.random.default_rng(21)
    genome = remnet(space)
    cases = [(genome, add_dead_parts(relabel(genome, rng), rng))]
    cases += [(g, relabel(g, rng)) for g in random_valid_genomes(space, seed=12, count=15)]
    x = torch.randn(2, *SHAPE)
    compared = 0
    for a, b in cases:
        try:
            torch.manual_seed(1234)
            net_a = space.build(a, SHAPE, 10, channels=8)
        except InvalidArchitecture:
            with pytest.raises(InvalidArchitecture):
                space.build(b, SHAPE, 10, channels=8)
            continue
        torch.manual_seed(1234)
        net_b = space.build(b, SHAPE, 10, channels=8)
        sa, sb = net_a.state_dict(), net_b.state_dict()
        assert list(sa) == list(sb)
        for name in sa:
            assert sa[name].shape == sb[name].shape and torch.equal(sa[name], sb[name]), name
        net_a.eval(), net_b.eval()
        with torch.no_grad():
            assert torch.equal(net_a(x), net_b(x))
        compared += 1
    assert compared >= 8
    # the seed matters, so equal weights above are not an accident of initialisation
    torch.manual_seed(1)
    w1 = space.build(genome, SHAPE, 10, channels=8).state_dict()
    torch.manual_seed(2)
    w2 = space.build(genome, SHAPE, 10, channels=8).state_dict()
    assert not all(torch.equal(w1[k], w2[k]) for k in w1)


# --- parsing -----------------------------------------------------------------------------------


def test_json_round_trip(space: RemnetSpace) -> None:
    for g in random_valid_genomes(space, seed=5, count=20):
        text = space.to_json(g)
        assert space.from_json(text) == g
        assert json.loads(text).keys() == {"layers", "connections"}
    assert json.loads(space.to_json(remnet(space))) == {"layers": REMNET_LAYERS, "connections": REMNET_CONNECTIONS}


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ('{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true]', "not a REMNet genome"),  # truncated
        ("not json at all", "not a REMNet genome"),
        ("[1, 2, 3]", "not a REMNet genome"),
        ('{"layers": []}', "not a REMNet genome"),
        ('{"layers": [[0]], "connections": []}', "not a REMNet genome"),
        ('{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0]]}', "not a REMNet genome"),
        (
            '{"layers": [[0, "CONV_4.N"]], "connections": [[0, -2, 0, true], [1, 0, -1, true]]}',
            "unknown layer 'CONV_4.N'",
        ),
        ('{"layers": [[0, "conv_3.n"]], "connections": [[0, -2, 0, true], [1, 0, -1, true]]}', "unknown layer"),
        (
            '{"layers": [[0, "CONV_3.N"], [1, "POOL_2.M"]], "connections": '
            "[[0, -2, 0, true], [1, 0, 1, true], [2, 1, 0, false], [3, 1, -1, true]]}",
            "cycle",
        ),
        (  # a self-loop
            '{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true], [1, 0, 0, true], [2, 0, -1, true]]}',
            "cycle",
        ),
        (  # node 5 does not exist
            '{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true], [1, 0, 5, true]]}',
            r"connection 1 \(0 -> 5\)",
        ),
        ('{"layers": [[0, "CONV_3.N"]], "connections": [[0, -2, 0, true], [1, -1, 0, true]]}', "connection 1"),
        ('{"layers": [[0, "CONV_3.N"]], "connections": [[0, 0, -2, true]]}', "connection 0"),
        ('{"layers": [[0, "CONV_3.N"], [0, "POOL_2.M"]], "connections": []}', "distinct"),
        ('{"layers": [[-3, "CONV_3.N"]], "connections": []}', "distinct and >= 0"),
        ('{"layers": [], "connections": [[0, -2, -1, true], [0, -2, -1, false]]}', "innovation"),
        ('{"nodes": ["IN", "OUT"], "edges": [[0, 7]]}', "not a REMNet canonical genome"),
        ('{"nodes": ["IN", "OUT"], "edges": 3}', "not a REMNet canonical genome"),
        ('{"nodes": ["IN", "CONV_9.N", "OUT"], "edges": [[0, 1], [1, 2]]}', "unknown layer 'CONV_9.N'"),
        ('{"nodes": ["IN", "CONV_3.N", "OUT"], "edges": [[0, 1], [1, 1], [1, 2]]}', "cycle"),
    ],
)
def test_from_json_errors_are_repro_errors_with_a_message(space: RemnetSpace, text: str, match: str) -> None:
    with pytest.raises(ReproError, match=match):
        space.from_json(text)


def test_from_json_rejects_a_non_boolean_enabled_flag(space: RemnetSpace) -> None:
    with pytest.raises(ReproError):
        space.from_json('{"layers": [], "connections": [[0, -2, -1, "false"]]}')


def test_a_genome_without_connection_genes_is_rejected_with_the_fix(space: RemnetSpace) -> None:
    with pytest.raises(ReproError, match=r"no connection genes; the minimal genome is"):
        space.from_json('{"layers": [[0, "CONV_3.N"]], "connections": []}')


def test_canonical_text_parses_to_an_equivalent_genome(space: RemnetSpace) -> None:
    for g in random_valid_genomes(space, seed=6, count=30):
        canonical = space.canonical(g)
        parsed = space.from_json(canonical.text)
        gen.check(parsed)
        assert all(c.enabled for c in parsed.connections)
        assert space.canonical(parsed) == canonical
        assert space.describe(parsed) == space.describe(g)


def test_invalid_canonical_text_is_not_a_genome(space: RemnetSpace) -> None:
    text = space.canonical(gen.Genome((), (Connection(0, INPUT, OUTPUT, False),))).text
    with pytest.raises(ReproError):
        space.from_json(text)


def test_math_of_remnet_128_parameters_by_hand() -> None:
    """The 791,338 figure re-derived from the layer shapes, so the builder test checks something independent."""
    conv = lambda cin, cout, k: cin * cout * k * k + cout + 2 * cout  # noqa: E731  conv + bias + BN affine
    total = conv(1, 128, 2) + conv(128, 128, 2) + conv(128, 128, 3) + conv(128, 128, 5) + 2 * conv(128, 64, 3)
    # 28 -> 27 -> 26 -> 24 -> 20 -> pool 5 -> 4 -> 2: the sum of two 64x2x2 maps gives 256 features
    features = 64 * 2 * 2
    total += (features * 64 + 64) + (64 * 32 + 32) + (32 * 10 + 10)
    assert total == 791_338


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), steps=st.integers(0, 30), offset=st.integers(0, 1000))
def test_property_key_is_stable_under_relabelling_and_dead_parts(seed, steps, offset):
    space = RemnetSpace()
    rng = np.random.default_rng(seed)
    genome = space.sample(rng)
    for _ in range(steps):
        genome = space.mutate(genome, rng)
    key = space.canonical(genome).key
    relabelled = relabel(genome, rng, offset=offset)
    assert space.canonical(relabelled).key == key
    if genome.active()[0]:  # dead parts are defined relative to a live input -> output path
        assert space.canonical(add_dead_parts(relabelled, rng)).key == key
