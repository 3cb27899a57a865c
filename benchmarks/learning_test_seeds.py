"""The seed sweeps behind the margins of the learning tests outside the capability scripts.

    python benchmarks/learning_test_seeds.py --seeds 101..110 [--only dpo|ppo]

For each seed, in the configuration the tests use, with one torch thread and deterministic algorithms:
  * dpo: `dpo_synthetic.py --quick` (tests/reference_impl/test_dpo_synthetic.py), margins after - before of
    the held-out preference accuracy, the implicit-reward margin and the policy's own preference accuracy;
  * ppo: `cartpole_ppo.py` for 30,000 steps (tests/reference_impl/test_ppo_cartpole.py), after - before of
    the mean episode return.
Prints every seed and the worst margin of each quantity (a test asserts about half of it), and writes
benchmarks/results/learning_test_seeds.json.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from capability_seeds import parse_seeds  # noqa: E402

PPO_ARGS = ["--total-timesteps", "30000", "--device", "cpu", "--log-every", "0"]


def dpo(seed: int) -> dict:
    from reference_impl import dpo_synthetic

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        dpo_synthetic.main(["--quick", "--seed", str(seed), "--device", "cpu"])
    r = json.loads(buffer.getvalue().strip().splitlines()[-1])
    return {"accuracy": r["after"] - r["before"], "margin": r["margin_after"] - r["margin_before"],
            "policy_accuracy": r["policy_accuracy_after"] - r["policy_accuracy_before"], "run": r}


def ppo(seed: int) -> dict:
    from reference_impl import cartpole_ppo

    r = cartpole_ppo.train(cartpole_ppo.parse_config(["--seed", str(seed), *PPO_ARGS]))
    return {"return": r["after"] - r["before"], "run": {"before": r["before"], "after": r["after"]}}


def main(argv: list[str] | None = None) -> int:
    import torch

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", nargs="+", default=["101..110"], help="seeds, e.g. 101..110")
    parser.add_argument("--only", choices=["dpo", "ppo"], default=None, help="run one sweep")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "learning_test_seeds.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    seeds, start, results = parse_seeds(args.seeds), time.time(), {}
    for name, fn in {"dpo": dpo, "ppo": ppo}.items():
        if args.only not in (None, name):
            continue
        runs = []
        for seed in seeds:
            runs.append({"seed": seed, **fn(seed)})
            print(name, {k: (round(v, 4) if isinstance(v, float) else v) for k, v in runs[-1].items() if k != "run"}, flush=True)
        keys = [k for k in runs[0] if k not in ("seed", "run")]
        worst = {k: min(runs, key=lambda r: r[k]) for k in keys}
        results[name] = {"worst_margins": {k: {"value": round(w[k], 4), "seed": w["seed"]} for k, w in worst.items()}, "runs": runs}
        print(name, "worst margins:", results[name]["worst_margins"], flush=True)
    Path(args.out).write_text(json.dumps({"command": "python benchmarks/learning_test_seeds.py " + " ".join(argv or sys.argv[1:]),
                                          **results}, indent=1) + "\n")
    print(f"wrote {args.out} in {time.time() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
