"""Tool use: tool-integrated RL with a calculator called in the middle of the policy's generation.

Papers: ToRL, ReTool, ARTIST (code/calculator calls inside a rollout, outcome reward); Search-R1 (retrieved
tokens masked out of the loss).

Task: multiply two numbers up to `max_operand`, far beyond what a tiny model can memorise. The policy may
write a call ``[23*17]``; generation stops at ``]``, the environment (`CalculatorToolEnv`) evaluates it and
appends ``{391}``, and the policy continues with its answer ``=391``. Reward: 1 for a correct answer.

Masking (the point of this file). The result tokens ``{391}`` condition what the policy writes next but
were not sampled by it, so they get role ENV: they are excluded from the loss and from its token counts.
With GRPO's per-sequence mean, response i contributes
    1/|y_i^POLICY| sum_{t in POLICY(y_i)} l_it,
where l_it is the clipped surrogate of eq. (2) in `reasoning.py`; ENV tokens appear in neither sum.

Setup. A supervised warm-up on a teacher that always answers correctly but calls the calculator only
`demo_tool_rate` of the time (otherwise it states the product from memory). Then, from that warm-up:
  * baseline: the same GRPO budget, but the calculator is switched off (every call returns ``{?}``);
  * mechanism: GRPO with the working calculator.
Reported: sampled accuracy (temperature 1) and the tool-call rate over training.
Departures: one tool, at most `max_calls` calls, a character-level toy task, no KL term.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference_impl.core import (ENV, POLICY, PROMPT, TokenBuffer,
                                 autocast, collate, generate, pad_sequences, pick_device, seed_everything,
                                 token_logprobs)
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.envs.tool_use import CHARSET, CalculatorToolEnv, tool_result
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.objectives import grpo


@dataclass
class Config(PolicyFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    min_operand: int = field(default=2, metadata={"help": "smallest factor"})
    max_operand: int = field(default=99, metadata={"help": "largest factor"})
    max_calls: int = field(default=2, metadata={"help": "tool calls allowed per episode"})
    demo_tool_rate: float = field(default=0.3, metadata={"help": "how often the warm-up teacher uses the calculator"})
    n_layer: int = field(default=4, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=128, metadata={"help": "transformer width"})
    warmup_steps: int = field(default=2000, metadata={"help": "supervised warm-up updates"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    rl_steps: int = field(default=400, metadata={"help": "GRPO updates, for both the tool and the no-tool run"})
    prompts_per_step: int = field(default=64, metadata={"help": "questions per update"})
    group_size: int = field(default=16, metadata={"help": "G, rollouts per question"})
    lr: float = field(default=3e-4, metadata={"help": "RL learning rate"})
    eps: float = field(default=0.2, metadata={"help": "clip range of the ratio"})
    segment_tokens: int = field(default=12, metadata={"help": "token limit of one generated segment"})
    eval_questions: int = field(default=200, metadata={"help": "held-out questions for evaluation"})
    eval_every: int = field(default=50, metadata={"help": "evaluate every this many updates"})


QUICK = dict(max_operand=30, n_layer=2, n_embd=64, warmup_steps=400, rl_steps=30, prompts_per_step=16,
             group_size=8, lr=1e-3, eval_questions=200, eval_every=5)


def parse_config(argv) -> Config:
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)


def draw_questions(cfg: Config, n: int, gen: torch.Generator) -> list[list[int]]:
    return torch.randint(cfg.min_operand, cfg.max_operand + 1, (n, 2), generator=gen).tolist()


def demonstration(tok, a: int, b: int, use_tool: bool) -> TokenBuffer:
    """A teacher episode. Tool results get role ENV, so the warm-up does not train on them either."""
    buf = TokenBuffer().add([tok.bos_id] + tok.encode(f"{a}*{b}?"), PROMPT)
    if use_tool:
        call = f"[{a}*{b}]"
        buf.add(tok.encode(call), POLICY).add(tok.encode(tool_result(call)), ENV)
    return buf.add(tok.encode(f"={a * b}") + [tok.eos_id], POLICY)


def masked_nll(model, batch) -> torch.Tensor:
    logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
    return -(logp * batch.loss_mask).sum() / batch.loss_mask.sum()


# ---------------------------------------------------------------- multi-turn rollout with the tool in the loop
@torch.no_grad()
def rollout(model, tok, questions, n_per, cfg, device, tools_enabled, temperature=1.0):
    """Run n_per episodes per question. The policy generates until ']' (a call) or <eos> (the answer);
    after a call the environment's result is appended with role ENV and generation resumes."""
    envs, bufs = [], []
    for q in questions:
        for _ in range(n_per):
            env = CalculatorToolEnv(min_operand=cfg.min_operand, max_operand=cfg.max_operand,
                                    max_calls=cfg.max_calls, tools_enabled=tools_enabled)
            obs, _ = env.reset(options={"operands": q})
            envs.append(env)
            bufs.append(TokenBuffer().add([tok.bos_id] + tok.encode(obs), PROMPT))
    reward, correct, calls = [0.0] * len(envs), [False] * len(envs), [0] * len(envs)
    active = list(range(len(envs)))
    call_id = tok.token_id("]")
    for _ in range(cfg.max_calls + 1):  # the env ends any episode that calls more than max_calls times
        if not active:
            break
        ids, mask = pad_sequences([bufs[i].ids for i in active], tok.pad_id, side="left", device=device)
        with autocast(device):
            ro = generate(model, ids, mask, cfg.segment_tokens, temperature=temperature,
                          stop_ids=[call_id, tok.eos_id], pad_id=tok.pad_id)
        still = []
        for row, i in enumerate(active):
            seg = [t for t, m in zip(ro.responses[row].tolist(), ro.response_mask[row].tolist()) if m]
            bufs[i].add(seg, POLICY)
            text = tok.decode(seg, skip_special=True)
            before = len(envs[i].transcript)
            _, r, done, _, info = envs[i].step(text)
            reward[i] += r
            if info.get("tool_call"):
                calls[i] += 1
                if not done:  # the appended result: ENV tokens, masked out of the loss
                    bufs[i].add(tok.encode(envs[i].transcript[before + len(text):]), ENV)
            if done:
                correct[i] = bool(info.get("correct", False))
            else:
                still.append(i)
        active = still
    return bufs, torch.tensor(reward), torch.tensor(correct, dtype=torch.float), torch.tensor(calls, dtype=torch.float)


