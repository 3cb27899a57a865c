"""Run capability scripts over many seeds, in parallel processes, and summarise mean, spread and worst seed.

    python benchmarks/capability_seeds.py --all --seeds 101..110 --quick --jobs 2     # every capability
    python benchmarks/capability_seeds.py --capability reasoning --seeds 101..110 --quick

Budget target: the first command (10 seeds x every capability, --quick, 2 processes with one torch thread
each) must finish in under 30 minutes on a 2-core CPU; the elapsed time is printed at the end, next to that
target. Each capability's runs (every JSON line its script printed) and their summary are written to
benchmarks/results/capability_<id>_seeds.json (with --all, the elapsed time and every run's wall time also go to
benchmarks/results/capability_seeds_all.json). The summary gives, over seeds, the mean, the spread (sample
std and min..max) and the worst seed of `before`, `baseline`, `after` and of every entry of `baselines`,
and the worst margins after - before and after - baseline (the numbers a learning test's margin may use,
at about half their size). A markdown table of the summary ends the output (`plot_capabilities.py
--table` prints the same table from the saved files).

The module comes from `reference_impl.registry.RUNS`; `--all` takes every entry whose module lives in
`reference_impl.capabilities`. Extra arguments after `--` go to the scripts unchanged (e.g. `-- --loss dapo`).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.registry import RUNS, take_flag  # noqa: E402

BUDGET_MINUTES = 30  # target for --all --seeds 101..110 --quick --jobs 2 on a 2-core CPU
# seconds of one --quick run with 2 jobs on a 2-core Intel Xeon VM (benchmarks/results/intel_xeon/all_bca0b91/);
# only the order in which runs start depends on it
EXPECTED_SECONDS = {"planning": 53, "perception": 49, "memory": 32, "self-improvement": 28, "collaboration": 24,
                    "tool-use": 24, "long-horizon": 16, "reasoning": 8}
CAPABILITIES = [name for name, (module, _) in RUNS.items() if module.startswith("reference_impl.capabilities.")]


def machine() -> str:
    """The CPU model, core count and torch build, written into every results file (figures differ across CPUs)."""
    import platform

    import torch

    model = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), model)
    return f"{os.cpu_count()}-core {model}, torch {torch.__version__}"


def parse_seeds(tokens: list[str]) -> list[int]:
    """'101..110' (inclusive range) and plain integers, in order."""
    seeds = []
    for t in tokens:
        lo, sep, hi = t.partition("..")
        seeds += list(range(int(lo), int(hi) + 1)) if sep else [int(t)]
    return seeds


def run_once(module_name: str, argv: list[str], capability: str = "") -> dict:
    """Call `main(argv)` and return the last JSON object it printed on stdout. With `--engine trl` in argv the
    run goes through TRL's GRPOTrainer (reference_impl/engines/trl_engine.py), which reports no baseline arm."""
    engine, argv = take_flag(argv, "--engine", "handwritten")
    if engine == "trl":
        from reference_impl.engines import trl_engine

        main = lambda a: trl_engine.main(capability, a)  # noqa: E731
    else:
        main = importlib.import_module(module_name).main
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = main(argv)
    if code != 0:
        raise RuntimeError(f"{module_name} {' '.join(argv)} exited with {code}")
    for line in reversed(buffer.getvalue().strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"{module_name} printed no JSON line")


def _job(capability: str, argv: list[str]) -> dict:
    """One (capability, seed) run in a worker process, pinned to one torch thread."""
    os.environ["OMP_NUM_THREADS"] = "1"
    import torch

    torch.set_num_threads(1)
    t0 = time.time()
    try:
        result = run_once(RUNS[capability][0], argv, capability)
    except Exception as exc:  # a failed run is reported, the others go on
        result = {"error": f"{type(exc).__name__}: {exc}"}
    result["wall_seconds"] = round(time.time() - t0, 1)
    return result


def stats(values: list[float], worst: str = "min") -> dict:
    """mean, sample std, min, max and the worst value (min for scores) over seeds."""
    return {"mean": round(statistics.fmean(values), 4), "std": round(statistics.stdev(values), 4) if len(values) > 1 else 0.0,
            "min": round(min(values), 4), "max": round(max(values), 4), "worst": round(min(values) if worst == "min" else max(values), 4)}


def summarize(runs: list[dict]) -> dict:
    """Mean, spread and worst seed of before / baseline / after / every `baselines` entry, and the worst margins."""
    ok = [r for r in runs if "error" not in r]
    if not ok:
        return {"seeds": 0, "failed": len(runs)}
    # a run through --engine trl has no ablation arm: its `baseline` is absent, and so are the rows built on it
    arms = {"before": [r["before"] for r in ok], "baseline": [r["baseline"] for r in ok if "baseline" in r],
            "after": [r["after"] for r in ok]}
    for name in sorted({k for r in ok for k in r.get("baselines", {})}):
        arms[f"baselines.{name}"] = [r["baselines"][name] for r in ok if name in r.get("baselines", {})]
    out = {"seeds": len(ok), "failed": len(runs) - len(ok), "metric": ok[0].get("metric", ""),
           "arms": {k: stats(v) for k, v in arms.items() if v}}
    margins = {"after-before": [r["after"] - r["before"] for r in ok],
               "after-baseline": [r["after"] - r["baseline"] for r in ok if "baseline" in r]}
    for name in sorted({k for r in ok for k in r.get("baselines", {})}):
        margins[f"after-{name}"] = [r["after"] - r["baselines"][name] for r in ok if name in r.get("baselines", {})]
    seeds = {"after-before": [r["seed"] for r in ok], "after-baseline": [r["seed"] for r in ok if "baseline" in r]}
    for name in sorted({k for r in ok for k in r.get("baselines", {})}):
        seeds[f"after-{name}"] = [r["seed"] for r in ok if name in r.get("baselines", {})]
    out["margins"] = {k: {"worst": round(min(v), 4), "worst_seed": seeds[k][v.index(min(v))], "mean": round(statistics.fmean(v), 4)}
                      for k, v in margins.items() if v}
    out["held_on_every_seed"] = all(m > 0 for m in margins["after-before"] + margins["after-baseline"])
    return out


