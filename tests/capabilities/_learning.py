"""Helpers for the learning tests of the capability scripts (memory, planning, perception, long-horizon).

`learning_seed()` draws a fresh seed per run unless RL_ATLAS_TEST_SEED is set, so no test depends on one
hand-picked seed; `run_script` pins torch to one thread and deterministic kernels, runs the script's
`main(argv)` and returns the JSON object it printed last; `consecutive_runs` runs it on a fresh seed and the next
ones, for the tests that assert a mean over seeds.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random


def learning_seed() -> int:
    """RL_ATLAS_TEST_SEED if set, else a random seed (>= 1000, above those the seed benchmark uses). Drawn from
    the operating system's entropy, not from the `random` module: the scripts' seed_everything() reseeds that
    module, so the draw depended only on which scripts ran earlier in the session (two separate sessions
    running the same test files both drew 141891 for the perception test)."""
    return int(os.environ.get("RL_ATLAS_TEST_SEED") or random.SystemRandom().randrange(1000, 10**6))


def run_script(main, argv: list[str]) -> dict:
    import torch

    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    return json.loads(buf.getvalue().strip().splitlines()[-1])


def consecutive_runs(main, argv: list[str], n: int = 3) -> tuple[list[dict], str]:
    """`run_script` on n consecutive seeds from `learning_seed()` (argv gets `--seed S --device cpu`): the JSON
    lines and the first part of an assertion message, which says how to replay them."""
    first = learning_seed()
    outs = [run_script(main, argv + ["--seed", str(seed), "--device", "cpu"]) for seed in range(first, first + n)]
    return outs, f"seeds {first}..{first + n - 1} (replay with RL_ATLAS_TEST_SEED={first})"


def mean_lead(outs: list[dict], better: str, worse: str) -> float:
    """The mean over runs of out[better] - out[worse]."""
    return sum(o[better] - o[worse] for o in outs) / len(outs)


def clip_acts(main, argv: list[str]) -> dict:
    """Run a tiny budget with 4 PPO epochs x 2 minibatches and a large learning rate: from the second
    optimiser step on the ratio leaves 1, so some tokens must hit the clip. Returns the JSON line."""
    out = run_script(main, argv + ["--ppo-epochs", "4", "--minibatches", "2", "--lr", "0.03", "--device", "cpu"])
    assert out["clip_fraction"] > 0, out
    return out
