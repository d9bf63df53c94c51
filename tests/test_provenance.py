"""How recorded provenance is summarised for captions and reports."""

from __future__ import annotations

from repro.provenance import describe_devices


def test_each_machine_is_named_once_with_the_engines_its_rows_ran_on():
    recorded = [
        "cpu:x86_64 (2 threads)",
        "cpu:x86_64 (2 threads); eager, fp32",
        None,
        "cuda:NVIDIA H100; cuda-graph, bf16, channels_last",
        "cpu:x86_64 (2 threads); eager, fp32",
        "cuda:NVIDIA H100; eager (augmentation draws on the host), fp32, channels_last",
    ]
    assert describe_devices(recorded) == (
        "cpu:x86_64 (2 threads) [eager, fp32]; cuda:NVIDIA H100 [cuda-graph, bf16, channels_last | "
        "eager (augmentation draws on the host), fp32, channels_last]"
    )
    assert describe_devices(["cpu:x86_64 (1 threads)"]) == "cpu:x86_64 (1 threads)"  # a search record: no engine
    assert describe_devices([None, ""]) == "none recorded"


def test_code_without_its_git_history_names_the_version_it_was_carried_from(monkeypatch):
    """On a GPU machine the working tree arrives without .git; scripts/gpu-check passes the version along."""
    from repro import provenance

    def no_git(*args, **kwargs):
        raise OSError("no git here")

    monkeypatch.setattr(provenance.subprocess, "run", no_git)
    monkeypatch.setenv(provenance.CODE_VERSION_VAR, "769a1b7be71a")
    provenance.code_version.cache_clear()
    try:
        assert provenance.code_version().endswith("+g769a1b7be71a")
        monkeypatch.delenv(provenance.CODE_VERSION_VAR)
        provenance.code_version.cache_clear()
        assert "+g" not in provenance.code_version()
    finally:
        provenance.code_version.cache_clear()
