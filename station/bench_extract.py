"""``station extract --bench``: extractor accuracy against ground truth, quality ranking, speed.

Protocol (printed with the figures):

* accuracy: ``count`` flat 500×500 impressions of different synthetic fingers, their
  degradation spread evenly from 0 (clean) to 1 (badly degraded); a found minutia matches a
  true one within 12 px and 30°, one to one. "good" prints have degradation < 0.5.
* quality: 20 fingers, each rendered at six grades from 0 to 1; Spearman's rho between grade
  and quality score, per finger (median) and pooled (should be strongly negative).
* speed: median wall time of ``extract`` on the 500×500 prints, one core.
"""

from __future__ import annotations

import statistics
import time

import numpy as np
from scipy import stats

__all__ = ["run"]


def run(count: int = 200, *, population: int = 0) -> int:
    from .core.extract import extract
    from .core.extract.evaluate import match_minutiae
    from .core.synth import FINGERS, impression

    if count < 2:
        raise ValueError("--count must be at least 2")
    groups = {"good": [0, 0, 0], "degraded": [0, 0, 0]}  # pairs, truth, found
    times: list[float] = []
    for n in range(count):
        grade = n / (count - 1)
        image, truth = impression(
            20_000 + n,
            FINGERS[n % 10],
            0,
            population=population,
            kind="flat",
            size=(500, 500),
            degradation=grade,
        )
        start = time.perf_counter()
        template = extract(image)
        times.append(time.perf_counter() - start)
        group = groups["good" if grade < 0.5 else "degraded"]
        group[0] += match_minutiae([(m.x, m.y, m.angle) for m in truth], template.minutiae)
        group[1] += len(truth)
        group[2] += len(template)

    print(
        f"extractor against ground truth: {count} flat 500x500 synthetic prints, "
        "match within 12 px and 30 deg"
    )
    for name, (pairs, n_truth, n_found) in groups.items():
        recall = pairs / max(n_truth, 1)
        precision = pairs / max(n_found, 1)
        print(
            f"  {name:9s} recall {recall:.3f}  precision {precision:.3f}  "
            f"({pairs} pairs, {n_truth} true, {n_found} found)"
        )
    print(
        f"  median extraction time {statistics.median(times) * 1e3:.1f} ms "
        f"(p95 {np.percentile(times, 95) * 1e3:.1f} ms), one core"
    )

    grades = np.linspace(0.0, 1.0, 6)
    per_finger, pooled_g, pooled_q = [], [], []
    for f in range(20):
        scores = []
        for g in grades:
            image, _ = impression(
                21_000 + f,
                FINGERS[f % 10],
                1,
                population=population,
                kind="flat",
                degradation=float(g),
            )
            scores.append(extract(image).quality)
        per_finger.append(stats.spearmanr(grades, scores).statistic)
        pooled_g.extend(grades)
        pooled_q.extend(scores)
    rho = np.nan_to_num(np.array(per_finger), nan=0.0)
    pooled = stats.spearmanr(pooled_g, pooled_q).statistic
    print("quality score against degradation grade (20 fingers x 6 grades):")
    print(
        f"  Spearman rho per finger: median {np.median(rho):.2f}, worst {rho.min():.2f}; "
        f"pooled {pooled:.2f} (negative: score falls as prints degrade)"
    )
    return 0
