"""benchmarks/capability_seeds.py: seed ranges, the summary over seeds and its markdown table (no training)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from capability_seeds import CAPABILITIES, markdown_table, parse_seeds, summarize  # noqa: E402


def test_seed_ranges():
    assert parse_seeds(["101..103", "7"]) == [101, 102, 103, 7]


def test_every_capability_script_is_benchmarked():
    assert "collaboration" in CAPABILITIES and "cartpole-ppo" not in CAPABILITIES and len(CAPABILITIES) >= 8


def test_summary_by_hand():
    runs = [{"seed": 1, "metric": "m", "before": 0.2, "baseline": 0.3, "after": 0.9, "baselines": {"a": 0.3, "b": 0.5}},
            {"seed": 2, "metric": "m", "before": 0.4, "baseline": 0.2, "after": 0.7, "baselines": {"a": 0.1, "b": 0.8}},
            {"seed": 3, "error": "RuntimeError: boom"}]
    s = summarize(runs)
    assert s["seeds"] == 2 and s["failed"] == 1
    assert s["arms"]["after"] == {"mean": 0.8, "std": 0.1414, "min": 0.7, "max": 0.9, "worst": 0.7}
    assert s["margins"]["after-before"] == {"worst": 0.3, "worst_seed": 2, "mean": 0.5}
    assert s["margins"]["after-b"]["worst"] == -0.1 and s["margins"]["after-b"]["worst_seed"] == 2
    assert s["held_on_every_seed"] is True  # only before and the ablation count
    table = markdown_table({"x": s})
    assert "| x | baselines.b | 0.650 ± 0.212 | 0.500 .. 0.800 | 0.500 |" in table
    assert "| x | after-baseline | +0.500 (2) | +0.550 |" in table


def test_runs_without_an_ablation_arm():
    """`-- --engine trl` runs report before and after only: no baseline row, no after-baseline margin, and the
    worst seed of a margin that only some runs have is named among those runs."""
    runs = [{"seed": 1, "before": 0.2, "after": 0.6}, {"seed": 2, "before": 0.5, "after": 0.4}]
    s = summarize(runs)
    assert set(s["arms"]) == {"before", "after"} and set(s["margins"]) == {"after-before"}
    assert s["margins"]["after-before"]["worst_seed"] == 2 and s["held_on_every_seed"] is False
    partial = summarize([{"seed": 1, "before": 0.1, "baseline": 0.1, "after": 0.2},
                         {"seed": 2, "before": 0.1, "baseline": 0.1, "after": 0.2, "baselines": {"x": 0.5}}])
    assert partial["margins"]["after-x"] == {"worst": -0.3, "worst_seed": 2, "mean": -0.3}
    assert "after-baseline" in markdown_table({"y": partial})
