"""Curve segment files: written whole or not at all, the newest copy of a path wins, compaction keeps every curve."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from repro.cache import curves as curves_module
from repro.cache.curves import CurveFiles
from repro.errors import ReproError
from tests.rows import segments

ROOT = Path(__file__).resolve().parent.parent


def _curve(epochs: int, fill: float) -> np.ndarray:
    return np.column_stack([np.arange(1, epochs + 1), np.full((epochs, 4), fill)])


def test_curves_round_trip_across_segments_and_the_newest_copy_wins(tmp_path):
    files = CurveFiles(tmp_path)
    assert files.write([]) is None and not (tmp_path / "curves").exists()
    first = files.write([("s/a/r/seed_0", _curve(2, 0.1)), ("s/b/r/seed_0", _curve(3, 0.2))])
    second = files.write([("s/a/r/seed_0", _curve(1, 0.9))])  # a path written again: an orphan's retry
    assert [f.name for f in segments(tmp_path)] == ["seg-000001.h5", "seg-000002.h5"] == [first.name, second.name]
    reader = CurveFiles(tmp_path)  # another process's view
    a, b, missing = reader.read(["s/a/r/seed_0", "s/b/r/seed_0", "s/c/r/seed_0"])
    np.testing.assert_array_equal(a, _curve(1, 0.9))
    np.testing.assert_array_equal(b, _curve(3, 0.2))
    assert missing is None and reader.where("s/a/r/seed_0") == second
    assert sorted(reader.everything()) == ["s/a/r/seed_0", "s/b/r/seed_0"]


def test_many_curves_from_one_segment_are_read_whole_and_cut_right(tmp_path):
    files = CurveFiles(tmp_path)
    stored = {f"s/{i}/r/seed_0": _curve(1 + i % 4, i / 100) for i in range(50)}
    files.write(list(stored.items()))
    got = files.read(list(reversed(stored)))
    for (path, curve), read in zip(reversed(stored.items()), got):
        np.testing.assert_array_equal(read, curve, err_msg=path)


def test_compaction_folds_the_segments_into_one_and_a_reader_follows(tmp_path, monkeypatch):
    monkeypatch.setattr(curves_module, "COMPACT_AT", 3)
    writer, reader = CurveFiles(tmp_path), CurveFiles(tmp_path)
    for i in range(3):
        writer.write([(f"s/{i}/r/seed_0", _curve(2, i)), ("s/same/r/seed_0", _curve(1, i))])
    assert reader.read(["s/0/r/seed_0"])[0] is not None  # the reader has indexed the three segments
    writer.write([("s/3/r/seed_0", _curve(2, 3))])  # the fourth write first folds the three into one
    assert [f.name for f in segments(tmp_path)] == ["seg-000004.h5", "seg-000005.h5"]
    got = reader.read([f"s/{i}/r/seed_0" for i in range(4)] + ["s/same/r/seed_0"])
    for i in range(4):
        np.testing.assert_array_equal(got[i], _curve(2, i))
    np.testing.assert_array_equal(got[4], _curve(1, 2))  # the newest copy survived the compaction


def test_a_leftover_temporary_file_is_ignored_and_cleaned_and_a_bad_segment_named(tmp_path):
    files = CurveFiles(tmp_path)
    files.write([("s/a/r/seed_0", _curve(1, 0.5))])
    leftover = tmp_path / "curves" / ".seg-000002.h5.tmp"
    leftover.write_bytes(b"half an HDF5 file")
    assert CurveFiles(tmp_path).read(["s/a/r/seed_0"])[0] is not None
    assert files.clean() == [leftover] and not leftover.exists()
    (tmp_path / "curves" / "seg-000002.h5").write_bytes(b"garbage")
    with pytest.raises(ReproError, match=r"seg-000002.h5 is not a readable curve file .*git checkout"):
        CurveFiles(tmp_path).refresh()
    with pytest.raises(ValueError, match="one row per epoch"):
        files.write([("s/b/r/seed_0", np.zeros(5))])


_WRITER = """
import sys
import numpy as np
from pathlib import Path
from repro.cache.curves import CurveFiles
files = CurveFiles(Path(sys.argv[1]))
for i in range(int(sys.argv[2]), 10**9):
    files.write([(f"s/{i}/r/seed_{j}", np.full((20, 5), float(i))) for j in range(200)])
    if i == int(sys.argv[2]):
        print("ready", flush=True)  # one write done: the kill comes during a later one, however loaded the machine
"""


def test_a_kill_9_while_writing_leaves_every_finished_segment_whole(tmp_path):
    rng = random.Random(0)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for attempt in range(3):
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(tmp_path), str(attempt * 10**6)], env=env, stdout=subprocess.PIPE
        )
        assert writer.stdout.readline().strip() == b"ready"
        time.sleep(rng.uniform(0.05, 0.4))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        files = CurveFiles(tmp_path)
        files.clean()
        stored = files.everything()  # every segment opens and reads
        writes: dict[str, int] = {}
        for path, (curve, _) in stored.items():
            np.testing.assert_array_equal(curve, np.full((20, 5), float(path.split("/")[1])), err_msg=path)
            writes[path.split("/")[1]] = writes.get(path.split("/")[1], 0) + 1
        assert set(writes.values()) == {200}  # each write's curves all there or none of them
        assert any(int(i) >= attempt * 10**6 for i in writes), "no write finished before the kill"


def test_a_writer_leaves_one_curve_file_and_cache_compact_folds_what_a_killed_one_left(tmp_path, capsys):
    from repro.cache.store import Store
    from repro.cli import main
    from tests.rows import curve_of, put_sound, sound_row

    with Store(tmp_path) as store:
        for seed in range(3):
            put_sound(store, sound_row(seed))
        assert len(segments(tmp_path)) == 3  # one per write while it runs
    assert [f.name for f in segments(tmp_path)] == ["seg-000004.h5"]
    files = CurveFiles(tmp_path)  # a writer killed after two more writes leaves their files
    files.write([("s/a/r/seed_0", _curve(1, 0.1))])
    files.write([("s/b/r/seed_0", _curve(1, 0.2))])
    assert main(["cache", "compact", "--cache", str(tmp_path)]) == 0
    assert capsys.readouterr().out == f"the cache {tmp_path}: 3 curve files folded into one\n"
    assert [f.name for f in segments(tmp_path)] == ["seg-000007.h5"]
    with Store(tmp_path, read_only=True) as store:
        for seed in range(3):
            np.testing.assert_array_equal(store.curve(sound_row(seed)), curve_of(sound_row(seed)))
        assert len(store.check()) == 2  # the killed writer's two curves have no rows
    assert main(["cache", "compact", "--cache", str(tmp_path)]) == 0
    assert capsys.readouterr().out.endswith("nothing to fold\n")
