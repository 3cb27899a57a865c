"""Reasoning: RLVR with GRPO on verifiable arithmetic (answer reward + format reward).

Papers: DeepSeekMath / DeepSeek-R1 (GRPO, rule-based rewards), Dr. GRPO (unbiased aggregation), DAPO
(clip-higher, dynamic sampling, token-level loss, soft overlong penalty), GSPO (sequence-level ratio),
RLOO (leave-one-out advantages), STaR / RFT (the rejection-sampling baseline).

Setup. A tiny character transformer is first warmed up by supervised learning on demonstrations from an
imperfect teacher: it answers right only `demo_correct` of the time, otherwise it is off by one (a
systematic slip) or forgets the `=` (bad format). Greedy decoding of that policy is therefore mostly wrong.
The question space (all sums of `n_operands` numbers in 0..max_operand) is split once, deterministically
from the seed, into TRAINING questions (warm-up and every arm's updates draw only from them) and HELD-OUT
questions (evaluation only); `split_questions` returns both so a test can check they are disjoint.
Then, from the same warm-up checkpoint, with the same number of updates and of sequences per update:
  * sft (the ablation, `baseline`): supervised fine-tuning on more teacher demonstrations. It has everything
    except a verifier, so it can only copy the teacher's mistakes;
  * rft (a strong baseline): rejection-sampling fine-tuning (STaR / RFT): sample G answers per training
    question from the current policy, keep the ones the verifier marks correct, and fine-tune on them;
  * GRPO (the mechanism): sample G responses per question, score them with the environment's rule-based
    reward, and push up the responses that beat their group's mean.
Metric: accuracy of sampled answers (temperature 1, mean over `eval_samples` samples per held-out question).

GRPO (Shao et al. 2024), for a group of G responses o_i to question q with rewards r_i:
    A_i = (r_i - mean(r)) / (std(r) + eps)                                            (1)
    L = -1/G sum_i 1/|o_i| sum_t min(rho_it A_i, clip(rho_it, 1-eps_low, 1+eps_high) A_i)   (2)
with rho_it = pi(o_it|q,o_i<t) / pi_old(o_it|q,o_i<t). --loss dr_grpo drops the std in (1) and replaces
1/|o_i| by a constant (Liu et al. 2025); --loss dapo averages over all tokens in the batch, raises
eps_high, keeps sampling until the batch holds `prompts_per_step` groups whose rewards are not all equal
(dynamic sampling) and adds a soft overlong penalty (Yu et al. 2025); --loss gspo replaces rho_it by the
sequence ratio (Zheng et al. 2025, objectives/gspo.py). --advantage rloo uses the leave-one-out baseline
instead of (1) (Ahmadian et al. 2024). Each batch is reused for --ppo-epochs passes of --minibatches
optimiser steps (objectives/update.py), so from the second step on rho != 1 and the clip acts. Every arm's
learning rate decays linearly to 0 over its `rl_steps` batches (--lr-schedule, TRL's default), so no arm is
judged on the last jolt of a large step.
Departures: no KL term by default (--kl-coef), character-level toy task.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

if __package__ in (None, ""):  # run as a file: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference_impl.core import (POLICY, PROMPT, CharTokenizer, PolicyConfig, TinyTransformer, TokenBuffer, autocast,
                                 collate, frozen_copy, generate, pad_sequences, pick_device, seed_everything,
                                 token_logprobs)
from reference_impl.capabilities.pg_step import PGFlags, lr_scheduler
from reference_impl.capabilities.splits import draw, permuted_split
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.envs.reasoning import CHARSET, ArithmeticEnv
from reference_impl.objectives import dapo, grpo, gspo, reinforce, rft
from reference_impl.objectives.update import policy_update

LOSSES = ("grpo", "dr_grpo", "dapo", "gspo")
ADVANTAGES = ("group", "rloo")


@dataclass
class Config(PolicyFlags, PGFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    loss: str = field(default="grpo", metadata={"help": "grpo | dr_grpo | dapo | gspo"})
    advantage: str = field(default="group", metadata={"help": "group (GRPO eq. 1) | rloo (leave-one-out)"})
    baselines: bool = field(default=True, metadata={"help": "also train the sft and rft arms"})
    n_operands: int = field(default=2, metadata={"help": "numbers to add per question"})
    max_operand: int = field(default=49, metadata={"help": "operands are drawn from 0..max_operand"})
    heldout_fraction: float = field(default=0.2, metadata={"help": "share of the question space held out for evaluation"})
    eval_questions: int = field(default=100, metadata={"help": "held-out questions evaluated (at most the held-out set)"})
    demo_correct: float = field(default=0.35, metadata={"help": "teacher accuracy in the warm-up demonstrations"})
    demo_malformed: float = field(default=0.2, metadata={"help": "fraction of demonstrations missing the '='"})
    n_layer: int = field(default=4, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=128, metadata={"help": "transformer width"})
    warmup_steps: int = field(default=3000, metadata={"help": "supervised warm-up updates"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    rl_steps: int = field(default=600, metadata={"help": "batches per arm (every arm gets as many)"})
    prompts_per_step: int = field(default=64, metadata={"help": "questions per batch"})
    group_size: int = field(default=16, metadata={"help": "G, responses sampled per question"})
    lr: float = field(default=3e-4, metadata={"help": "learning rate of every arm after the warm-up"})
    lr_schedule: str = field(default="linear", metadata={"help": "constant | linear (decays to 0 over rl_steps, TRL's "
                                                          "default); the same for every arm"})
    # ppo_epochs, minibatches, eps_low and kl_coef come from PGFlags; eps_high and lr_schedule differ from its defaults
    eps_high: float = field(default=0.2, metadata={"help": "upper clip range (0.28 with --loss dapo, 4e-4 with gspo)"})
    max_resample: int = field(default=4, metadata={"help": "dapo: at most this many sampling rounds to fill a batch"})
    max_new_tokens: int = field(default=10, metadata={"help": "response length limit (tokens)"})
    eval_samples: int = field(default=8, metadata={"help": "sampled answers per evaluation question"})
    eval_every: int = field(default=50, metadata={"help": "evaluate every this many batches"})


QUICK = dict(max_operand=9, heldout_fraction=0.3, n_layer=2, n_embd=64, warmup_steps=300, rl_steps=60, prompts_per_step=16,
             group_size=8, lr=1e-3, eval_samples=8, eval_every=10, max_new_tokens=6)


def parse_config(argv) -> Config:
    cfg = parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)
    given = lambda flag: any(a.startswith(flag) for a in (argv or []))  # noqa: E731
    if cfg.loss == "dapo" and not given("--eps-high"):
        cfg = dataclasses.replace(cfg, eps_high=0.28)  # DAPO's clip-higher
    if cfg.loss == "gspo" and not given("--eps-high") and not given("--eps-low"):
        cfg = dataclasses.replace(cfg, eps_low=3e-4, eps_high=4e-4)  # GSPO's sequence-level clip range
    return cfg


# ---------------------------------------------------------------- data: a held-out split and teacher demonstrations
def split_questions(cfg: Config) -> tuple[list[list[int]], list[list[int]]]:
    """(training, held-out) questions: the whole question space permuted by the seed, cut once. Disjoint."""
    n = (cfg.max_operand + 1) ** cfg.n_operands
    if n > 1_000_000:
        raise SystemExit(f"question space of {n} sums is too large to enumerate; lower --max-operand")
    space = torch.cartesian_prod(*[torch.arange(cfg.max_operand + 1)] * cfg.n_operands).reshape(n, cfg.n_operands)
    return permuted_split(space.tolist(), cfg.heldout_fraction, 7919 * cfg.seed + 1)


def teacher(ops: list[int], cfg: Config, gen: torch.Generator) -> str:
    """An imperfect demonstrator: right with prob demo_correct, else off by one; sometimes drops the '='."""
    u = torch.rand(2, generator=gen).tolist()
    answer = sum(ops) if u[0] < cfg.demo_correct else sum(ops) + 1
    return str(answer) if u[1] < cfg.demo_malformed else f"={answer}"


def question_text(ops: list[int]) -> str:
    return "+".join(map(str, ops)) + "="


def demos(tok, questions, responses) -> list[TokenBuffer]:
    return [TokenBuffer().add([tok.bos_id] + tok.encode(question_text(q)), PROMPT).add(tok.encode(r) + [tok.eos_id], POLICY)
            for q, r in zip(questions, responses)]


def sft_step(model, opt, batch, device) -> float:
    """One step of -mean log p(response | question) over response tokens (objectives/rft.py with all weights 1)."""
    with autocast(device):
        logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
    loss, _ = rft.rft_loss(logp.float(), logp, torch.ones(len(logp)), batch.loss_mask.float())
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


# ---------------------------------------------------------------- rollout and scoring
def sample(model, tok, questions, n_per, cfg, device, temperature=1.0):
    """n_per responses per question. Returns TokenBuffers (prompt + response) and texts."""
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
    return {"accuracy": round(float(correct.mean()), 4), "greedy_accuracy": round(float(greedy_correct.mean()), 4),
            "format_rate": round(float(formed.mean()), 4), "response_length": round(float(lengths.mean()), 3)}


# ---------------------------------------------------------------- one batch of each arm
def loss_function(cfg: Config):
    """The token-level objective of --loss, with the signature policy_update expects."""
    if cfg.loss == "gspo":
        return lambda logp, old, adv, mask, ref_logp=None: gspo.gspo_loss(logp, old, adv, mask, cfg.eps_low, cfg.eps_high)
    return functools.partial(grpo.grpo_loss, eps_low=cfg.eps_low, eps_high=cfg.eps_high, beta=cfg.kl_coef,
                             mode=cfg.loss, max_len=cfg.max_new_tokens)


def rl_batch(model, tok, env, cfg, train, gen, device):
    """Sample a group batch and its rewards. With --loss dapo, groups whose rewards are all equal are dropped
    and sampling continues (up to max_resample rounds) until prompts_per_step informative groups are in."""
    G, want = cfg.group_size, cfg.prompts_per_step
    bufs, rewards, correct, lengths, rounds = [], [], [], [], 0
    while len(bufs) < want * G and rounds < (cfg.max_resample if cfg.loss == "dapo" else 1):
        rounds += 1
        qs = draw(train, want, gen)
        b, texts = sample(model, tok, qs, G, cfg, device)
        r, c, _ = score(env, qs, texts, G)
        n = torch.tensor([float(sum(x.policy_mask)) for x in b])
        correct.append(c)
        if cfg.loss == "dapo":  # soft overlong penalty, then keep only informative groups
            r = r + dapo.overlong_penalty(n, max_len=cfg.max_new_tokens, cache=2)
            keep = dapo.dynamic_sampling_filter(r, G).nonzero().flatten().tolist()
            keep = keep[: want * G - len(bufs)]
            b, r, n = [b[i] for i in keep], r[keep], n[keep]
        bufs += b
        rewards.append(r), lengths.append(n)
    stats = {"sampling_rounds": rounds, "train_accuracy": float(torch.cat(correct).mean())}
    return bufs, torch.cat(rewards), torch.cat(lengths), stats


def advantages(rewards, cfg):
    if cfg.advantage == "rloo":
        return reinforce.rloo_advantages(rewards, cfg.group_size)
    return grpo.group_advantages(rewards, cfg.group_size, scale=None if cfg.loss == "dr_grpo" else "sample")  # eq. (1)


def train_arm(arm: str, model, tok, env, cfg, train, eval_qs, gen, device) -> tuple[list[dict], dict]:
    """`rl_steps` batches of one arm: "rl" (the mechanism), "rft" or "sft"; every arm runs policy_update
    with the same epochs and minibatches. Returns the evaluation curve and the mean update stats."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sched = lr_scheduler(opt, cfg, cfg.rl_steps)
    ref = frozen_copy(model) if (arm == "rl" and cfg.kl_coef) else None
    loss_fn = loss_function(cfg) if arm == "rl" else rft.rft_loss
    n_seqs = cfg.prompts_per_step * cfg.group_size
    curve, totals = [], {}
    for step in range(1, cfg.rl_steps + 1):
        info = {}
        if arm == "sft":  # as many teacher demonstrations as the others sample
            qs = draw(train, n_seqs, gen)
            bufs, weights = demos(tok, qs, [teacher(q, cfg, gen) for q in qs]), torch.ones(n_seqs)
        else:
            bufs, rewards, lengths, info = rl_batch(model, tok, env, cfg, train, gen, device)
            info["reward"] = float(rewards.mean()) if len(rewards) else 0.0
            weights = advantages(rewards, cfg) if arm == "rl" else (rewards >= env.answer_reward).float()
        if bufs and (arm == "rl" or weights.sum() > 0):
            batch = collate(bufs, tok.pad_id, device=device)
            info.update(policy_update(model, opt, batch, weights, loss_fn, epochs=cfg.ppo_epochs, minibatches=cfg.minibatches,
                                      ref=ref, generator=gen))
        sched.step()
        for k, v in info.items():
            totals[k] = totals.get(k, 0.0) + float(v) / cfg.rl_steps
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            curve.append({"step": step, **evaluate(model, tok, env, eval_qs, cfg, device),
                          **({"train_reward": round(info["reward"], 4)} if "reward" in info else {})})
    return curve, totals


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    if cfg.loss not in LOSSES or cfg.advantage not in ADVANTAGES:
        raise SystemExit(f"--loss must be one of {LOSSES} and --advantage one of {ADVANTAGES}, "
                         f"not {cfg.loss!r} / {cfg.advantage!r}")
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    env = ArithmeticEnv(n_operands=cfg.n_operands, max_operand=cfg.max_operand, max_response_len=cfg.max_new_tokens)
    model = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=64).to(device)
    train, held = split_questions(cfg)
    eval_qs = held[: cfg.eval_questions]

    # 1. Supervised warm-up on the imperfect teacher, training questions only.
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.warmup_lr)
    for _ in range(cfg.warmup_steps):
        qs = draw(train, 64, gen)
        sft_step(model, opt, collate(demos(tok, qs, [teacher(q, cfg, gen) for q in qs]), tok.pad_id, device=device), device)
    before = evaluate(model, tok, env, eval_qs, cfg, device)

    # 2. Every arm starts from a deep copy of the warm-up checkpoint, with the same batches and updates.
    curves, stats = {}, {}
    for arm in (["sft", "rft"] if cfg.baselines else []) + ["rl"]:
        t0 = time.time()
        arm_curve, stats[arm] = train_arm(arm, copy.deepcopy(model), tok, env, cfg, train, eval_qs, gen, device)
        curves[arm] = [{"step": 0, **before}] + arm_curve
        stats[arm]["seconds"] = time.time() - t0
    curve, after = curves["rl"], curves["rl"][-1]
    finals = {name: curves[arm][-1]["accuracy"] for arm, name in (("sft", "sft"), ("rft", "rft")) if arm in curves}
    result = {
        "capability": "reasoning", **policy_record(cfg), "metric": "sampled accuracy on held-out questions", "loss": cfg.loss,
        "advantage": cfg.advantage,
        "before": before["accuracy"], "baseline": finals.get("sft", before["accuracy"]), "after": after["accuracy"],
        "baselines": {**finals, "no-update": before["accuracy"]},
        "greedy": {"before": before["greedy_accuracy"], "after": after["greedy_accuracy"],
                   **{name: curves[name][-1]["greedy_accuracy"] for name in finals}},
        "response_length": {"before": before["response_length"], "after": after["response_length"]},
        "baseline_method": "sft: supervised fine-tuning on the same teacher, same updates and sequences "
                           "(rft: fine-tuning on the policy's own verified samples, same budget)",
        "clip_fraction": round(stats["rl"].get("clip_fraction", 0.0), 4),
        "sampling_rounds_per_batch": round(stats["rl"]["sampling_rounds"], 3),
        "updates_per_batch": cfg.ppo_epochs * cfg.minibatches,
        "split": {"train_questions": len(train), "heldout_questions": len(held), "evaluated": len(eval_qs)},
        "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "rl_sequences_per_second": round(cfg.rl_steps * cfg.prompts_per_step * cfg.group_size / stats["rl"]["seconds"], 1),
        "curve": curve,
        "curves": {name: [{"step": p["step"], "value": p["accuracy"]} for p in curves[name]] for name in finals},
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
