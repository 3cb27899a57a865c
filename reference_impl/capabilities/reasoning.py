"""Reasoning: RLVR with GRPO on verifiable arithmetic (answer reward + format reward).

Papers: DeepSeekMath / DeepSeek-R1 (GRPO, rule-based rewards), Dr. GRPO (unbiased aggregation), DAPO
(clip-higher, dynamic sampling, token-level loss, soft overlong penalty).

Setup. A tiny character transformer is first warmed up by supervised learning on demonstrations from an
imperfect teacher: it answers right only `demo_correct` of the time, otherwise it is off by one (a
systematic slip) or forgets the `=` (bad format). Greedy decoding of that policy is therefore mostly wrong.
Then, from the same warm-up:
  * baseline: more supervised fine-tuning on the same teacher, same number of updates and sequences.
    It has everything except a verifier, so it can only copy the teacher's mistakes;
  * GRPO (the mechanism): sample G responses per question, score them with the environment's rule-based
    reward, and push up the responses that beat their group's mean.
Metric: accuracy of sampled answers (temperature 1, mean over `eval_samples` samples per question).

GRPO (Shao et al. 2024), for a group of G responses o_i to question q with rewards r_i:
    A_i = (r_i - mean(r)) / (std(r) + eps)                                            (1)
    L = -1/G sum_i 1/|o_i| sum_t min(rho_it A_i, clip(rho_it, 1-eps_low, 1+eps_high) A_i)   (2)
with rho_it = pi(o_it|q,o_i<t) / pi_old(o_it|q,o_i<t). --loss dr_grpo drops the std in (1) and replaces
1/|o_i| by a constant (Liu et al. 2025); --loss dapo averages over all tokens in the batch, raises
eps_high, filters groups whose rewards are all equal, and adds a soft overlong penalty (Yu et al. 2025).
Departures: no KL term by default (--kl-coef), one update per batch, character-level toy task.
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

from reference_impl.core import (POLICY, PROMPT, TokenBuffer, autocast, collate, frozen_copy, generate, pad_sequences,
                                 pick_device, seed_everything, token_logprobs)
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.envs.reasoning import CHARSET, ArithmeticEnv
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.objectives import dapo, grpo


@dataclass
class Config(PolicyFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    loss: str = field(default="grpo", metadata={"help": "grpo | dr_grpo | dapo"})
    n_operands: int = field(default=2, metadata={"help": "numbers to add per question"})
    max_operand: int = field(default=49, metadata={"help": "operands are drawn from 0..max_operand"})
    demo_correct: float = field(default=0.35, metadata={"help": "teacher accuracy in the warm-up demonstrations"})
    demo_malformed: float = field(default=0.2, metadata={"help": "fraction of demonstrations missing the '='"})
    n_layer: int = field(default=4, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=128, metadata={"help": "transformer width"})
    warmup_steps: int = field(default=3000, metadata={"help": "supervised warm-up updates"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    rl_steps: int = field(default=600, metadata={"help": "RL updates (the baseline gets as many SFT updates)"})
    prompts_per_step: int = field(default=64, metadata={"help": "questions per RL update"})
    group_size: int = field(default=16, metadata={"help": "G, responses sampled per question"})
    lr: float = field(default=3e-4, metadata={"help": "RL (and baseline) learning rate"})
    eps_low: float = field(default=0.2, metadata={"help": "lower clip range of the ratio"})
    eps_high: float = field(default=0.2, metadata={"help": "upper clip range (set to 0.28 by --loss dapo)"})
    kl_coef: float = field(default=0.0, metadata={"help": "weight of the k3 KL to the warm-up policy"})
    max_new_tokens: int = field(default=10, metadata={"help": "response length limit (tokens)"})
    eval_samples: int = field(default=8, metadata={"help": "sampled answers per evaluation question"})
    eval_every: int = field(default=50, metadata={"help": "evaluate every this many RL updates"})


QUICK = dict(max_operand=9, n_layer=2, n_embd=64, warmup_steps=300, rl_steps=120, prompts_per_step=16,
             group_size=8, lr=1e-3, eval_samples=8, eval_every=20, max_new_tokens=6)


def parse_config(argv) -> Config:
    cfg = parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)
    if cfg.loss == "dapo" and not any(a.startswith("--eps-high") for a in (argv or [])):
        cfg = dataclasses.replace(cfg, eps_high=0.28)  # DAPO's clip-higher
    return cfg


# ---------------------------------------------------------------- data: questions and teacher demonstrations
def all_questions(cfg: Config, n: int, gen: torch.Generator) -> list[list[int]]:
    return torch.randint(0, cfg.max_operand + 1, (n, cfg.n_operands), generator=gen).tolist()


def teacher(ops: list[int], cfg: Config, gen: torch.Generator) -> str:
    """An imperfect demonstrator: right with prob demo_correct, else off by one; sometimes drops the '='."""
    u = torch.rand(2, generator=gen).tolist()
    answer = sum(ops) if u[0] < cfg.demo_correct else sum(ops) + 1
    return str(answer) if u[1] < cfg.demo_malformed else f"={answer}"


def question_text(ops: list[int]) -> str:
    return "+".join(map(str, ops)) + "="


def sft_step(model, opt, tok, questions, responses, device) -> float:
    """One step of -mean log p(response | question) over response tokens (prompt tokens masked)."""
    bufs = [TokenBuffer().add([tok.bos_id] + tok.encode(question_text(q)), PROMPT).add(tok.encode(r) + [tok.eos_id], POLICY)
            for q, r in zip(questions, responses)]
    batch = collate(bufs, tok.pad_id, device=device)
    with autocast(device):
        logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
    loss = -(logp * batch.loss_mask).sum() / batch.loss_mask.sum()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


# ---------------------------------------------------------------- rollout and scoring
def sample(model, tok, questions, n_per, cfg, device, temperature=1.0):
    """G responses per question. Returns TokenBuffers (prompt + response), texts and response lengths."""
    prompts = [[tok.bos_id] + tok.encode(question_text(q)) for q in questions for _ in range(n_per)]
    ids, mask = pad_sequences(prompts, tok.pad_id, side="left", device=device)
    with autocast(device):
        ro = generate(model, ids, mask, cfg.max_new_tokens, temperature=temperature, stop_ids=[tok.eos_id], pad_id=tok.pad_id)
    bufs, texts = [], []
    for p, resp, m in zip(prompts, ro.responses.tolist(), ro.response_mask.tolist()):
        resp = [t for t, keep in zip(resp, m) if keep]
        bufs.append(TokenBuffer().add(p, PROMPT).add(resp, POLICY))
        texts.append(tok.decode(resp, skip_special=True))
    return bufs, texts


def score(env: ArithmeticEnv, questions, texts, n_per):
    """Rewards from the environment, plus correctness and well-formedness flags."""
    rewards, correct, formed = [], [], []
    for i, text in enumerate(texts):
        env.reset(options={"operands": questions[i // n_per]})
        _, r, _, _, info = env.step(text)
        rewards.append(r), correct.append(info["correct"]), formed.append(info["well_formed"])
    return torch.tensor(rewards), torch.tensor(correct, dtype=torch.float), torch.tensor(formed, dtype=torch.float)


@torch.no_grad()
def evaluate(model, tok, env, eval_qs, cfg, device) -> dict:
    bufs, texts = sample(model, tok, eval_qs, cfg.eval_samples, cfg, device)
    _, correct, formed = score(env, eval_qs, texts, cfg.eval_samples)
    lengths = torch.tensor([float(sum(b.policy_mask)) for b in bufs])
    _, greedy_texts = sample(model, tok, eval_qs, 1, cfg, device, temperature=0.0)
    _, greedy_correct, _ = score(env, eval_qs, greedy_texts, 1)
    return {"accuracy": float(correct.mean()), "greedy_accuracy": float(greedy_correct.mean()),
            "format_rate": float(formed.mean()), "response_length": float(lengths.mean())}


# ---------------------------------------------------------------- the GRPO / Dr.GRPO / DAPO update
def rl_step(model, ref, opt, tok, env, cfg, questions, device) -> dict:
    G = cfg.group_size
    bufs, texts = sample(model, tok, questions, G, cfg, device)
    rewards, correct, _ = score(env, questions, texts, G)
    lengths = torch.tensor([float(sum(b.policy_mask)) for b in bufs])
    if cfg.loss == "dapo":  # soft overlong penalty, then drop groups whose rewards are all equal
        rewards = rewards + dapo.overlong_penalty(lengths, max_len=cfg.max_new_tokens, cache=2)
        keep = dapo.dynamic_sampling_filter(rewards, G)
    else:
        keep = torch.ones(len(bufs), dtype=torch.bool)
    adv = grpo.group_advantages(rewards, G, scale=None if cfg.loss == "dr_grpo" else "sample")  # eq. (1)
    idx = keep.nonzero().flatten().tolist()
    stats = {"reward": float(rewards.mean()), "train_accuracy": float(correct.mean()), "response_length": float(lengths.mean())}
    if not idx:
        return stats
    batch = collate([bufs[i] for i in idx], tok.pad_id, device=device)
    adv, mask = adv[idx].to(device), batch.loss_mask.float()
    with torch.no_grad(), autocast(device):
        old_logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        ref_logp = token_logprobs(ref, batch.input_ids, batch.attention_mask) if cfg.kl_coef else None
    with autocast(device):
        logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
    loss, loss_stats = grpo.grpo_loss(  # eq. (2), reduced by the --loss aggregation mode
        logp.float(), old_logp.float(), adv, mask, cfg.eps_low, cfg.eps_high,
        ref_logp=None if ref_logp is None else ref_logp.float(), beta=cfg.kl_coef, mode=cfg.loss, max_len=cfg.max_new_tokens)
    stats.update(loss_stats)
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return stats


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    if cfg.loss not in ("grpo", "dr_grpo", "dapo"):
        raise SystemExit(f"--loss must be grpo, dr_grpo or dapo, not {cfg.loss!r}")
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    env = ArithmeticEnv(n_operands=cfg.n_operands, max_operand=cfg.max_operand, max_response_len=cfg.max_new_tokens)
    model = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=64).to(device)
    eval_qs = all_questions(cfg, 100, torch.Generator().manual_seed(10_000 + cfg.seed))

    # 1. Supervised warm-up on the imperfect teacher.
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.warmup_lr)
    for _ in range(cfg.warmup_steps):
        qs = all_questions(cfg, 64, gen)
        sft_step(model, opt, tok, qs, [teacher(q, cfg, gen) for q in qs], device)
    before = evaluate(model, tok, env, eval_qs, cfg, device)
    n_seqs = cfg.prompts_per_step * cfg.group_size

    # 2. Baseline: same start, same number of updates and sequences, supervised on the teacher (no verifier).
    base = copy.deepcopy(model)
    opt = torch.optim.AdamW(base.parameters(), lr=cfg.lr)
    for _ in range(cfg.rl_steps):
        qs = all_questions(cfg, n_seqs, gen)
        sft_step(base, opt, tok, qs, [teacher(q, cfg, gen) for q in qs], device)
    baseline = evaluate(base, tok, env, eval_qs, cfg, device)

    # 3. The mechanism: GRPO (or Dr.GRPO / DAPO) with the verifiable reward.
    ref = frozen_copy(model)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    curve = [{"step": 0, **before}]
    rl_start = time.time()
    for step in range(1, cfg.rl_steps + 1):
        stats = rl_step(model, ref, opt, tok, env, cfg, all_questions(cfg, cfg.prompts_per_step, gen), device)
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            curve.append({"step": step, **evaluate(model, tok, env, eval_qs, cfg, device), "train_reward": stats["reward"]})
    rl_seconds = time.time() - rl_start
    after = curve[-1]
    result = {
        "capability": "reasoning", "metric": "sampled accuracy", "loss": cfg.loss, **policy_record(cfg),
        "before": before["accuracy"], "baseline": baseline["accuracy"], "after": after["accuracy"],
        "greedy": {"before": before["greedy_accuracy"], "baseline": baseline["greedy_accuracy"], "after": after["greedy_accuracy"]},
        "response_length": {"before": before["response_length"], "after": after["response_length"]},
        "baseline_method": "supervised fine-tuning on the same teacher, same updates and sequences",
        "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "rl_sequences_per_second": round(cfg.rl_steps * n_seqs / rl_seconds, 1),
        "curve": [{k: round(v, 4) if isinstance(v, float) else v for k, v in p.items()} for p in curve],
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
