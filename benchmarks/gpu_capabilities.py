"""Run every capability script at full size on one GPU and record speed, time to target and memory.

    python benchmarks/gpu_capabilities.py                 # full configurations on cuda
    python benchmarks/gpu_capabilities.py --tiny          # each script's --quick on cpu (a smoke run)
    python benchmarks/gpu_capabilities.py --only planning perception
    python benchmarks/gpu_capabilities.py --policy hf     # Qwen/Qwen2.5-0.5B-Instruct, every capability, one GPU
    python benchmarks/gpu_capabilities.py --policy hf --tiny   # the same path with the tiny local Qwen2 on cpu

With `--policy hf` each script gets `--policy hf` (and `--model` when given) plus the budget in HF_FULL below:
fewer steps than the character model's full configuration, a learning rate for a pretrained model, and LoRA
where a script's warm-up learning rate is fixed at 3e-3. The seven runs together are sized to finish within
10 minutes on one H200-class GPU (an estimate: no GPU has run them yet, see README).

For each capability id registered in `reference_impl/registry.py` under `reference_impl.capabilities`,
the module is imported only when its turn comes, so a missing or broken script is recorded as such
and the others still run. From each script's JSON line it keeps before / baseline / after, the wall
time, seconds per update (wall time over the script's update count, warm-up and evaluation included),
tokens per second (as the script counts them, else the tokens drawn by `core.generate` over wall time),
and peak GPU memory (`torch.cuda.max_memory_allocated`, reset before each run). Time to target is read off the
mechanism's training curve: the first curve point whose value reaches the target (the script's own
`target` when it reports one, else its final `baseline` value), converted to seconds by assuming
the run's time is spread evenly over its steps (warm-up included), so it is an estimate.

Writes benchmarks/results/gpu_capabilities[_hf][_tiny].json (so a smoke run never overwrites real GPU
numbers) and prints a table headed by the device name.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import platform
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.registry import RUNS  # noqa: E402

CAPABILITIES = [name for name, (module, _) in RUNS.items() if module.startswith("reference_impl.capabilities.")]

# --policy hf on a GPU: per-capability budget for a 0.5B pretrained model (about 80 s each on an H200, estimated).
HF_FULL = {
    "reasoning": "--warmup-steps 100 --warmup-lr 1e-5 --rl-steps 40 --prompts-per-step 32 --group-size 8 --lr 1e-6 --eval-every 10",
    "tool-use": "--warmup-steps 100 --warmup-lr 1e-5 --rl-steps 30 --prompts-per-step 16 --group-size 8 --lr 1e-6 "
                "--eval-questions 128 --eval-every 10 --min-operand 100 --max-operand 999",
    "self-improvement": "--warmup-steps 100 --warmup-lr 1e-5 --test-questions 64 --rl-steps 30 --prompts-per-step 16 "
                        "--group-size 8 --lr 1e-6 --eval-every 10 --eval-samples 8",
    "memory": "--warmup-steps 100 --clean-steps 50 --warmup-lr 1e-5 --rl-steps 20 --prompts-per-step 8 --group-size 8 "
              "--lr 1e-6 --eval-episodes 64 --eval-every 10",
    "planning": "--lora-rank 16 --warmup-steps 40 --iterations 30 --lr 1e-4 --eval-per-layout 4 --value-steps 200",
    "perception": "--lora-rank 16 --warmup-steps 60 --iterations 40 --lr 1e-4 --eval-images 128",
    "long-horizon": "--lora-rank 16 --warmup-steps 30 --iterations 30 --lr 1e-4 --eval-episodes 64",
}


def curve_value(point) -> tuple[float, float] | None:
    """(step, value) of one curve point, whether written as {"step": s, key: v} or [s, v]."""
    if isinstance(point, dict):
        nums = [v for k, v in point.items() if k != "step" and isinstance(v, (int, float))]
        return (float(point["step"]), float(nums[0])) if "step" in point and nums else None
    if isinstance(point, (list, tuple)) and len(point) >= 2:
        return float(point[0]), float(point[1])
    return None


def time_to_target(out: dict) -> tuple[float | None, float | None]:
    """(target, estimated seconds until the mechanism's curve first reaches it), or Nones."""
    target = out.get("target", out.get("baseline"))
    curve = [p for p in (curve_value(x) for x in out.get("curve") or []) if p]
    if target is None or not curve or not out.get("steps") or not out.get("seconds"):
        return target, None
    for step, value in curve:
        if value >= float(target):
            return target, round(out["seconds"] * step / float(out["steps"]), 2)
    return target, None


class TokenCounter:
    """Wraps `core.generate` (before a script imports it) to count the tokens it samples."""

    def __init__(self):
        import reference_impl.core as core
        import reference_impl.core.sampling as sampling

        self.tokens, original = 0, sampling.generate

        def counted(*args, **kwargs):
            out = original(*args, **kwargs)
            self.tokens += int(out.response_mask.sum())
            return out

        core.generate = sampling.generate = counted


def run_one(name: str, argv: list[str], use_cuda: bool, counter: TokenCounter) -> dict:
    import torch

    record = {"capability": name, "argv": argv}
    try:
        module = importlib.import_module(RUNS[name][0])
    except Exception as exc:  # a missing script is reported, not fatal
        return record | {"status": f"missing: {type(exc).__name__}: {exc}"}
    counter.tokens = 0
    if use_cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    buf, t0 = io.StringIO(), time.time()
    try:
        with contextlib.redirect_stdout(buf):
            code = module.main(argv)
    except (Exception, SystemExit) as exc:
        return record | {"status": f"error: {type(exc).__name__}: {exc}", "trace": traceback.format_exc()[-2000:]}
    wall = time.time() - t0
    lines = [x for x in buf.getvalue().splitlines() if x.startswith("{")]
    if code != 0 or not lines:
        return record | {"status": f"error: exit code {code}, {len(lines)} JSON lines"}
    out = json.loads(lines[-1])
    target, tt = time_to_target(out)
    record |= {
        "status": "ok", "metric": out.get("metric"), "policy": out.get("policy"), "model": out.get("model"),
        "before": out.get("before"), "baseline": out.get("baseline"),
        "after": out.get("after"), "steps": out.get("steps"), "seconds": round(wall, 2),
        "seconds_per_update": round(wall / out["steps"], 3) if out.get("steps") else None,
        "tokens_per_second": out.get("tokens_per_second") or (round(counter.tokens / wall, 1) if counter.tokens else None),
        "target": target, "time_to_target_s": tt,
        "peak_memory_mb": round(torch.cuda.max_memory_allocated() / 2**20, 1) if use_cuda else None,
        "output": out,
    }
    return record


def fmt(v, digits=3) -> str:
    if v is None:
        return "-"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tiny", action="store_true", help="each script's --quick on cpu: a smoke run, no GPU needed")
    p.add_argument("--device", default=None, help="cuda | cpu (default: cuda, or cpu with --tiny)")
    p.add_argument("--seed", type=int, default=1, help="seed passed to every script")
    p.add_argument("--only", nargs="+", default=None, help="capability ids to run (default: all seven)")
    p.add_argument("--out", default=None, help="JSON file (default benchmarks/results/gpu_capabilities[_hf][_tiny].json)")
    p.add_argument("--policy", default="tiny", help="tiny (character transformer) | hf (Hugging Face model)")
    p.add_argument("--model", default="", help="with --policy hf: hub id or folder (default: Qwen2.5-0.5B-Instruct, "
                                               "or the tiny local Qwen2 with --tiny)")
    args = p.parse_args(argv)
    if args.policy not in ("tiny", "hf"):
        raise SystemExit("--policy must be tiny or hf")

    import torch

    device = args.device or ("cpu" if args.tiny else "cuda")
    if device == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device here; use --tiny (or --device cpu) for a CPU smoke run")
    use_cuda = device == "cuda"
    gpu = torch.cuda.get_device_name(0) if use_cuda else f"cpu ({platform.processor() or platform.machine()})"
    names = args.only or CAPABILITIES
    unknown = [n for n in names if n not in RUNS]
    if unknown:
        raise SystemExit(f"unknown capability ids: {unknown}; known: {CAPABILITIES}")

    results, counter = [], TokenCounter()
    for name in names:
        script_argv = ["--seed", str(args.seed), "--device", device] + (["--quick"] if args.tiny else [])
        if args.policy == "hf":
            script_argv += ["--policy", "hf"] + (["--model", args.model] if args.model else [])
            script_argv += [] if args.tiny else HF_FULL[name].split()
        print(f"[{name}] {' '.join(script_argv)}", file=sys.stderr, flush=True)
        results.append(run_one(name, script_argv, use_cuda, counter))

    stem = "gpu_capabilities" + ("_hf" if args.policy == "hf" else "") + ("_tiny" if args.tiny else "")
    out_path = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"{stem}.json"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    summary = {"device": gpu, "torch": torch.__version__, "tiny": args.tiny, "seed": args.seed, "policy": args.policy,
               "total_seconds": round(sum(r.get("seconds") or 0 for r in results), 1),
               "date": time.strftime("%Y-%m-%d %H:%M"), "runs": results}
    out_path.write_text(json.dumps(summary, indent=1) + "\n")

    print(f"device: {gpu}   torch {torch.__version__}   {'tiny (--quick)' if args.tiny else 'full'} configurations")
    head = ["capability", "status", "metric", "before", "baseline", "after", "seconds", "s/update", "tokens/s",
            "to target s", "peak MB"]
    rows = [[r["capability"], r["status"][:40], r.get("metric"), fmt(r.get("before")), fmt(r.get("baseline")),
             fmt(r.get("after")), fmt(r.get("seconds"), 1), fmt(r.get("seconds_per_update"), 2),
             fmt(r.get("tokens_per_second"), 0),
             fmt(r.get("time_to_target_s"), 1), fmt(r.get("peak_memory_mb"), 0)] for r in results]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head, ["-" * w for w in widths], *rows]:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    print(f"wrote {out_path.relative_to(ROOT) if out_path.is_relative_to(ROOT) else out_path}")
    return 0 if all(r["status"] == "ok" for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
