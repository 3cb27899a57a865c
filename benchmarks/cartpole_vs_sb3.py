"""Our PPO (reference_impl/cartpole_ppo.py) against Stable-Baselines3's PPO on CartPole-v1, same settings.

Both get the hyperparameters of our Config defaults (the RL Baselines3 Zoo's CartPole entry):
8 envs x 32 steps, one full batch per epoch, 20 epochs, lr 1e-3 and clip 0.2 annealed linearly to 0,
gamma 0.98, lambda 0.8, no entropy bonus, value coef 0.5, grad norm 0.5, separate 64-64 tanh MLPs.
Seeds run one after the other, ours then SB3's for each seed (so load on a shared machine hits both
alike), on one CPU thread.

Measures, per seed: steps to 475 (first env step at which the mean of the last 100 finished training
episodes reaches 475) and env steps per second of the whole training loop (rollout and updates).

    python benchmarks/cartpole_vs_sb3.py [--seeds 1 2 3] [--total-timesteps 100000]
    python benchmarks/plot_cartpole.py          # draws docs/img/ppo/cartpole_curve.png

Writes benchmarks/results/cartpole_vs_sb3_cpu.json (summary) and cartpole_curves_cpu.json
(every finished episode as [env step, return], per implementation and seed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections import deque

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

import gymnasium as gym  # noqa: E402
import torch  # noqa: E402

from reference_impl import cartpole_ppo  # noqa: E402

RESULTS = os.path.join(ROOT, "benchmarks", "results")


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def steps_to(episodes: list[tuple[int, float]], threshold: float = 475.0, window: int = 100) -> int | None:
    """First env step at which the mean of the last `window` finished episodes reached `threshold`."""
    last: deque[float] = deque(maxlen=window)
    for step, ret in episodes:
        last.append(ret)
        if len(last) == window and sum(last) / window >= threshold:
            return step
    return None


def run_ours(seed: int, total: int) -> dict:
    out = cartpole_ppo.train(cartpole_ppo.parse_config(
        ["--seed", str(seed), "--total-timesteps", str(total), "--device", "cpu", "--threads", "1", "--log-every", "0"]))
    return {"steps": out["steps"], "seconds": out["seconds"], "sps": out["sps"], "after": out["after"],
            "episodes": [[s, r] for s, r in out["episodes"]]}


def run_sb3(seed: int, total: int, cfg: cartpole_ppo.Config) -> dict:
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env

    class Episodes(BaseCallback):
        """Collect (env step, return) of every finished episode from the Monitor wrapper's info."""

        def __init__(self):
            super().__init__()
            self.episodes: list[list[float]] = []

        def _on_step(self) -> bool:
            for info in self.locals["infos"]:
                if "episode" in info:
                    self.episodes.append([self.num_timesteps, float(info["episode"]["r"])])
            return True

    torch.set_num_threads(1)
    env = make_vec_env(cfg.env_id, n_envs=cfg.num_envs, seed=seed)
    model = PPO(
        "MlpPolicy", env, seed=seed, device="cpu", verbose=0,
        n_steps=cfg.num_steps, batch_size=cfg.num_steps * cfg.num_envs // cfg.num_minibatches, n_epochs=cfg.num_epochs,
        learning_rate=lambda remaining: remaining * cfg.learning_rate, clip_range=lambda remaining: remaining * cfg.clip_eps,
        gamma=cfg.gamma, gae_lambda=cfg.gae_lambda, ent_coef=cfg.ent_coef, vf_coef=cfg.vf_coef,
        max_grad_norm=cfg.max_grad_norm, normalize_advantage=cfg.norm_adv,
        policy_kwargs={"net_arch": {"pi": [cfg.hidden] * 2, "vf": [cfg.hidden] * 2}, "activation_fn": torch.nn.Tanh},
    )
    callback = Episodes()
    start = time.perf_counter()
    model.learn(total_timesteps=total, callback=callback)
    seconds = time.perf_counter() - start
    last = [r for _, r in callback.episodes[-100:]]
    return {"steps": model.num_timesteps, "seconds": round(seconds, 2), "sps": round(model.num_timesteps / seconds, 1),
            "after": round(sum(last) / len(last), 2) if last else None, "episodes": callback.episodes}


def summarise(runs: dict[str, dict], budget: int) -> dict:
    """Per implementation: steps to 475 and env steps per second over the seeds.

    A seed that never reached 475 counts as the whole budget in the mean (which then flatters it) and as
    infinitely slow in the median.
    """
    per_seed = [r["steps_to_475"] for r in runs.values()]
    reached = [x for x in per_seed if x is not None]
    median = statistics.median([float("inf") if x is None else x for x in per_seed])
    return {
        "seeds_reaching_475": f"{len(reached)}/{len(runs)}",
        "steps_to_475_mean": round(statistics.mean(budget if x is None else x for x in per_seed)),
        "steps_to_475_median": None if median == float("inf") else round(median),
        "steps_to_475_std_of_reached": round(statistics.stdev(reached)) if len(reached) > 1 else None,
        "steps_to_475_per_seed": {s: r["steps_to_475"] for s, r in runs.items()},
        "sps_mean": round(statistics.mean(r["sps"] for r in runs.values()), 1),
        "sps_median": round(statistics.median(r["sps"] for r in runs.values()), 1),
        "after_mean": round(statistics.mean(r["after"] for r in runs.values()), 2),
    }