def markdown_table(summaries: dict[str, dict]) -> str:
    """One row per capability and arm: mean ± std, min..max, worst seed; then the worst margins."""
    lines = ["| capability | arm | mean ± std | min .. max | worst |", "|---|---|---|---|---|"]
    for cap, s in summaries.items():
        for arm, v in s.get("arms", {}).items():
            lines.append(f"| {cap} | {arm} | {v['mean']:.3f} ± {v['std']:.3f} | {v['min']:.3f} .. {v['max']:.3f} | {v['worst']:.3f} |")
    lines += ["", "| capability | margin | worst (seed) | mean |", "|---|---|---|---|"]
    for cap, s in summaries.items():
        for name, m in s.get("margins", {}).items():
            lines.append(f"| {cap} | {name} | {m['worst']:+.3f} ({m['worst_seed']}) | {m['mean']:+.3f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["python benchmarks/capability_seeds.py", *argv])
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", nargs="+", default=[], help="capability ids registered in reference_impl/registry.py")
    parser.add_argument("--all", action="store_true", help=f"every capability: {', '.join(CAPABILITIES)}")
    parser.add_argument("--seeds", nargs="+", default=["1", "2", "3"], help="seeds, e.g. 1 2 3 or 101..110")
    parser.add_argument("--jobs", type=int, default=1, help="parallel processes (one torch thread each)")
    parser.add_argument("--quick", action="store_true", help="pass --quick (the CPU configuration)")
    parser.add_argument("--device", default=None, help="pass --device (auto | cpu | cuda)")
    parser.add_argument("--out", default=None, help="output file, one capability only (default benchmarks/results/capability_<id>_seeds.json)")
    args = parser.parse_args(argv)
    caps = CAPABILITIES if args.all else args.capability
    unknown = [c for c in caps if c not in RUNS]
    if not caps or unknown:
        parser.error(f"unknown capability {unknown}; known: {', '.join(RUNS)}" if unknown else "give --capability ID or --all")
    if args.out and len(caps) > 1:
        parser.error("--out takes a single capability")
    seeds = parse_seeds(args.seeds)
    common = (["--quick"] if args.quick else []) + (["--device", args.device] if args.device else []) + extra
    host = machine()  # the same for every file this run writes
    start = time.time()
    jobs = [(cap, seed) for cap in caps for seed in seeds]
    summaries = {}
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        # longest runs first, so that the two workers finish together instead of one waiting on a late long run
        slow_first = sorted(jobs, key=lambda job: -EXPECTED_SECONDS.get(job[0], 0))
        futures = {job: pool.submit(_job, job[0], common + ["--seed", str(job[1])]) for job in slow_first}
        for cap in caps:  # in submission order; each capability's file is written as soon as its seeds are done
            runs = []
            for seed in seeds:
                r = {"seed": seed, **futures[(cap, seed)].result()}
                runs.append(r)
                if "error" in r:
                    print(f"{cap} seed {seed}: FAILED {r['error']}", flush=True)
                else:
                    ablation = (f"baseline {r['baseline']:.3f}  after {r['after']:.3f}  after>before {r['after'] > r['before']}  "
                                f"after>baseline {r['after'] > r['baseline']}" if "baseline" in r else
                                f"no baseline arm  after {r['after']:.3f}  after>before {r['after'] > r['before']}")
                    print(f"{cap} seed {seed}: before {r['before']:.3f}  {ablation}  ({r['wall_seconds']:.0f}s)", flush=True)
            summaries[cap] = summarize(runs)
            out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"capability_{cap}_seeds.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps({"capability": cap, "module": RUNS[cap][0], "quick": args.quick, "command": command,
                                       "machine": host, "summary": summaries[cap], "runs": runs}, indent=1) + "\n")
            print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}; "
                  f"held on every seed: {summaries[cap].get('held_on_every_seed')}", flush=True)
    print()
    print(markdown_table(summaries))
    minutes = (time.time() - start) / 60
    if args.all and not args.out:  # the timing of the whole run, next to the per-capability files
        (ROOT / "benchmarks" / "results" / "capability_seeds_all.json").write_text(json.dumps({
            "command": command, "machine": host, "elapsed_minutes": round(minutes, 2), "runs": len(jobs), "jobs": args.jobs,
            "cpus": os.cpu_count(), "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
            "budget_minutes": BUDGET_MINUTES, "wall_seconds": {cap: [r.get("wall_seconds") for r in json.loads(
                (ROOT / "benchmarks" / "results" / f"capability_{cap}_seeds.json").read_text())["runs"]] for cap in caps},
            "summaries": summaries}, indent=1) + "\n")
    print(f"\nelapsed {minutes:.1f} min for {len(jobs)} runs with {args.jobs} job(s)"
          + (f"; target for --all over 10 seeds with 2 jobs on 2 cores: < {BUDGET_MINUTES} min" if args.all else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
