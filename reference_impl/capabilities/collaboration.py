"""Collaboration: two LLM agents trained jointly on a shared team reward (MAGRPO-style multi-agent GRPO).

Papers: MAGRPO (Liu et al. 2025, "LLM Collaboration with Multi-Agent Reinforcement Learning": cooperation of
several LLMs cast as a Dec-POMDP, a multi-agent GRPO that trains the agents jointly on the team reward while
each still acts on its own observation); MARFT (Liao et al. 2025, multi-agent reinforcement fine-tuning);
MAPoRL (Park et al. 2025, co-training with verified rewards). Catalog: catalog/papers/{magrpo,marft,maporl}.yaml.

Task (`RLAtlas/Collaboration-v0`). A three-digit code is split between two agents: a speaker sees the first
digit a and sends one letter; a listener sees the last two digits b and that letter and must enter the code.
The letter means nothing by itself: which letter stands for which digit is a convention the two must share. The warm-up makes that convention ambiguous on
purpose, as between two agents developed apart: there are two codes (code 1: digit d -> letter d; code 2:
d -> letter d+5 mod 10), the speaker's demonstrations use code 1 90% of the time while the listener's use it
only 30% of the time (its teacher answers correctly, so it learns to read mostly code 2). The warm-up team
agrees on a code about 0.9*0.3 + 0.1*0.7 = 34% of the time. Settling on one code is a coordination problem.

Mechanism, joint GRPO (MAGRPO). For each problem (a, b) sample G joint episodes (message m_i ~ speaker,
answer y_i ~ listener(. | b, m_i)), score each with the team reward R_i, and give both agents' tokens the
same group advantage
    A_i = (R_i - mean(R)) / (std(R) + eps)                                                     (1)
    L = sum_{agent k} -1/G sum_i 1/|o_i^k| sum_t min(rho^k_it A_i, clip(rho^k_it, 1-eps, 1+eps) A_i)   (2)
where o_i^k are agent k's tokens in episode i and rho^k its own ratio (each agent keeps its own weights and
optimiser; summing (2) over agents with separate parameters is the same as one update per agent).
Baselines, all from the same warm-up checkpoint with the same updates and sequences per agent:
  * single agent (the ablation, `baseline`): the listener alone, trained by GRPO, with the message hidden
    (10% of its warm-up examples show no message, so it knows that format). It knows b and nothing about a,
    so it can at best guess a (1 in 10): the task is built so that no agent can solve it alone;
  * independent: each agent trained by GRPO on the team reward against its partner frozen at the warm-up
    (the speaker against the warm-up listener, the listener against the warm-up speaker), then paired, as
    independently developed agents would be: each adapts to its partner's old habits, not to the partner's
    new ones (independent learners in MARL terms).
Held out: the 1000 codes (a, b) are split by a seeded permutation; a `holdout` share is never seen in the
warm-up or in training and is the only evaluation set. Metric: team accuracy of sampled episodes.
Departures: two-turn episodes, one-letter messages, tiny character models instead of pretrained LLMs.
"""

from __future__ import annotations

import copy
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
                                 collate, generate, pad_sequences, pick_device, seed_everything, token_logprobs)
from reference_impl.capabilities.splits import permuted_split
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.envs.collaboration import CHARSET, LETTERS, CollaborationEnv
from reference_impl.objectives import grpo
from reference_impl.objectives.update import policy_update