def finish(report: dict) -> dict:
    """Add summary and ratios to a report that holds `runs`, and print the comparison table."""
    summary = {k: summarise(v, report["total_timesteps"]) for k, v in report["runs"].items()}
    o, s = summary["ours"], summary["sb3"]

    def ratio(a, b):
        return round(a / b, 3) if a and b else None

    report["summary"] = summary
    report["ratios"] = {  # steps: < 1 means ours needs fewer env steps; sps: > 1 means ours is faster
        "steps_to_475_mean": ratio(o["steps_to_475_mean"], s["steps_to_475_mean"]),
        "steps_to_475_median": ratio(o["steps_to_475_median"], s["steps_to_475_median"]),
        "sps_mean": ratio(o["sps_mean"], s["sps_mean"]),
        "sps_median": ratio(o["sps_median"], s["sps_median"]),
    }
    r = report["ratios"]
    print(f"machine: {report['machine']}")
    print(f"{'':26s}{'ours':>10s}{'SB3':>10s}{'ours/SB3':>10s}")
    for label, key in (("steps to 475 (mean)", "steps_to_475_mean"), ("steps to 475 (median)", "steps_to_475_median")):
        print(f"{label:26s}{o[key]!s:>10s}{s[key]!s:>10s}{r[key]!s:>10s}")
    print(f"{'steps to 475 (std)':26s}{o['steps_to_475_std_of_reached']!s:>10s}{s['steps_to_475_std_of_reached']!s:>10s}")
    print(f"{'seeds reaching 475':26s}{o['seeds_reaching_475']:>10s}{s['seeds_reaching_475']:>10s}")
    for label, key in (("env steps/s (mean)", "sps_mean"), ("env steps/s (median)", "sps_median")):
        print(f"{label:26s}{o[key]:>10.0f}{s[key]:>10.0f}{r[key]!s:>10s}")
    print(f"{'last-100 return (mean)':26s}{o['after_mean']:>10.1f}{s['after_mean']:>10.1f}")
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds, run one after the other")
    p.add_argument("--total-timesteps", type=int, default=cartpole_ppo.Config.total_timesteps, help="budget per run")
    p.add_argument("--out", default=os.path.join(RESULTS, "cartpole_vs_sb3_cpu.json"), help="summary JSON")
    p.add_argument("--curves", default=os.path.join(RESULTS, "cartpole_curves_cpu.json"), help="episode curves JSON")
    p.add_argument("--summarise-only", action="store_true", help="recompute summary and table from --out; run nothing")
    args = p.parse_args(argv)

    if args.summarise_only:
        with open(args.out) as f:
            report = finish(json.load(f))
        with open(args.out, "w") as f:
            json.dump(report, f, indent=1)
        return 0

    import stable_baselines3

    cfg = cartpole_ppo.Config()
    machine = f"{cpu_name()}, {os.cpu_count()} logical CPUs visible (shared with other jobs), 1 torch thread"
    print(f"machine: {machine}", flush=True)
    curves: dict[str, dict[str, list]] = {"ours": {}, "sb3": {}}
    runs: dict[str, dict[str, dict]] = {"ours": {}, "sb3": {}}
    for seed in args.seeds:
        for name, fn in (("ours", lambda: run_ours(seed, args.total_timesteps)),
                         ("sb3", lambda: run_sb3(seed, args.total_timesteps, cfg))):
            res = fn()
            curves[name][str(seed)] = res.pop("episodes")
            res["steps_to_475"] = steps_to(curves[name][str(seed)])
            runs[name][str(seed)] = res
            print(f"seed {seed} {name:4s}: steps_to_475 {res['steps_to_475']}  after {res['after']}  "
                  f"sps {res['sps']:.0f}  ({res['seconds']:.1f} s)", flush=True)

    report = finish({
        "machine": machine, "device": "cpu", "env": cfg.env_id, "seeds": args.seeds,
        "total_timesteps": args.total_timesteps,
        "versions": {"python": platform.python_version(), "torch": torch.__version__, "gymnasium": gym.__version__,
                     "stable_baselines3": stable_baselines3.__version__},
        "hyperparameters": {k: getattr(cfg, k) for k in (
            "num_envs", "num_steps", "num_epochs", "num_minibatches", "learning_rate", "anneal_lr", "clip_eps",
            "anneal_clip", "gamma", "gae_lambda", "ent_coef", "vf_coef", "max_grad_norm", "norm_adv", "hidden")},
        "command": "python benchmarks/cartpole_vs_sb3.py --seeds " + " ".join(map(str, args.seeds))
                   + f" --total-timesteps {args.total_timesteps}",
        "runs": runs,
    })
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        json.dump(report, f, indent=1)
    with open(args.curves, "w") as f:
        json.dump({"machine": machine, "threshold": 475, "window": 100, "curves": curves}, f, separators=(",", ":"))
    print(f"wrote {os.path.relpath(args.out, ROOT)} and {os.path.relpath(args.curves, ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
