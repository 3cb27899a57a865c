"""Self-improvement: test-time RL without labels, rewarded by the policy's own majority vote (TTRL).

Paper: TTRL (Zuo et al. 2025): on unlabeled test questions, sample N answers, take the most common one
as a pseudo-label, reward each answer by agreement with it, and run GRPO on that reward.

For a question q with sampled answers y_1..y_G and extracted answers a(y_i):
    a* = argmax_a sum_i 1[a(y_i) = a]            (majority vote, the pseudo-label)
    r_i = 1[a(y_i) = a*]                          (no ground truth anywhere)
and r_i feeds the group advantage and clipped surrogate of eq. (1)-(2) in `reasoning.py`. The vote is
computed by the environment (`UnlabeledArithmeticEnv`), which never reveals the true answer; its
`grade` method is called only to measure accuracy for the report.

Why it can work: when the policy's most likely answer is right more often than a single sample is
(maj@G > mean@G), sharpening the policy towards its own mode raises single-sample accuracy.

Setup. A supervised warm-up on a noisy teacher whose answer is right `demo_correct` (40%) of the time and
otherwise off by 1..`demo_spread` either way. The slips are scattered over ten wrong sums, so the right sum
stays the single most common answer: the warm-up policy's samples are mostly wrong, but its vote over G=16
samples is mostly right (maj@16 well above mean@16, the premise of TTRL). Then, on a fixed set of
unlabeled test questions, the same GRPO budget (with a k3 KL term to the warm-up policy) for
  * baseline: a random reward (a fair coin per answer), which carries no information;
  * mechanism: the majority-vote reward.
Metric: sampled accuracy (temperature 1) on the same test questions against the held-out truth;
maj@k is reported too. Departures: toy arithmetic, one update per batch, a KL term that TTRL does not use.
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

from reference_impl.core import (POLICY, PROMPT, TokenBuffer, autocast,
                                 collate, frozen_copy, generate, pad_sequences, pick_device, seed_everything, token_logprobs)
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.envs.reasoning import parse_response
from reference_impl.envs.self_improvement import CHARSET, UnlabeledArithmeticEnv, majority_vote
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.objectives import grpo


@dataclass
class Config(PolicyFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    max_operand: int = field(default=49, metadata={"help": "operands are drawn from 0..max_operand"})
    demo_correct: float = field(default=0.4, metadata={"help": "teacher accuracy in the warm-up demonstrations"})
    demo_spread: int = field(default=5, metadata={"help": "a wrong teacher answer is off by 1..demo_spread, either side"})
    n_layer: int = field(default=4, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=128, metadata={"help": "transformer width"})
    warmup_steps: int = field(default=3000, metadata={"help": "supervised warm-up updates"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    test_questions: int = field(default=256, metadata={"help": "unlabeled test questions trained on at test time"})
    rl_steps: int = field(default=300, metadata={"help": "test-time GRPO updates (the baseline gets as many)"})
    prompts_per_step: int = field(default=64, metadata={"help": "test questions per update"})
    group_size: int = field(default=16, metadata={"help": "G, votes sampled per question"})
    lr: float = field(default=3e-4, metadata={"help": "RL learning rate"})
    eps: float = field(default=0.2, metadata={"help": "clip range of the ratio"})
    kl_coef: float = field(default=0.0, metadata={"help": "weight of the k3 KL to the warm-up policy"})
    max_new_tokens: int = field(default=8, metadata={"help": "response length limit (tokens)"})
    eval_samples: int = field(default=8, metadata={"help": "samples per question when measuring accuracy"})
    eval_every: int = field(default=50, metadata={"help": "evaluate every this many updates"})


QUICK = dict(max_operand=9, n_layer=2, n_embd=64, warmup_steps=2500, test_questions=64, rl_steps=80,
             prompts_per_step=16, group_size=16, lr=2e-4, kl_coef=0.1, eval_every=10, max_new_tokens=5, eval_samples=16)


def parse_config(argv) -> Config:
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)


def draw_questions(cfg: Config, n: int, gen: torch.Generator) -> list[list[int]]:
    return torch.randint(0, cfg.max_operand + 1, (n, 2), generator=gen).tolist()


def teacher(ops: list[int], cfg: Config, gen: torch.Generator) -> str:
    """Right with probability demo_correct, else off by d, |d| in 1..demo_spread (reflected at 0).
    The slips are spread over many wrong sums, so no single wrong answer is as common as the right one."""
    if float(torch.rand(1, generator=gen)) < cfg.demo_correct:
        return f"={sum(ops)}"
    d = int(torch.randint(1, cfg.demo_spread + 1, (1,), generator=gen)) * (1 if float(torch.rand(1, generator=gen)) < 0.5 else -1)
    return f"={sum(ops) + d if sum(ops) + d >= 0 else sum(ops) - d}"


def prompt_ids(tok, ops) -> list[int]:
    return [tok.bos_id] + tok.encode("+".join(map(str, ops)) + "=")


def sample(model, tok, questions, n_per, cfg, device):
    prompts = [prompt_ids(tok, q) for q in questions for _ in range(n_per)]
    ids, mask = pad_sequences(prompts, tok.pad_id, side="left", device=device)
    with autocast(device):
        ro = generate(model, ids, mask, cfg.max_new_tokens, stop_ids=[tok.eos_id], pad_id=tok.pad_id)
    bufs, texts = [], []
    for p, resp, m in zip(prompts, ro.responses.tolist(), ro.response_mask.tolist()):
        resp = [t for t, keep in zip(resp, m) if keep]
        bufs.append(TokenBuffer().add(p, PROMPT).add(resp, POLICY))
        texts.append(tok.decode(resp, skip_special=True))
    return bufs, texts


@torch.no_grad()
def evaluate(model, tok, env, test_qs, cfg, device) -> dict:
    """Held-out check: mean@k and maj@k against the true sums (via env.grade, never used for training)."""
    _, texts = sample(model, tok, test_qs, cfg.eval_samples, cfg, device)
    k, correct, maj = cfg.eval_samples, 0, 0
    for j, q in enumerate(test_qs):
        env.reset(options={"operands": q})
        votes = texts[j * k:(j + 1) * k]
        correct += sum(env.grade(v) for v in votes)
        label = majority_vote([parse_response(v) for v in votes])
        maj += label is not None and env.grade(f"={label}")
    return {"accuracy": round(correct / (k * len(test_qs)), 4), "maj_accuracy": round(maj / len(test_qs), 4)}


def test_time_rl(model, tok, env, test_qs, cfg, device, gen, reward_kind: str, start: dict) -> list[dict]:
    opt, ref = torch.optim.AdamW(model.parameters(), lr=cfg.lr), frozen_copy(model)
    curve = [{"step": 0, **start}]
    G = cfg.group_size
    for step in range(1, cfg.rl_steps + 1):
        pick = torch.randint(len(test_qs), (cfg.prompts_per_step,), generator=gen).tolist()
        qs = [test_qs[i] for i in pick]
        bufs, texts = sample(model, tok, qs, G, cfg, device)
        rewards = []
        for j, q in enumerate(qs):
            env.reset(options={"operands": q})
            _, _, _, _, info = env.step(",".join(texts[j * G:(j + 1) * G]))  # the majority vote, no truth
            rewards.extend(info["vote_rewards"])
        rewards = torch.tensor(rewards)
        if reward_kind == "random":  # the control: a coin flip per answer, same shape and scale
            rewards = (torch.rand(len(rewards), generator=gen) < 0.5).float()
        adv = grpo.group_advantages(rewards, G).to(device)
        batch = collate(bufs, tok.pad_id, device=device)
        with torch.no_grad(), autocast(device):
            old_logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
            ref_logp = token_logprobs(ref, batch.input_ids, batch.attention_mask) if cfg.kl_coef else None
        with autocast(device):
            logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        loss, _ = grpo.grpo_loss(logp.float(), old_logp.float(), adv, batch.loss_mask.float(), cfg.eps, mode="grpo",
                                 ref_logp=None if ref_logp is None else ref_logp.float(), beta=cfg.kl_coef)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            curve.append({"step": step, **evaluate(model, tok, env, test_qs, cfg, device)})
    return curve


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    env = UnlabeledArithmeticEnv(max_operand=cfg.max_operand, max_votes=cfg.group_size)
    model = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=32).to(device)
    test_qs = draw_questions(cfg, cfg.test_questions, torch.Generator().manual_seed(10_000 + cfg.seed))

    # 1. Supervised warm-up on the noisy teacher (labels of training questions, as pre-training would).
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.warmup_lr)
    for s in range(cfg.warmup_steps):  # constant lr for the first half, then a linear decay to 5%
        opt.param_groups[0]["lr"] = cfg.warmup_lr * min(1.0, 2 * (1 - s / cfg.warmup_steps) + 0.05)
        qs = draw_questions(cfg, 64, gen)
        bufs = [TokenBuffer().add(prompt_ids(tok, q), PROMPT).add(tok.encode(teacher(q, cfg, gen)) + [tok.eos_id], POLICY)
                for q in qs]
        batch = collate(bufs, tok.pad_id, device=device)
        with autocast(device):
            logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        loss = -(logp * batch.loss_mask).sum() / batch.loss_mask.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    # 2. Baseline: same test-time budget, random reward.  3. Mechanism: majority-vote reward.
    before = evaluate(model, tok, env, test_qs, cfg, device)  # one measurement, the start of both curves
    baseline_curve = test_time_rl(copy.deepcopy(model), tok, env, test_qs, cfg, device, gen, "random", before)
    t0 = time.time()
    curve = test_time_rl(model, tok, env, test_qs, cfg, device, gen, "majority", before)
    rl_seconds = time.time() - t0
    result = {
        "capability": "self-improvement", **policy_record(cfg), "metric": "sampled accuracy vs held-out truth",
        "before": curve[0]["accuracy"], "baseline": baseline_curve[-1]["accuracy"], "after": curve[-1]["accuracy"],
        "maj_at_k_before": curve[0]["maj_accuracy"], "maj_at_k_after": curve[-1]["maj_accuracy"],
        "baseline_method": "same test-time GRPO budget with a random (coin-flip) reward",
        "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "rl_sequences_per_second": round(cfg.rl_steps * cfg.prompts_per_step * cfg.group_size / rl_seconds, 1),
        "curve": curve, "baseline_curve": baseline_curve,
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
