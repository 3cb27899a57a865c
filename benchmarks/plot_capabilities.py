"""Draw a capability's learning curves (mean ± std over seeds, min..max band) for the mechanism and every arm.

    python benchmarks/plot_capabilities.py --capability reasoning          # one image
    python benchmarks/plot_capabilities.py --all --table                    # every seeds file, plus the table

Reads benchmarks/results/capability_<id>_seeds.json (written by capability_seeds.py). Every run holds the
JSON line of its script: `curve` (the mechanism: points with a `step` and numbers; `--key` picks one, by
default `accuracy` or the first number the points share) and, for every baseline arm that trains,
`curves` = {arm: [{step, value}]}. Each arm is drawn as its mean over seeds with a darker ± std band and a
light min..max band; an arm without a curve (or an older file with only `baseline_curve`) is drawn from what
it has, down to a dashed level at its final value. Saves docs/img/capabilities/<id>.png. `--table` prints a
markdown table (mean ± std, min..max, worst seed of every arm, worst margins) that a docs page can include.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from capability_seeds import markdown_table, summarize  # noqa: E402

COLORS = ["tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown", "tab:pink", "tab:gray", "tab:olive"]


def pick_key(points: list[dict], wanted: str | None) -> str:
    if wanted:
        return wanted
    shared = [k for k, v in points[0].items() if k != "step" and isinstance(v, (int, float))
              and all(isinstance(p.get(k), (int, float)) for p in points)]
    return "accuracy" if "accuracy" in shared else shared[0]


def stack(curves: list[list[dict]], key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Steps and a (seeds, points) array, keeping the steps every run has."""
    curves = [c for c in curves if c and all(key in p for p in c)]
    if not curves:
        return None
    steps = sorted(set.intersection(*({p["step"] for p in c} for c in curves)))
    values = np.array([[next(p[key] for p in c if p["step"] == s) for s in steps] for c in curves], dtype=float)
    return np.array(steps), values


def band(ax, steps, values, label, color, style="-"):
    mean, std = values.mean(0), values.std(0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1])
    ax.plot(steps, mean, style, color=color, label=f"{label} (mean of {len(values)})")
    ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.25, linewidth=0)
    ax.fill_between(steps, values.min(0), values.max(0), color=color, alpha=0.08, linewidth=0)


def arm_curves(runs: list[dict]) -> dict[str, list[list[dict]]]:
    """Every baseline arm's curves over seeds, as lists of {step, value}; `baseline_curve` of older files too."""
    arms: dict[str, list[list[dict]]] = {}
    for r in runs:
        for name, c in (r.get("curves") or {}).items():
            arms.setdefault(name, []).append(c)
    return arms


def plot(capability: str, data: dict, key: str | None, out: Path) -> Path:
    runs = [r for r in data["runs"] if "error" not in r]
    key = pick_key(runs[0]["curve"], key)
    fig, ax = plt.subplots(figsize=(6.4, 3.8), dpi=120)
    steps, values = stack([r["curve"] for r in runs], key)
    band(ax, steps, values, "mechanism", "tab:blue")
    arms = arm_curves(runs)
    if not arms and any(r.get("baseline_curve") for r in runs):  # older files: one baseline curve with the same keys
        arms = {"baseline": [[{"step": p["step"], "value": p[key]} for p in r["baseline_curve"]] for r in runs]}
    drawn = set()
    for i, (name, curves) in enumerate(sorted(arms.items())):
        stacked = stack(curves, "value")
        if stacked is not None:
            band(ax, *stacked, name, COLORS[i % len(COLORS)], "--")
            drawn.add(name)
    finals = {f"baselines.{k}": [r["baselines"][k] for r in runs if k in r.get("baselines", {})]
              for k in {k for r in runs for k in r.get("baselines", {})} if k not in drawn}
    if not arms and not finals:
        finals = {"baseline": [r["baseline"] for r in runs]}
    for i, (name, level) in enumerate(sorted(finals.items()), start=len(arms)):  # arms without a curve: final level
        level = np.array(level, dtype=float)
        color = COLORS[i % len(COLORS)]
        ax.axhline(level.mean(), color=color, linestyle=":", label=f"{name.removeprefix('baselines.')}, final (mean of {len(level)})")
        ax.axhspan(level.min(), level.max(), color=color, alpha=0.08, linewidth=0)
    metric = runs[0].get("metric", key)
    ax.set_xlabel("update step")
    ax.set_ylabel(key if key != "accuracy" else metric, fontsize=8)
    quick = " (--quick, CPU)" if data.get("quick") else ""
    ax.set_title(f"{capability}: {len(runs)} seeds{quick}; bands = ±std and min..max", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", nargs="+", default=[], help="capability ids, e.g. reasoning")
    parser.add_argument("--all", action="store_true", help="every benchmarks/results/capability_*_seeds.json")
    parser.add_argument("--key", default=None, help="which number of the mechanism's curve points to plot")
    parser.add_argument("--results", default=None, help="seeds file, one capability only")
    parser.add_argument("--out", default=None, help="image, one capability only (default docs/img/capabilities/<id>.png)")
    parser.add_argument("--table", action="store_true", help="print the markdown summary table")
    args = parser.parse_args(argv)
    results = ROOT / "benchmarks" / "results"
    caps = args.capability or ([p.name[len("capability_"):-len("_seeds.json")] for p in sorted(results.glob("capability_*_seeds.json"))]
                               if args.all else [])
    if not caps:
        parser.error("give --capability ID or --all")
    summaries = {}
    for cap in caps:
        src = Path(args.results) if args.results else results / f"capability_{cap}_seeds.json"
        data = json.loads(src.read_text())
        out = Path(args.out) if args.out else ROOT / "docs" / "img" / "capabilities" / f"{cap}.png"
        print(f"wrote {plot(cap, data, args.key, out)}")
        summaries[cap] = summarize(data["runs"])
    if args.table:
        print()
        print(markdown_table(summaries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
