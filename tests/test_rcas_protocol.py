"""RCAS's protocol choices (issue 22): the pre-filled stage heads kept with the authors' evidence, and the text's
comparisons checked as arithmetic on the printed tables."""

from __future__ import annotations

from papers.rcas.claims import printed_arithmetic
from papers.rcas.reproduce import HERE
from repro.spaces.rcas.known import RCNET_PUBLISHED
from papers.replay import protocol_notes
from repro.spaces.rcas.genome import seed_genome


def test_the_search_starts_from_type_5_striding_heads_and_the_authors_vector_fills_all_six():
    skeleton = seed_genome("cifar").skeleton
    heads = [6 * stage for stage in range(6)]
    assert [RCNET_PUBLISHED[p] for p in heads] == [5] * 6  # the authors' released vector
    assert skeleton.forced_positions() == [0, 6, 12, 24]  # the striding stages' heads (stages 1, 2, 3, 5)
    assert [seed_genome("cifar").positions[p] for p in heads] == [5, 5, 5, 0, 5, 0]


def test_the_texts_comparisons_redone_on_the_printed_tables():
    values = {m.claim_id: m.value for m in printed_arithmetic()}
    assert values["rcnet_fewer_params_than_darts_pct"] == 43.53  # "~44%": agrees
    assert values["rcnet_fewer_madds_than_darts_pct"] == 55.91  # "~50%": the caption understates it
    assert values["rcnet_fewer_params_than_mobilenetv2_pct"] == 20.0
    assert (values["imagenet_rcnet_gain_over_condensenet"], values["imagenet_rcnet_b_gain_over_darts"]) == (1.2, 1.6)


def test_protocol_notes_name_the_kept_start_and_the_fixed_final_training():
    notes = "\n".join(protocol_notes(HERE))
    assert "**kept** (every profile): Algorithm 2 starts from the stage heads filled with type 5" in notes
    assert "**fixed** (paper (rcas-final)): Per-channel RGB mean subtraction" in notes
