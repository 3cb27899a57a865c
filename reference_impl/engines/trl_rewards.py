"""The other four capabilities' environments as TRL reward functions, and what each one loses.

`trl_engine.py` trains reasoning, tool use and self-improvement through GRPOTrainer. Memory, planning,
long-horizon and perception can also be handed to GRPOTrainer as `reward_funcs` over prompts made by `rows`,
but only in a single-completion form in which their mechanism is gone, which is why the engine does not run
them (see docs/implementations/llm.md for the engines that keep it):

  planning      the whole plan in one completion ("RRDDL", one move per character), executed open loop: the
                policy never sees where a move took it. The handwritten script replans each turn.
  long-horizon  the whole key sequence in one completion, one outcome reward for the episode: exactly the
                trajectory-level baseline; the step-level (GiGPO-style) credit is not expressible.
  memory        the whole stream in the prompt and one answer: the full-context reader, not an agent that
                rewrites a bounded memory between model calls.
  perception    the picture rendered as text (one character per pixel) for a text-only model; the script's
                convolutional encoder feeding prefix embeddings has no place in a hub VLM processor.

Each `*_reward(...)` returns a function `f(completions, <column>, **kwargs) -> list[float]` as GRPOTrainer calls
it (completions may be plain strings or chat messages; an <answer> tag is read when present).
"""

from __future__ import annotations

import numpy as np

from reference_impl.envs.long_horizon import LongHorizonEnv
from reference_impl.envs.memory import ChunkedMemoryEnv
from reference_impl.envs.perception import PerceptionEnv
from reference_impl.envs.planning import PlanningEnv
from reference_impl.envs.text import tagged


def _text(completion) -> str:
    """A completion's text (chat completions are lists of messages), reduced to its <answer> when tagged."""
    text = completion[-1]["content"] if isinstance(completion, list) else str(completion)
    inner = tagged(text)
    return text if inner is None else inner


def _play(env, completion) -> float:
    """Step a reset env with one action per character of the completion (whitespace skipped); the return."""
    total = 0.0
    for action in "".join(_text(completion).split()):
        _, r, term, trunc, _ = env.step(action)
        total += r
        if term or trunc:
            break
    return total


def _one_step(env, name: str):
    """A reward function for one-step episodes: env.reset(seed=row's seed), then the completion as the action."""

    def reward(completions, seed, **_):
        out = []
        for completion, s in zip(completions, seed):
            env.reset(seed=int(s))
            out.append(env.step(_text(completion).strip())[1])
        return out

    reward.__name__ = name
    return reward


def planning_reward(n_layouts: int = 16, layout_seed: int = 0, max_turns: int = 12):
    env = PlanningEnv(n_layouts=n_layouts, layout_seed=layout_seed, max_turns=max_turns)

    def open_loop_plan_reward(completions, layout, **_):
        out = []
        for completion, lay in zip(completions, layout):
            env.reset(options={"layout": int(lay)})
            out.append(_play(env, completion))
        return out

    return open_loop_plan_reward


def planning_rows(n: int, n_layouts: int = 16, layout_seed: int = 0, max_turns: int = 12, seed: int = 0) -> list[dict]:
    env, rng = PlanningEnv(n_layouts=n_layouts, layout_seed=layout_seed, max_turns=max_turns), np.random.default_rng(seed)
    rows = []
    for lay in rng.integers(n_layouts, size=n).tolist():
        grid = env.reset(options={"layout": lay})[0]
        rows.append({"prompt": f"{grid}\nReach G from A without stepping on T or through #. Moves (U D L R), "
                               f"at most {max_turns}:", "layout": lay})
    return rows


def long_horizon_reward(n_rooms: int = 8, n_keys: int = 4, max_turns: int = 20, task_seed: int = 0):
    env = LongHorizonEnv(n_rooms, n_keys, max_turns, task_seed)

    def key_sequence_reward(completions, **_):
        out = []
        for completion in completions:
            env.reset()
            out.append(_play(env, completion))
        return out

    return key_sequence_reward


def long_horizon_rows(n: int, n_rooms: int = 8, n_keys: int = 4, max_turns: int = 20) -> list[dict]:
    keys = " ".join(LongHorizonEnv(n_rooms, n_keys, max_turns).keys)
    return [{"prompt": f"{n_rooms} locked rooms in a row, each opened by one of the keys {keys}. Write the keys "
                       f"to try, one character each, at most {max_turns}:"} for _ in range(n)]


def memory_reward(n_chunks: int = 12, pairs_per_chunk: int = 1):
    return _one_step(ChunkedMemoryEnv(n_chunks, pairs_per_chunk, memory_size=1, mode="truncate"), "final_answer_reward")


def memory_rows(n: int, n_chunks: int = 12, pairs_per_chunk: int = 1, seed: int = 0) -> list[dict]:
    env, rows = ChunkedMemoryEnv(n_chunks, pairs_per_chunk, memory_size=1, mode="truncate"), []
    for s in range(seed, seed + n):
        env.reset(seed=s)
        rows.append({"prompt": f"{''.join(env.chunks)}\nIn the pairs above (a letter, then its digit), what digit "
                               f"follows {env.query}? Answer with the digit only.", "seed": s})
    return rows


def image_text(image: np.ndarray) -> str:
    """The picture as text: one character per pixel, darker to brighter ' .:#', rows on separate lines."""
    levels = np.clip((image * 4).astype(int), 0, 3)
    return "\n".join("".join(" .:#"[v] for v in row) for row in levels)


def perception_reward(n_shapes: int = 2, noise: float = 0.0):
    return _one_step(PerceptionEnv(n_shapes=n_shapes, noise=noise), "box_iou_reward")


def perception_rows(n: int, n_shapes: int = 2, noise: float = 0.0, seed: int = 0) -> list[dict]:
    env, rows = PerceptionEnv(n_shapes=n_shapes, noise=noise), []
    for s in range(seed, seed + n):
        env.reset(seed=s)
        rows.append({"prompt": f"{image_text(env.image)}\nGive the box around the {env.query} as four hexadecimal "
                               "digits x0 y0 x1 y1 (columns and rows, 0-f), e.g. 3a7e:", "seed": s})
    return rows
