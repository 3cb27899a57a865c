"""Draw the CartPole learning curves of benchmarks/cartpole_vs_sb3.py: mean and spread over seeds.

    python benchmarks/plot_cartpole.py [--curves benchmarks/results/cartpole_curves_cpu.json]
                                       [--out docs/img/ppo/cartpole_curve.png]

Each seed's curve is the mean return of the last 100 finished training episodes, read on a grid of
env steps; the plot shows the mean over seeds as a line and the min-max range over seeds as a band.
"""

from __future__ import annotations

import argparse
import json
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LABELS = {"ours": "ours (reference_impl/cartpole_ppo.py)", "sb3": "Stable-Baselines3 PPO"}


def rolling_on_grid(episodes: list[list[float]], grid: np.ndarray, window: int) -> np.ndarray:
    """Mean return of the last `window` episodes finished by each grid step (NaN before the first one)."""
    steps = np.array([e[0] for e in episodes], dtype=float)
    returns = np.array([e[1] for e in episodes], dtype=float)
    csum = np.concatenate([[0.0], np.cumsum(returns)])
    n_done = np.searchsorted(steps, grid, side="right")  # episodes finished by each grid point
    lo = np.maximum(n_done - window, 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n_done > 0, (csum[n_done] - csum[lo]) / (n_done - lo), np.nan)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--curves", default=os.path.join(ROOT, "benchmarks", "results", "cartpole_curves_cpu.json"))
    p.add_argument("--out", default=os.path.join(ROOT, "docs", "img", "ppo", "cartpole_curve.png"))
    args = p.parse_args(argv)
    with open(args.curves) as f:
        data = json.load(f)
    window, threshold = data.get("window", 100), data.get("threshold", 475)
    last_step = max(e[0] for per_seed in data["curves"].values() for eps in per_seed.values() for e in eps)
    first_step = max(eps[0][0] for per_seed in data["curves"].values() for eps in per_seed.values())
    grid = np.linspace(first_step, last_step, 200)  # from where every seed has finished an episode

    fig, ax = plt.subplots(figsize=(7, 4.2), dpi=120)
    for (name, per_seed), color in zip(data["curves"].items(), ("tab:blue", "tab:orange")):
        ys = np.stack([rolling_on_grid(eps, grid, window) for eps in per_seed.values()])
        mean, lo, hi = ys.mean(0), ys.min(0), ys.max(0)
        ax.plot(grid, mean, color=color, label=f"{LABELS.get(name, name)}, {len(ys)} seeds")
        ax.fill_between(grid, lo, hi, color=color, alpha=0.2, linewidth=0)
    ax.axhline(threshold, color="grey", linestyle="--", linewidth=1, label=f"{threshold}")
    ax.set_xlabel("environment steps")
    ax.set_ylabel(f"mean return of the last {window} episodes")
    ax.set_title(f"PPO on CartPole-v1: mean over seeds, band = min-max\n{data.get('machine', '')}", fontsize=9)
    ax.set_ylim(0, 520)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    fig.savefig(args.out)
    print(f"wrote {os.path.relpath(args.out, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
