"""Memory: RL for a bounded memory rewritten chunk by chunk (MEM1 / MemAgent style), vs a truncated context.

Papers: MemAgent (overwrite a fixed-size memory while reading a long input in segments, trained with
multi-conversation RL), MEM1 (keep an internal state of constant size across turns, outcome reward).

Task (`ChunkedMemoryEnv`): the question names a key (``c``); the stream has `n_chunks` chunks of key-value
pairs, and the key's value is in exactly one of them. Turn t shows only ``"<memory>|<chunk t>|c"``; the
policy writes the next memory (`memory_size` characters). After the last chunk it sees ``"<memory>|?|c"``
and answers one digit. Reward: 1 when right, given only at the end.

Training (GRPO across turns, as MemAgent does). G episodes share the same stream; each episode is
n_chunks + 1 separate (prompt, response) conversations, and every conversation of episode i gets the
episode's advantage A_i = (R_i - mean R) / (std R + eps). The loss is the clipped surrogate of
`objectives.grpo.grpo_loss` (eq. 2 there), averaged per conversation, run for `--ppo-epochs` x
`--minibatches` optimiser steps per batch by `objectives.update.policy_update`. So a memory write earns
credit only through the final answer.

Held out: a stream is named by its content (question and chunks); a hash of that name puts a
`held_out` share of all streams aside (`splits.is_held_out`). Training and warm-up draw only streams of
the other side; every accuracy reported is on held-out streams.

Setup. A supervised warm-up in two parts. First `clean_steps` updates on an exact teacher, which writes
the fact (its value, or key and value when memory_size >= 2) when the asked key shows up and keeps its
memory (``=``) otherwise; this teaches the format and the key lookup, which the tiny model does not pick up
from noisy demonstrations alone. These exact updates read `warmup_episodes` streams each and keep only a
`keep_share` of the "keep" turns, so that the one "store" turn per stream is not outweighed. Then updates
(on a third as many streams) on a sloppy teacher that stores the fact only `demo_store` (half) of the
time, so the warm-up policy often reaches the end with an empty memory and must guess. The one-step
readers below warm up for the same number of updates on a third as many streams per update. `--quick` warms
up at a learning rate of 1e-3: at 3e-3 the exact part plateaued without the key lookup on about a third of the
seeds (the warm-up then answered near chance, and 20 GRPO updates could not find the lookup either). Its RL
learning rate is 5e-4 for every arm: at 1e-3 GRPO fell from its warm-up on some seeds (742759: 0.60 to 0.45,
its training reward dropping from 0.49 to 0.29 within ten updates).
From there, the same rollout and update budget for
  * baseline (the ablation): a policy that reads the question plus the last `memory_size + chunk_len`
    characters of the stream (the same context size as the memory agent) and answers at once, trained
    with GRPO. It gets the same warm-up length on a teacher that is right whenever the fact is in view;
    `baseline_ceiling` in the output is what a perfect reader of that view would score;
  * full-context: the same model reading the question and the whole stream at once (the stream fits in
    its context here), warmed up on a teacher as sloppy as the memory agent's (right `demo_store` of
    the time, a guess otherwise) and trained with GRPO. It needs no memory at all, so it can win; what
    it cannot do is read a stream longer than its context, which the memory agent can;
  * rft: the memory agent's warm-up trained by rejection-sampling fine-tuning (cross-entropy on the
    episodes that answered right) on the same rollouts budget;
  * mechanism: the memory agent trained with GRPO.
Departures: no reasoning text, a one-character memory, one fact to keep, a character-level toy task.
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

from reference_impl.capabilities.pg_step import PGFlags, grpo_step, lr_scheduler, rft_step
from reference_impl.capabilities.splits import pick_seeds
from reference_impl.core import (POLICY, PROMPT, CharTokenizer, PolicyConfig, TinyTransformer, TokenBuffer, autocast,
                                 collate, generate, pad_sequences, pick_device, seed_everything, token_logprobs)
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.envs.memory import CHARSET, VALUES, ChunkedMemoryEnv
from reference_impl.objectives import grpo


@dataclass
class Config(PGFlags, PolicyFlags):
    seed: int = field(default=1, metadata={"help": "random seed"})
    device: str = field(default="auto", metadata={"help": "auto | cpu | cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads"})
    quick: bool = field(default=False, metadata={"help": "small CPU configuration used by the tests"})
    n_chunks: int = field(default=12, metadata={"help": "chunks in the stream"})
    pairs_per_chunk: int = field(default=1, metadata={"help": "key-value pairs per chunk"})
    memory_size: int = field(default=1, metadata={"help": "characters of memory (1: the value; 2+: key and value)"})
    demo_store: float = field(default=0.5, metadata={"help": "how often the warm-up teacher stores the fact when it sees it"})
    demo_exact: float = field(default=1.0, metadata={"help": "how often the stored value is exact (else off by one)"})
    demo_overwrite: float = field(default=0.0, metadata={"help": "how often the teacher overwrites its memory with an irrelevant pair"})
    n_layer: int = field(default=4, metadata={"help": "transformer blocks"})
    n_embd: int = field(default=128, metadata={"help": "transformer width"})
    warmup_steps: int = field(default=2000, metadata={"help": "supervised warm-up updates (both policies)"})
    clean_steps: int = field(default=1000, metadata={"help": "first warm-up updates on exact demonstrations (format and lookup)"})
    warmup_episodes: int = field(default=24, metadata={"help": "streams per warm-up update, for every reader (the memory agent has n_chunks + 1 conversations per stream)"})
    keep_share: float = field(default=0.5, metadata={"help": "exact warm-up: share of the 'keep' turns trained on (balances them against the rare 'store' turns)"})
    warmup_lr: float = field(default=3e-3, metadata={"help": "warm-up learning rate"})
    rl_steps: int = field(default=300, metadata={"help": "GRPO updates (both policies)"})
    prompts_per_step: int = field(default=64, metadata={"help": "distinct streams per update"})
    group_size: int = field(default=16, metadata={"help": "G, episodes per stream"})
    lr: float = field(default=3e-4, metadata={"help": "RL learning rate"})
    eps: float = field(default=0.2, metadata={"help": "clip range of the ratio"})
    eval_episodes: int = field(default=200, metadata={"help": "held-out streams for evaluation"})
    curve_episodes: int = field(default=64, metadata={"help": "held-out streams per curve point"})
    held_out: float = field(default=0.25, metadata={"help": "share of all streams held out (by a hash of the stream)"})
    eval_every: int = field(default=50, metadata={"help": "evaluate every this many updates"})


QUICK = dict(n_chunks=6, n_layer=2, n_embd=64, warmup_steps=600, clean_steps=450, warmup_episodes=48, warmup_lr=1e-3, rl_steps=20, prompts_per_step=16, group_size=8,
             lr=5e-4, eval_every=5, eval_episodes=100, curve_episodes=32)


def parse_config(argv) -> Config:
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)


def make_env(cfg: Config, mode: str) -> ChunkedMemoryEnv:
    return ChunkedMemoryEnv(cfg.n_chunks, cfg.pairs_per_chunk, cfg.memory_size, mode=mode)


def stream_key(env: ChunkedMemoryEnv) -> str:
    """The content of the current episode: the question and the whole stream."""
    return env.query + "|" + "".join(env.chunks)


def train_seeds(env: ChunkedMemoryEnv, cfg: Config, gen: torch.Generator, n: int) -> list[int]:
    """n random stream seeds whose stream is on the training side of the split."""
    candidates = torch.randint(0, 2**31 - 1, (100 * n,), generator=gen).tolist()
    return pick_seeds(env, stream_key, candidates, n, False, cfg.seed, cfg.held_out)


def eval_seeds(cfg: Config, n: int) -> list[int]:
    """The first n held-out streams from seed 10**9 up (the same for every policy)."""
    return pick_seeds(make_env(cfg, "memory"), stream_key, range(10**9, 10**9 + 100 * n), n, True, cfg.seed, cfg.held_out)


def conversation(tok, obs: str, response: str) -> TokenBuffer:
    return TokenBuffer().add([tok.bos_id] + tok.encode(obs), PROMPT).add(tok.encode(response) + [tok.eos_id], POLICY)


def visible_fact(env: ChunkedMemoryEnv, obs: str) -> str | None:
    """The asked key's value when a whole key-value pair of it is inside the truncated view, else None."""
    tail = obs.split("|")[0]
    seen = [tail[i + 1] for i in range(len(tail) - 1) if tail[i] == env.query and i % 2 == len(tail) % 2]
    return seen[0] if seen else None


