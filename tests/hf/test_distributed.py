"""Two processes (torchrun, gloo on CPU), each with half the batch, make the same update as one process with
the whole batch: for GRPO's per-sequence mean and for a token-level mean over the global token count."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

pytest.importorskip("transformers", reason="the `llm` extra is not installed")

from reference_impl.engines import distributed

ROOT = Path(__file__).resolve().parents[2]
torch.set_num_threads(1)


def _max_diff(a: dict, b: dict) -> float:
    return max((a[k] - b[k]).abs().max().item() for k in a)


def test_two_processes_half_batch_each_equal_one_process_whole_batch(tmp_path):
    env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
    env.pop("WORLD_SIZE", None)
    for world, name in ((1, "one.pt"), (2, "two.pt")):
        launch = ([sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={world}"]
                  if world > 1 else [sys.executable])
        run = subprocess.run(launch + ["-m", "reference_impl.engines.distributed", "--policy", "hf",
                                       "--out", str(tmp_path / name)], cwd=ROOT, env=env, capture_output=True,
                             text=True, timeout=600)
        assert run.returncode == 0, run.stderr[-3000:]
    one, two = torch.load(tmp_path / "one.pt"), torch.load(tmp_path / "two.pt")
    assert (one["world"], two["world"]) == (1, 2)
    for mode in ("grpo", "token"):
        moved = _max_diff(one[mode], one["start"])
        assert moved > 1e-3, (mode, moved)  # the update is not trivially zero
        assert _max_diff(one[mode], two[mode]) < 1e-3 * moved, mode


def test_shards_are_equal_and_keep_groups_whole():
    assert distributed.shard(8, 1, 2, group_size=4) == slice(4, 8)
    with pytest.raises(ValueError):
        distributed.shard(8, 0, 2, group_size=3)
    with pytest.raises(ValueError):
        distributed.shard(6, 0, 4)