@dataclass
class Config(PolicyFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    holdout: float = field(default=0.2, metadata={"help": "share of the codes (a, b) held out for evaluation"})
    eval_codes: int = field(default=200, metadata={"help": "held-out codes used to measure accuracy"})
    code_shift: int = field(default=5, metadata={"help": "code 2 maps digit d to letter (d + code_shift) mod 10"})
    speaker_code1: float = field(default=0.9, metadata={"help": "share of code 1 in the speaker's warm-up messages"})
    listener_code1: float = field(default=0.3, metadata={"help": "share of code 1 in the listener's warm-up messages"})
    no_message: float = field(default=0.1, metadata={"help": "share of listener warm-up examples whose message is '_'"})
    n_layer: int = field(default=2, metadata={"help": "transformer blocks (each agent)"})
    n_embd: int = field(default=64, metadata={"help": "transformer width (each agent)"})
    warmup_steps: int = field(default=1000, metadata={"help": "supervised warm-up updates"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    warmup_fit: float = field(default=0.4, metadata={"help": "after warmup_steps the warm-up goes on (up to 4x as "
                              "long) until the listener's smoothed loss is below this"})
    rl_steps: int = field(default=200, metadata={"help": "RL updates per agent (every arm gets as many)"})
    prompts_per_step: int = field(default=32, metadata={"help": "problems (a, b) per update"})
    group_size: int = field(default=8, metadata={"help": "G, joint episodes sampled per problem"})
    lr: float = field(default=1.5e-3, metadata={"help": "RL learning rate"})
    eps: float = field(default=0.2, metadata={"help": "clip range of the ratio"})
    ppo_epochs: int = field(default=1, metadata={"help": "passes over each batch (PPO-style reuse)"})
    minibatches: int = field(default=1, metadata={"help": "optimiser steps per pass"})
    eval_samples: int = field(default=8, metadata={"help": "sampled episodes per held-out problem"})
    eval_every: int = field(default=20, metadata={"help": "evaluate every this many updates"})


QUICK = dict(warmup_steps=250, rl_steps=80, prompts_per_step=16, group_size=8, eval_every=16, ppo_epochs=2, minibatches=1,
             eval_codes=100, eval_samples=4)


def split_pairs(cfg: Config) -> tuple[list[tuple[int, int]], list[tuple[int, int]]]:
    """Disjoint train and held-out codes (a, b): a seeded permutation of all 1000, cut at `holdout`."""
    pairs = [(a, b) for a in range(10) for b in range(100)]
    return permuted_split(pairs, cfg.holdout, 7919 * cfg.seed + 1)  # at least one code held out


def teacher_message(a: int, p_code1: float, cfg: Config, gen: torch.Generator) -> str:
    """A warm-up message for digit a: code 1 (letter a) with probability p_code1, else code 2."""
    shift = 0 if float(torch.rand(1, generator=gen)) < p_code1 else cfg.code_shift
    return LETTERS[(a + shift) % 10]


def sft_step(model, opt, tok, prompts: list[str], targets: list[str], device) -> float:
    """One step of -mean log p(target | prompt), prompt tokens masked."""
    bufs = [TokenBuffer().add([tok.bos_id] + tok.encode(p), PROMPT).add(tok.encode(t) + [tok.eos_id], POLICY)
            for p, t in zip(prompts, targets)]
    batch = collate(bufs, tok.pad_id, device=device)
    with autocast(device):
        logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
    loss = -(logp * batch.loss_mask).sum() / batch.loss_mask.sum()
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    return loss.item()


def act(model, tok, observations: list[str], max_new_tokens: int, device, temperature=1.0):
    """One turn for a batch of observations: TokenBuffers (prompt + response) and response texts."""
    prompts = [[tok.bos_id] + tok.encode(o) for o in observations]
    ids, mask = pad_sequences(prompts, tok.pad_id, side="left", device=device)
    with autocast(device):
        ro = generate(model, ids, mask, max_new_tokens, temperature=temperature, stop_ids=[tok.eos_id], pad_id=tok.pad_id)
    bufs, texts = [], []
    for p, resp, m in zip(prompts, ro.responses.tolist(), ro.response_mask.tolist()):
        resp = [t for t, keep in zip(resp, m) if keep]
        bufs.append(TokenBuffer().add(p, PROMPT).add(resp, POLICY))
        texts.append(tok.decode(resp, skip_special=True))
    return bufs, texts


def episodes(speaker, listener, tok, pairs, n_per, device, temperature=1.0, mode="team"):
    """n_per joint episodes per pair, played through the environment. With mode="single" the speaker does not
    act (the environment hides the message anyway). Returns speaker bufs (or None), listener bufs, team
    rewards and whether each answer was right."""
    envs = [CollaborationEnv(b_digits=2, mode=mode) for _ in range(len(pairs) * n_per)]
    obs = [env.reset(options={"pair": pairs[i // n_per]})[0] for i, env in enumerate(envs)]
    s_bufs, rewards = None, [0.0] * len(envs)
    if mode == "team":
        s_bufs, messages = act(speaker, tok, obs, 2, device, temperature)
    else:
        messages = [LETTERS[0]] * len(envs)  # a placeholder the listener never sees
    for i, (env, msg) in enumerate(zip(envs, messages)):
        obs[i], r, *_ = env.step(msg)
        rewards[i] += r
    l_bufs, answers = act(listener, tok, obs, 4, device, temperature)
    correct = []
    for i, (env, ans) in enumerate(zip(envs, answers)):
        _, r, _, _, info = env.step(ans)
        rewards[i] += r
        correct.append(info["correct"])
    return s_bufs, l_bufs, torch.tensor(rewards), torch.tensor(correct, dtype=torch.float)


@torch.no_grad()
def evaluate(speaker, listener, tok, eval_pairs, cfg, device, mode="team") -> dict:
    """Team accuracy on the held-out codes: the share of episodes whose answer the environment judged correct."""
    *_, sampled = episodes(speaker, listener, tok, eval_pairs, cfg.eval_samples, device, mode=mode)
    *_, greedy = episodes(speaker, listener, tok, eval_pairs, 1, device, temperature=0.0, mode=mode)
    return {"accuracy": round(float(sampled.mean()), 4), "greedy_accuracy": round(float(greedy.mean()), 4)}


def rl_step(speaker, listener, opts: dict, tok, pairs, cfg, device, gen, mode="team") -> dict:
    """One MAGRPO update: G joint episodes per pair, eq. (1) on the team reward, eq. (2) for every agent
    that has an optimiser in `opts` ({"speaker": opt, "listener": opt}); the others only act."""
    s_bufs, l_bufs, rewards, _ = episodes(speaker, listener, tok, pairs, cfg.group_size, device, mode=mode)
    adv = grpo.group_advantages(rewards, cfg.group_size)  # eq. (1), shared by both agents
    loss_fn = functools.partial(grpo.grpo_loss, eps_low=cfg.eps, eps_high=cfg.eps, mode="grpo")  # eq. (2)
    stats = {"reward": float(rewards.mean())}
    for role, model, bufs in (("speaker", speaker, s_bufs), ("listener", listener, l_bufs)):
        if role in opts:
            out = policy_update(model, opts[role], collate(bufs, tok.pad_id, device=device), adv, loss_fn,
                                epochs=cfg.ppo_epochs, minibatches=cfg.minibatches, generator=gen)
            stats[f"{role}_clip_fraction"] = out["clip_fraction"]
    return stats


def train_arms(arms: dict, tok, train_pairs, eval_pairs, cfg, device, gen, start: dict) -> dict[str, list[dict]]:
    """Run every arm for cfg.rl_steps updates, interleaved, and return one curve per arm.
    arms: name -> (list of (speaker, listener, opts, mode) learners, (speaker, listener, mode) evaluated pair)."""
    curves = {name: [{"step": 0, **start[name]}] for name in arms}
    clip = []
    for step in range(1, cfg.rl_steps + 1):
        pick = torch.randint(len(train_pairs), (cfg.prompts_per_step,), generator=gen).tolist()
        pairs = [train_pairs[i] for i in pick]  # every arm trains on the same problems
        for name, (learners, _) in arms.items():
            for speaker, listener, opts, mode in learners:
                stats = rl_step(speaker, listener, opts, tok, pairs, cfg, device, gen, mode)
                if name == "joint":
                    clip.append(stats["speaker_clip_fraction"] + stats["listener_clip_fraction"])
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            for name, (_, (speaker, listener, mode)) in arms.items():
                curves[name].append({"step": step, **evaluate(speaker, listener, tok, eval_pairs, cfg, device, mode)})
    curves["_clip_fraction"] = sum(clip) / (2 * max(len(clip), 1))
    return curves


def main(argv: list[str] | None = None) -> int:
    cfg = parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    train_pairs, held_out = split_pairs(cfg)
    eval_pairs = held_out[: cfg.eval_codes]
    make = lambda: build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd,  # noqa: E731
                                                block_size=16).to(device)
    speaker, listener = make(), make()

    # 1. Supervised warm-up of both agents on the ambiguous teacher, training pairs only. The listener first sits
    # on a plateau (loss ~1.7: it has not yet learnt to copy b) whose length varies by seed (about 60..300
    # updates), so the warm-up goes on past warmup_steps until the listener has left it.
    s_opt = torch.optim.AdamW(speaker.parameters(), lr=cfg.warmup_lr)
    l_opt = torch.optim.AdamW(listener.parameters(), lr=cfg.warmup_lr)
    warmup_done, smoothed = 0, None
    still_on_plateau = lambda: smoothed is not None and smoothed > cfg.warmup_fit  # noqa: E731
    while warmup_done < cfg.warmup_steps or (still_on_plateau() and warmup_done < 4 * cfg.warmup_steps):
        pick = torch.randint(len(train_pairs), (64,), generator=gen).tolist()
        pairs = [train_pairs[i] for i in pick]
        sft_step(speaker, s_opt, tok, [f"A{a}>" for a, _ in pairs], [teacher_message(a, cfg.speaker_code1, cfg, gen) for a, _ in pairs], device)
        msgs = [teacher_message(a, cfg.listener_code1, cfg, gen) if float(torch.rand(1, generator=gen)) >= cfg.no_message
                else "_" for a, _ in pairs]
        loss = sft_step(listener, l_opt, tok, [f"B{b:02d}|{m}>" for (_, b), m in zip(pairs, msgs)], [f"{a}{b:02d}" for a, b in pairs], device)
        smoothed = loss if smoothed is None else 0.9 * smoothed + 0.1 * loss
        warmup_done += 1
    before = evaluate(speaker, listener, tok, eval_pairs, cfg, device)

    # 2. Every arm starts from deep copies of the warm-up agents.
    opt = lambda m: torch.optim.AdamW(m.parameters(), lr=cfg.lr)  # noqa: E731
    js, jl = copy.deepcopy(speaker), copy.deepcopy(listener)
    sl = copy.deepcopy(listener)
    i_s, i_l = copy.deepcopy(speaker), copy.deepcopy(listener)
    arms = {
        "joint": ([(js, jl, {"speaker": opt(js), "listener": opt(jl)}, "team")], (js, jl, "team")),
        "single-agent": ([(None, sl, {"listener": opt(sl)}, "single")], (None, sl, "single")),
        # each agent learns against its partner frozen at the warm-up, then the two learners are paired
        "independent": ([(i_s, listener, {"speaker": opt(i_s)}, "team"), (speaker, i_l, {"listener": opt(i_l)}, "team")],
                        (i_s, i_l, "team")),
    }
    single_start = evaluate(None, listener, tok, eval_pairs, cfg, device, mode="single")
    rl_start = time.time()
    curves = train_arms(arms, tok, train_pairs, eval_pairs, cfg, device, gen,
                        {"joint": before, "single-agent": single_start, "independent": before})
    clip_fraction = curves.pop("_clip_fraction")
    final = {name: c[-1]["accuracy"] for name, c in curves.items()}
    result = {
        "capability": "collaboration", **policy_record(cfg), "metric": "team accuracy (held-out pairs)",
        "before": before["accuracy"], "baseline": final["single-agent"], "after": final["joint"],
        "baselines": {"single-agent": final["single-agent"], "independent": final["independent"]},
        "greedy": {name: c[-1]["greedy_accuracy"] for name, c in curves.items()} | {"before": before["greedy_accuracy"]},
        "baseline_method": "single agent: the listener alone (message hidden), same GRPO budget",
        "steps": cfg.rl_steps, "warmup_steps": warmup_done, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "rl_seconds": round(time.time() - rl_start, 1), "clip_fraction": round(clip_fraction, 4),
        "held_out_codes": len(held_out), "train_codes": len(train_pairs),
        "curve": curves["joint"],
        "curves": {name: [{"step": p["step"], "value": p["accuracy"]} for p in c] for name, c in curves.items() if name != "joint"},
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
