"""Memory, planning, long-horizon and perception as TRL reward functions (single-completion forms)."""

import numpy as np
import pytest

from reference_impl.engines import trl_rewards as R
from reference_impl.envs.long_horizon import LongHorizonEnv
from reference_impl.envs.memory import ChunkedMemoryEnv
from reference_impl.envs.perception import HEX, PerceptionEnv
from reference_impl.envs.planning import ACTIONS, PlanningEnv, step_cell


def _solve(env: PlanningEnv) -> str:
    """Shortest trap-free move string to the goal (breadth-first over cells)."""
    frontier, seen = [(env.pos, "")], {env.pos}
    while frontier:
        nxt = []
        for p, path in frontier:
            for a in ACTIONS:
                q, out = step_cell(env.grid, p, a)
                if out == "goal":
                    return path + a
                if out == "move" and q not in seen:
                    seen.add(q)
                    nxt.append((q, path + a))
        frontier = nxt
    raise AssertionError("layout without a path")


def test_planning_open_loop_plan():
    rows = R.planning_rows(4)
    env = PlanningEnv()
    plans = []
    for r in rows:
        env.reset(options={"layout": r["layout"]})
        plans.append(_solve(env))
    reward = R.planning_reward()
    assert reward(plans, [r["layout"] for r in rows]) == [1.0] * 4
    chat = [[{"role": "assistant", "content": f"Plan: <answer>{' '.join(p)}</answer>"}] for p in plans]
    assert reward(chat, [r["layout"] for r in rows]) == [1.0] * 4
    assert reward(["", "xyz"], [rows[0]["layout"]] * 2) == [0.0, pytest.approx(-0.3)]
    assert "A" in rows[0]["prompt"] and "G" in rows[0]["prompt"]


def test_long_horizon_key_sequence():
    env, reward = LongHorizonEnv(), R.long_horizon_reward()
    assert reward([env.solution, env.solution[:-1], "?" * 30]) == [1.0, 0.0, pytest.approx(-0.1 * 20)]
    assert len(R.long_horizon_rows(3)) == 3


def test_memory_final_answer():
    rows, env, reward = R.memory_rows(3), ChunkedMemoryEnv(12, 1, memory_size=1, mode="truncate"), R.memory_reward()
    answers = []
    for r in rows:
        env.reset(seed=r["seed"])
        answers.append(env.answer)
        assert f"follows {env.query}?" in r["prompt"] and env.query + env.answer in r["prompt"]
    seeds = [r["seed"] for r in rows]
    assert reward(answers, seeds) == [1.0] * 3
    assert reward([str((int(a) + 1) % 10) for a in answers], seeds) == [0.0] * 3


def test_perception_box_from_text_picture():
    rows, env, reward = R.perception_rows(3), PerceptionEnv(), R.perception_reward()
    boxes = []
    for r in rows:
        _, info = env.reset(seed=r["seed"])
        boxes.append("".join(HEX[v] for v in info["box"]))
        assert len(r["prompt"].splitlines()[0]) == 16 and env.query in r["prompt"]
    assert reward(boxes, [r["seed"] for r in rows]) == [1.0] * 3
    assert reward([f"<answer>{boxes[0]}</answer>"], [rows[0]["seed"]]) == [1.0]
    assert R.image_text(np.array([[0.0, 0.3, 0.6, 1.0]])) == " .:#"


def test_a_reward_function_drives_grpo_trainer(tmp_path):
    """One GRPOTrainer step on planning prompts with the open-loop plan reward, tiny local Qwen2."""
    pytest.importorskip("trl")
    from dataclasses import dataclass

    import torch
    from datasets import Dataset

    from reference_impl.engines.trl_engine import grpo_args, make_trainer
    from reference_impl.hf import PolicyFlags, build_model, build_tokenizer

    @dataclass
    class Cfg(PolicyFlags):
        quick: bool = True
        device: str = "cpu"
        seed: int = 0
        lr: float = 1e-3

    cfg = Cfg(policy="hf")
    tok = build_tokenizer(cfg, "UDLR")
    policy = build_model(cfg, tok, n_layer=1, n_embd=32, block_size=256)
    trainer = make_trainer(policy, tok, [R.planning_reward()], Dataset.from_list(R.planning_rows(4)),
                           grpo_args(cfg, torch.device("cpu"), str(tmp_path), 1, 2, 2, 4))
    trainer.train()
    assert trainer.state.global_step == 1