def evaluate(model, tok, qs, cfg, device, tools_enabled) -> dict:
    _, _, correct, calls = rollout(model, tok, qs, 1, cfg, device, tools_enabled)
    return {"accuracy": round(float(correct.mean()), 4), "tool_call_rate": round(float((calls > 0).float().mean()), 4)}


def train_grpo(model, tok, cfg, device, gen, tools_enabled, eval_qs) -> list[dict]:
    """GRPO updates; the ENV tokens drop out through batch.loss_mask (policy tokens only)."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    curve = [{"step": 0, **evaluate(model, tok, eval_qs, cfg, device, tools_enabled)}]
    for step in range(1, cfg.rl_steps + 1):
        qs = draw_questions(cfg, cfg.prompts_per_step, gen)
        bufs, rewards, _, _ = rollout(model, tok, qs, cfg.group_size, cfg, device, tools_enabled)
        adv = grpo.group_advantages(rewards, cfg.group_size).to(device)
        batch = collate(bufs, tok.pad_id, device=device)
        with torch.no_grad(), autocast(device):
            old_logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        with autocast(device):
            logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        loss, _ = grpo.grpo_loss(logp.float(), old_logp.float(), adv, batch.loss_mask.float(), cfg.eps, mode="grpo")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            curve.append({"step": step, **evaluate(model, tok, eval_qs, cfg, device, tools_enabled),
                          "train_reward": round(float(rewards.mean()), 4)})
    return curve


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    model = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=64).to(device)
    eval_qs = draw_questions(cfg, cfg.eval_questions, torch.Generator().manual_seed(10_000 + cfg.seed))

    # 1. Supervised warm-up: a correct teacher that rarely uses the calculator.
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.warmup_lr)
    for _ in range(cfg.warmup_steps):
        qs = draw_questions(cfg, 64, gen)
        use = (torch.rand(len(qs), generator=gen) < cfg.demo_tool_rate).tolist()
        batch = collate([demonstration(tok, a, b, u) for (a, b), u in zip(qs, use)], tok.pad_id, device=device)
        with autocast(device):
            loss = masked_nll(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    before = evaluate(model, tok, eval_qs, cfg, device, tools_enabled=True)

    # 2. Baseline: same warm-up, same GRPO budget, calculator switched off.
    no_tool_curve = train_grpo(copy.deepcopy(model), tok, cfg, device, gen, False, eval_qs)
    # 3. Mechanism: GRPO with the calculator in the loop, result tokens masked.
    t0 = time.time()
    curve = train_grpo(model, tok, cfg, device, gen, True, eval_qs)
    rl_seconds = time.time() - t0
    result = {
        "capability": "tool-use", **policy_record(cfg), "metric": "sampled accuracy",
        "before": before["accuracy"], "baseline": no_tool_curve[-1]["accuracy"], "after": curve[-1]["accuracy"],
        "tool_call_rate": {"before": before["tool_call_rate"], "after": curve[-1]["tool_call_rate"]},
        "baseline_method": "same warm-up and GRPO budget with the calculator switched off",
        "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "rl_episodes_per_second": round(cfg.rl_steps * cfg.prompts_per_step * cfg.group_size / rl_seconds, 1),
        "curve": curve, "baseline_curve": no_tool_curve,
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
