"""Draw a capability's learning curve (mean and spread over seeds) from its seeds file.

    python benchmarks/plot_capabilities.py --capability reasoning

Reads benchmarks/results/capability_<id>_seeds.json (written by capability_seeds.py), where every run
holds a `curve`: a list of points with a `step` and numbers. It plots `--key` (default: `accuracy`, or
the first number the points share) for the mechanism, and, when the runs have one, `baseline_curve` as a
second line; otherwise the baseline's final value is a dashed level. Saves docs/img/capabilities/<id>.png.
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


def pick_key(points: list[dict], wanted: str | None) -> str:
    if wanted:
        return wanted
    shared = [k for k, v in points[0].items() if k != "step" and isinstance(v, (int, float))
              and all(isinstance(p.get(k), (int, float)) for p in points)]
    return "accuracy" if "accuracy" in shared else shared[0]


def stack(runs: list[dict], name: str, key: str) -> tuple[np.ndarray, np.ndarray] | None:
    """Steps and a (seeds, points) array, keeping the steps every run has."""
    curves = [r[name] for r in runs if r.get(name)]
    if not curves:
        return None
    steps = sorted(set.intersection(*({p["step"] for p in c} for c in curves)))
    values = np.array([[next(p[key] for p in c if p["step"] == s) for s in steps] for c in curves], dtype=float)
    return np.array(steps), values


def band(ax, steps, values, label, color, style="-"):
    mean, lo, hi = values.mean(0), values.min(0), values.max(0)
    ax.plot(steps, mean, style, color=color, label=f"{label} (mean of {len(values)})")
    ax.fill_between(steps, lo, hi, color=color, alpha=0.2, linewidth=0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", required=True, help="capability id, e.g. reasoning")
    parser.add_argument("--key", default=None, help="which number of the curve points to plot")
    parser.add_argument("--results", default=None, help="seeds file (default benchmarks/results/capability_<id>_seeds.json)")
    parser.add_argument("--out", default=None, help="image (default docs/img/capabilities/<id>.png)")
    args = parser.parse_args(argv)
    src = Path(args.results) if args.results else ROOT / "benchmarks" / "results" / f"capability_{args.capability}_seeds.json"
    data = json.loads(src.read_text())
    runs = data["runs"]
    key = pick_key(runs[0]["curve"], args.key)
    fig, ax = plt.subplots(figsize=(6, 3.6), dpi=120)
    steps, values = stack(runs, "curve", key)
    band(ax, steps, values, "mechanism", "tab:blue")
    base = stack(runs, "baseline_curve", key) if all(key in p for r in runs for p in r.get("baseline_curve", [])) else None
    if base is not None:
        band(ax, *base, "baseline", "tab:orange", "--")
    else:
        level = np.array([r["baseline"] for r in runs], dtype=float)
        ax.axhline(level.mean(), color="tab:orange", linestyle="--", label=f"baseline, final (mean of {len(level)})")
        ax.axhspan(level.min(), level.max(), color="tab:orange", alpha=0.1, linewidth=0)
    metric = runs[0].get("metric", key)
    ax.set_xlabel("update step")
    ax.set_ylabel(key if key != "accuracy" else metric)
    quick = " (--quick, CPU)" if data.get("quick") else ""
    ax.set_title(f"{args.capability}: {len(runs)} seeds{quick}; band = min..max", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    out = Path(args.out) if args.out else ROOT / "docs" / "img" / "capabilities" / f"{args.capability}.png"
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