def teacher_episode(tok, env: ChunkedMemoryEnv, seed: int, cfg: Config, gen: torch.Generator, clean: bool = False) -> list[TokenBuffer]:
    """The imperfect teacher's conversations for one stream (either mode); `clean` makes it exact."""
    obs, info = env.reset(seed=seed)
    guess = "0"  # the teacher's fallback when it does not know
    if env.mode == "truncate":  # right whenever the fact is in view, a guess otherwise
        return [conversation(tok, obs, visible_fact(env, obs) or guess)]
    if env.mode == "full":  # as sloppy as the memory teacher: knows the fact demo_store of the time
        knows = clean or float(torch.rand(1, generator=gen)) < cfg.demo_store
        return [conversation(tok, obs, env.answer if knows else guess)]
    convs = []
    for t in range(env.n_chunks):  # writes the fact only demo_store of the time when it sees it; else keeps
        chunk, write = env.chunks[t], "="  # "=" keeps the memory unchanged
        match = env.query in chunk[0::2]
        pair = env.query + chunk[chunk.index(env.query) + 1] if match else chunk[:2]
        u = float(torch.rand(1, generator=gen))
        if match and not clean and float(torch.rand(1, generator=gen)) >= cfg.demo_exact:
            pair = pair[0] + str((int(pair[1]) + 1) % 10)  # optional slip: stores the value off by one
        p_write = (1.0 if clean else cfg.demo_store) if match else (0.0 if clean else cfg.demo_overwrite)
        if u < p_write:
            write = pair[1:] if cfg.memory_size == 1 else pair.ljust(cfg.memory_size, "_")  # value, or key+value
        if match or not clean or float(torch.rand(1, generator=gen)) < cfg.keep_share:
            convs.append(conversation(tok, obs, write))  # clean: about as many "keep" turns as "store" turns
        obs, *_ = env.step(write)
    if cfg.memory_size == 1:
        answer = env.memory if env.memory in VALUES else guess
    else:
        answer = env.memory[1] if env.memory[0] == env.query else guess
    return convs + [conversation(tok, obs, answer)]


