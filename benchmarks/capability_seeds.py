"""Run one capability script over several seeds and save what it prints.

    python benchmarks/capability_seeds.py --capability reasoning --seeds 1 2 3 --quick

Each run's JSON line is kept in benchmarks/results/capability_<id>_seeds.json, and for every seed this
prints whether `after > before` and `after > baseline` held. The module comes from
`reference_impl.registry.RUNS`, so any script registered there with `main(argv) -> int` works.
Extra arguments after `--` go to the script unchanged (e.g. `-- --loss dapo`, `-- --policy hf`); with
`-- --engine trl` the run goes through TRL's GRPOTrainer (`reference_impl/engines/trl_engine.py`), which
reports no baseline arm.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from reference_impl.registry import RUNS, take_flag  # noqa: E402


def run_once(module_name: str, argv: list[str], capability: str = "") -> dict:
    """Call `main(argv)` and return the last JSON object it printed on stdout."""
    engine, argv = take_flag(argv, "--engine", "handwritten")
    if engine == "trl":
        from reference_impl.engines import trl_engine

        run = lambda a: trl_engine.main(capability, a)  # noqa: E731
    else:
        run = importlib.import_module(module_name).main
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        code = run(argv)
    if code != 0:
        raise SystemExit(f"{module_name} {' '.join(argv)} exited with {code}")
    for line in reversed(buffer.getvalue().strip().splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise SystemExit(f"{module_name} printed no JSON line")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = " ".join(["python benchmarks/capability_seeds.py", *argv])
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--capability", required=True, help="a capability id registered in reference_impl/registry.py")
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3], help="seeds to run")
    parser.add_argument("--quick", action="store_true", help="pass --quick (the CPU configuration)")
    parser.add_argument("--device", default=None, help="pass --device (auto | cpu | cuda)")
    parser.add_argument("--out", default=None, help="output file (default benchmarks/results/capability_<id>_seeds.json)")
    args = parser.parse_args(argv)
    if args.capability not in RUNS:
        parser.error(f"unknown capability {args.capability!r}; known: {', '.join(RUNS)}")
    module_name = RUNS[args.capability][0]
    common = (["--quick"] if args.quick else []) + (["--device", args.device] if args.device else []) + extra
    runs, held = [], True
    for seed in args.seeds:
        t0 = time.time()
        result = run_once(module_name, common + ["--seed", str(seed)], args.capability)
        base = result.get("baseline")
        ok_before, ok_base = result["after"] > result["before"], base is None or result["after"] > base
        held = held and ok_before and ok_base
        print(f"seed {seed}: before {result['before']:.3f}  baseline {'-' if base is None else f'{base:.3f}'}  "
              f"after {result['after']:.3f}"
              f"  after>before {ok_before}  after>baseline {ok_base}  ({time.time() - t0:.0f}s)", flush=True)
        runs.append({"seed": seed, **result})
    out = Path(args.out) if args.out else ROOT / "benchmarks" / "results" / f"capability_{args.capability}_seeds.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"capability": args.capability, "module": module_name, "quick": args.quick,
                               "command": command, "runs": runs}, indent=1) + "\n")
    print(f"wrote {out.relative_to(ROOT) if out.is_relative_to(ROOT) else out}; held on every seed: {held}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
