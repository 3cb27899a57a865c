"""Run reference_impl/dpo_synthetic.py over several seeds and draw its learning curves.

Run:  python benchmarks/plot_dpo.py [--seeds 0 1 2] [--replot]
Writes benchmarks/results/dpo_synthetic_seeds.json (every run's evaluation history) and
docs/img/algorithms/dpo_curve.png (mean over seeds, band = min..max). `--replot` redraws
the figure from the saved JSON without training again. Extra arguments after `--` go to
dpo_synthetic (e.g. `-- --beta 0.5`).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
RESULTS = os.path.join(ROOT, "benchmarks", "results", "dpo_synthetic_seeds.json")
FIGURE = os.path.join(ROOT, "docs", "img", "algorithms", "dpo_curve.png")


def collect(seeds: list[int], extra: list[str]) -> dict:
    from reference_impl import dpo_synthetic

    runs = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "h.json")
            argv = ["--seed", str(seed), "--history", path, *extra]
            dpo_synthetic.main(argv)
            with open(path) as fh:
                runs.append(json.load(fh))
    cmd = "python benchmarks/plot_dpo.py --seeds " + " ".join(map(str, seeds)) + (" -- " + " ".join(extra) if extra else "")
    return {"command": cmd, "runs": runs}


def plot(data: dict, out: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    runs = data["runs"]
    steps = [h["step"] for h in runs[0]["history"]]
    panels = [
        ("held-out log-ratios  $h = \\log\\pi - \\log\\pi_{ref}$", [("margin", "margin $h_w - h_l$"), ("chosen_logratio", "chosen $h_w$"), ("rejected_logratio", "rejected $h_l$")]),
        ("held-out preference accuracy", [("accuracy", "vs reference (margin > 0)"), ("policy_accuracy", r"policy alone ($\log\pi(y_w) > \log\pi(y_l)$)")]),
        ("sampled responses", [("rule_rate", "reversed (chosen behaviour)"), ("copy_rate", "copied (rejected behaviour)")]),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.6))
    for ax, (title, series) in zip(axes, panels):
        for key, label in series:
            y = np.array([[h[key] for h in r["history"]] for r in runs])
            ax.plot(steps, y.mean(0), label=label)
            ax.fill_between(steps, y.min(0), y.max(0), alpha=0.25)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("DPO step")
        ax.grid(alpha=0.3)
        if len(series) > 1:
            ax.legend(fontsize=8)
    cfg = runs[0]["config"]
    fig.suptitle(
        f"DPO on reverse-vs-copy pairs: {len(runs)} seeds (line = mean, band = min..max), "
        f"beta={cfg['beta']}, lr={cfg['lr']}, batch={cfg['batch_size']}, device={runs[0]['result']['device']}",
        fontsize=10,
    )
    fig.tight_layout()
    os.makedirs(os.path.dirname(out), exist_ok=True)
    fig.savefig(out, dpi=110)
    print("wrote", out)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    own = argv[: argv.index("--")] if "--" in argv else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2], help="seeds to run")
    p.add_argument("--replot", action="store_true", help="redraw from the saved JSON, no training")
    p.add_argument("--results", default=RESULTS, help="where the runs' JSON goes")
    p.add_argument("--figure", default=FIGURE, help="where the PNG goes")
    args = p.parse_args(own)
    if args.replot:
        with open(args.results) as fh:
            data = json.load(fh)
    else:
        data = collect(args.seeds, extra)
        os.makedirs(os.path.dirname(args.results), exist_ok=True)
        with open(args.results, "w") as fh:
            json.dump(data, fh, indent=1)
    plot(data, args.figure)
    return 0


if __name__ == "__main__":
    sys.exit(main())