# ---------------------------------------------------------------- rollout: every episode in lock-step, turn by turn
@torch.no_grad()
def rollout(model, tok, seeds, n_per, cfg, device, mode):
    """n_per episodes per stream seed. Returns conversations, which episode each belongs to, rewards, correct."""
    envs = [make_env(cfg, mode) for _ in range(len(seeds) * n_per)]
    obs = [env.reset(seed=int(seeds[i // n_per]))[0] for i, env in enumerate(envs)]
    convs, owner = [], []
    reward, correct = torch.zeros(len(envs)), torch.zeros(len(envs))
    n_turns = cfg.n_chunks + 1 if mode == "memory" else 1
    for turn in range(n_turns):
        prompts = [[tok.bos_id] + tok.encode(o) for o in obs]
        ids, mask = pad_sequences(prompts, tok.pad_id, side="left", device=device)
        with autocast(device):
            ro = generate(model, ids, mask, cfg.memory_size + 1, stop_ids=[tok.eos_id], pad_id=tok.pad_id)
        for i, env in enumerate(envs):
            resp = [t for t, m in zip(ro.responses[i].tolist(), ro.response_mask[i].tolist()) if m]
            convs.append(TokenBuffer().add(prompts[i], PROMPT).add(resp, POLICY))
            owner.append(i)
            obs[i], r, done, _, info = env.step(tok.decode(resp, skip_special=True))
            reward[i] += r
            if done:
                correct[i] = float(info["correct"])
    return convs, torch.tensor(owner), reward, correct


def train(model, tok, cfg, device, gen, mode, held, arm: str = "grpo") -> tuple[list[dict], float | None]:
    """GRPO (arm 'grpo') or RFT on the right episodes (arm 'rft'); returns the held-out curve and mean clip fraction."""
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr)
    sched = lr_scheduler(opt, cfg, cfg.rl_steps)
    mb_gen, env, clip = torch.Generator().manual_seed(cfg.seed + 2), make_env(cfg, mode), []
    evaluate = lambda seeds: round(float(rollout(model, tok, seeds, 1, cfg, device, mode)[3].mean()), 4)  # noqa: E731
    curve = [{"step": 0, "accuracy": evaluate(held)}]  # first and last point on every held-out stream, the rest on a subset
    for step in range(1, cfg.rl_steps + 1):
        seeds = train_seeds(env, cfg, gen, cfg.prompts_per_step)
        convs, owner, rewards, correct = rollout(model, tok, seeds, cfg.group_size, cfg, device, mode)
        batch = collate(convs, tok.pad_id, device=device)
        if arm == "rft":  # every conversation of an episode that answered right
            rft_step(model, opt, batch, correct[owner], cfg, mb_gen)
        else:
            adv = grpo.group_advantages(rewards, cfg.group_size)[owner]  # the episode's advantage, every turn
            clip.append(grpo_step(model, opt, batch, adv, cfg, mb_gen, mode="grpo").get("clip_fraction", 0.0))
        sched.step()
        if step % cfg.eval_every == 0 or step == cfg.rl_steps:
            curve.append({"step": step, "accuracy": evaluate(held[: cfg.curve_episodes]), "train_reward": round(float(rewards.mean()), 4)})
    curve[-1]["accuracy"] = evaluate(held)
    return curve, (sum(clip) / len(clip) if clip else None)


def warm_up(tok, cfg, device, gen, mode) -> torch.nn.Module:
    block = max(32, 8 + 2 * cfg.pairs_per_chunk * cfg.n_chunks)  # the full-context reader sees the whole stream
    model = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=block).to(device)
    opt, env = torch.optim.AdamW(model.parameters(), lr=cfg.warmup_lr), make_env(cfg, mode)
    # the memory agent: warmup_episodes streams per exact update (n_chunks + 1 conversations each), a third
    # of that per sloppy update; the one-step readers: a third of it throughout (one conversation each)
    per_step = cfg.warmup_episodes if mode == "memory" else max(1, cfg.warmup_episodes // 3)
    for s in range(cfg.warmup_steps):  # constant lr for the first half, then a linear decay to 5%
        opt.param_groups[0]["lr"] = cfg.warmup_lr * min(1.0, 2 * (1 - s / cfg.warmup_steps) + 0.05)
        clean = s < cfg.clean_steps
        # the sloppy part only sets how often the fact is stored, so a third of the streams suffice there
        seeds = train_seeds(env, cfg, gen, per_step if clean or mode != "memory" else max(1, per_step // 3))
        batch = collate([c for x in seeds for c in teacher_episode(tok, env, x, cfg, gen, clean)], tok.pad_id, device=device)
        with autocast(device):
            logp = token_logprobs(model, batch.input_ids, batch.attention_mask)
        loss = -(logp * batch.loss_mask).sum() / batch.loss_mask.sum()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return model


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, CHARSET)
    held = eval_seeds(cfg, cfg.eval_episodes)  # streams never used in training or warm-up

    env = make_env(cfg, "truncate")  # best possible truncated reader: right when the fact is in view, else 1 in 10
    in_view = sum(visible_fact(env, env.reset(seed=s)[0]) is not None for s in held) / len(held)
    arms = {}
    for name, mode in (("truncated", "truncate"), ("full-context", "full")):
        arms[name] = train(warm_up(tok, cfg, device, gen, mode), tok, cfg, device, gen, mode, held)
    agent = warm_up(tok, cfg, device, gen, "memory")
    arms["rft"] = train(copy.deepcopy(agent), tok, cfg, device, gen, "memory", held, arm="rft")
    t0 = time.time()
    curve, clip = train(agent, tok, cfg, device, gen, "memory", held)
    rl_seconds = time.time() - t0
    result = {
        "capability": "memory", **policy_record(cfg), "metric": "final-answer accuracy",
        "before": curve[0]["accuracy"], "baseline": arms["truncated"][0][-1]["accuracy"], "after": curve[-1]["accuracy"],
        "baselines": {name: c[-1]["accuracy"] for name, (c, _) in arms.items()},
        "baseline_before": arms["truncated"][0][0]["accuracy"], "baseline_ceiling": round(in_view + 0.1 * (1 - in_view), 4),
        "baseline_method": "truncated context of the same size (question + last memory_size+chunk_len characters), same warm-up and GRPO budget",
        "held_out": f"a hash-chosen {cfg.held_out:.0%} of all streams (question and chunks), never used in warm-up or training",
        "context_chars": 4 + cfg.memory_size + 2 * cfg.pairs_per_chunk, "stream_chars": 2 * cfg.pairs_per_chunk * cfg.n_chunks,
        "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device), "seconds": round(time.time() - start, 1),
        "clip_fraction": clip,
        "rl_episodes_per_second": round(cfg.rl_steps * cfg.prompts_per_step * cfg.group_size / rl_seconds, 1),
        "curve": curve, "baseline_curve": arms["truncated"][0],
        "curves": {name: [{"step": p["step"], "value": p["accuracy"]} for p in c] for name, (c, _) in arms.items()},
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
