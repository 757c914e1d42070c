"""The large-gallery search bench: stand-ins, the cached gallery, shards, the command."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from station.benchmark import scale
from station.cli import main
from station.core.match import search
from station.core.template import Template
from station.core.vocabulary import FINGERS


def _real(subjects: int) -> list[Template]:
    out = []
    for s in range(subjects):
        for k in range(len(FINGERS)):
            rng = np.random.default_rng([s, k, 9])
            n = 40
            m = np.column_stack(
                [rng.uniform(100, 700, n), rng.uniform(100, 650, n),
                 rng.uniform(-np.pi, np.pi, n), rng.integers(0, 2, n)]
            )  # fmt: skip
            out.append(Template(width=800, height=750, minutiae=m.astype(np.float32)))
    return out


def test_a_stand_in_is_a_perturbed_copy_in_the_same_frame() -> None:
    source = _real(1)[0]
    one = scale.standin(source, np.random.default_rng(1))
    again = scale.standin(source, np.random.default_rng(1))
    np.testing.assert_array_equal(one.minutiae, again.minutiae)
    assert (one.width, one.height) == (source.width, source.height)
    assert 25 <= len(one.minutiae) <= 55  # 10 % dropped, 10 % added, some pushed out
    assert not np.array_equal(one.minutiae[:5], source.minutiae[:5])
    assert (one.minutiae[:, 0] < 800).all() and (one.minutiae[:, 1] < 750).all()


def test_the_cached_gallery_loads_whole_or_in_shards(tmp_path: Path) -> None:
    real = _real(2)
    path = tmp_path / "g"
    scale.build_gallery(real, 7, path, workers=1)
    whole = scale.load_gallery(path)
    assert len(whole) == 7 and whole.template_count == 70
    assert whole.subjects == tuple(range(7))
    np.testing.assert_array_equal(whole.template(1, "L3").minutiae, real[17].minutiae)
    # Stand-ins never hold a copy of a real template at its own finger position.
    for s in range(2, 7):
        for k, finger in enumerate(FINGERS):
            made = whole.template(s, finger).minutiae
            assert all(len(made) != len(real[r * 10 + k].minutiae) or not np.allclose(
                made, real[r * 10 + k].minutiae) for r in range(2))  # fmt: skip
    shards = [scale.load_gallery(path, shard, 3) for shard in range(3)]
    assert [g.subjects for g in shards] == [(0, 3, 6), (1, 4), (2, 5)]
    np.testing.assert_array_equal(
        shards[2].template(5, "R4").minutiae, whole.template(5, "R4").minutiae
    )
    probe = {f: whole.template(4, f) for f in FINGERS[:3]}
    assert search(probe, whole)[0].subject == 4
    assert search(probe, shards[1])[0].subject == 4
    # Shards given the whole gallery's centroids file their subjects in the same cells.
    quantiser = whole.train_index(nlist=3, nprobe=1, seed=4)
    indexed = [scale.load_gallery(path, shard, 3, index=quantiser) for shard in range(3)]
    cells = whole.cells()
    assert [g.cells().tolist() for g in indexed] == [cells[k::3].tolist() for k in range(3)]
    with pytest.raises(ValueError, match="shard"):
        scale.load_gallery(path, 3, 3)
    with pytest.raises(ValueError, match="at least the real"):
        scale.build_gallery(real, 1, path)


@pytest.mark.slow
def test_search_bench_reports_its_figures_and_labels_stand_ins(tmp_path: Path, capsys) -> None:
    out = tmp_path / "bench.json"
    args = ["bench", "--only", "search", "--subjects", "12", "--extracted", "2", "--probes",
            "2", "--cache", str(tmp_path / "cache"), "--json", str(out)]  # fmt: skip
    assert main(args) == 0
    f = json.loads(out.read_text())["search"]
    assert (f["gallery_subjects"], f["real_subjects"], f["standin_subjects"]) == (12, 2, 10)
    assert f["templates"] == 120 and f["probes"] == 2
    assert f["rank1"] == 1.0 and f["first_stage_miss_rate"] == 0.0
    assert f["penetration_rate"] == pytest.approx(8 / 12)
    assert f["standins"].startswith("stand-ins: each finger a real extracted template")
    assert f["cpu_ms_median"] > 0 and 0 < f["latency_ms_median"] <= f["latency_ms_p95"]
    assert 10_000 < f["bytes_per_subject"] < 100_000 and f["cache_startup_s"] > 0
    printed = capsys.readouterr().out
    assert "building the 12-subject gallery once" in printed
    assert "10 stand-ins: each finger" in printed
    # The second run takes the gallery from the cache, and measures an inverted file too.
    assert main([*args, "--ivf", "3:3,3:1"]) == 0
    printed = capsys.readouterr().out
    assert "building" not in printed and "IVF nlist 3: k-means" in printed
    ivf = json.loads(out.read_text())["search"]["ivf"]
    assert set(ivf) == {"3x3", "3x1", "linear"}
    every = ivf["3x3"]  # every cell visited: the linear scan's subjects and answers
    assert (every["nlist"], every["nprobe"], every["stage1_penetration"]) == (3, 3, 1.0)
    assert every["rank1"] == f["rank1"] and every["first_stage_miss_rate"] == 0.0
    assert 0 < ivf["3x1"]["stage1_penetration"] < 1 and ivf["3x1"]["training_s"] > 0
    assert every["index_bytes_per_subject"] > 5_000 and ivf["linear"]["stage1_penetration"] == 1
