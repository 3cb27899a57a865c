"""Long-horizon credit assignment: step-level groups (GiGPO style) against trajectory-level credit.

Task: `RLAtlas/LongHorizon-v0`, a chain of rooms each opened by a hidden key; +1 when the last door
opens within `max_turns` turns, and a small turn-level reward (`door_reward`, 0.1) for every door opened
on the way (`--door-reward 0` leaves the outcome reward alone; docs/implementations/long-horizon.md
says why the default pays it). Every group plays its own hidden key combination, drawn so
that each room's key is that room's usual key with probability `bias` and another key otherwise (a
building whose locks mostly follow one pattern). Combinations are split by a hash of their number
into a training set and a disjoint held-out set (`is_held_out`); training samples only the first,
every evaluation only the second. So no combination can be memorised; what transfers is the per-room
prior and a way of searching when it fails (try another key, move on after a `+`).
The tiny transformer reads the whole interaction so far (`<bos> s0 | a -0 | b +1 | ...`) and emits one
key token per turn; the environment's two-character reply is appended as ENV tokens, which never
enter the loss.

All learners start from the same format-only warm-up (random valid keys) and get the same rollouts
(the same random stream) and the same optimiser steps. The two RL arms differ only in the advantage
given to each action token:

* trajectory level (GRPO on the episode return, the ablation): every action of trajectory i gets
      A_i = (R_i - mean_group R) / (std_group R + eps),   R_i = sum_t r_t                      (1)
  so a successful run also reinforces its wrong keys, and a failed run punishes its right ones.
* step level (GiGPO, Feng et al. 2025): steps taken from the same environment state (the same room
  of the same combination, the "anchor state") anywhere in the group form a second group; each
  step's discounted return
      R_t = sum_k gamma^k r_{t+k}                                                               (2)
  is normalised inside its anchor group, and added to (1):
      A_{i,t} = A_i + omega * (R_t - mean_anchor R) / (std_anchor R + eps)                      (3)
  A right key earns the door reward now and reaches the exit sooner, so its R_t is higher than that of
  a wrong key from the same room. With the outcome reward alone (`--door-reward 0`) R_t is zero for
  every step of a failed run and differs between the steps of a successful one only by discounting,
  so the anchor groups carry little beyond the outcome; the two arms then tie within the spread of
  seeds (the docs page has the 20-seed record).

Step size. Eq. (3) sums two unit-variance terms, so its advantages are larger than those of (1) and
at the same learning rate the GiGPO arm would also take bigger steps. Both arms therefore divide their
per-token advantages by their standard deviation over the batch's action tokens (`unit_variance`),
so each arm's advantages have variance 1 and the comparison is about direction, not step size.
A third arm, RFT (rejection-sampling fine-tuning), does cross-entropy on the successful rollouts.
The update is `objectives.update.policy_update` with GRPO's clipped surrogate, `--ppo-epochs` x
`--minibatches` steps per batch, and (both RL arms) GRPO's k3 KL term to the frozen warm-up policy
(`--kl-coef`, 0.1 with `--quick`; GiGPO keeps a KL term too), which stops the trajectory-level ablation
from collapsing to a fixed wrong key sequence on some seeds (docs/implementations/long-horizon.md lists the
variants tried).

Departures from the paper: exact state matching on the room number, a toy chain
instead of ALFWorld, and a turn-level reward per door where ALFWorld pays only at the end.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file: make `reference_impl` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference_impl.capabilities.pg_step import (PGFlags, as_batch, grpo_step, kl_reference, lr_scheduler,
                                                 rft_step, unit_variance)
from reference_impl.capabilities.splits import is_held_out
from reference_impl.core import CharTokenizer, PolicyConfig, TinyTransformer, autocast, pick_device, seed_everything
from reference_impl.core import token_logprobs
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.envs.long_horizon import STATUS, LongHorizonEnv


@dataclass
class Config(PGFlags, PolicyFlags):
    quick: bool = False
    """Small CPU configuration used by the tests (seconds to a minute on one core)."""
    seed: int = 1
    """Seed for torch, numpy, the rollouts and the train/held-out split of combinations."""
    device: str = "auto"
    """auto | cpu | cuda."""
    threads: int = 1
    """torch CPU threads."""
    n_rooms: int = 8
    """Rooms in the chain (the horizon is at least this many turns)."""
    n_keys: int = 4
    """Keys to choose from in each room."""
    max_turns: int = 20
    """Turn budget per episode."""
    task_seed: int = 0
    """Seed of the usual key of each room."""
    bias: float = 0.9
    """Probability that a room's key is its usual key (else one of the other keys, uniformly)."""
    held_out: float = 0.25
    """Share of the n_keys ** n_rooms combinations held out for evaluation."""
    iterations: int = 150
    """RL updates per learner (each on one batch of fresh rollouts)."""
    groups: int = 8
    """Groups per batch (each group plays one training combination)."""
    group_size: int = 8
    """Trajectories per group."""
    lr: float = 1e-3
    """Adam learning rate for RL (every arm)."""
    lr_schedule: str = "linear"
    """constant | linear (decays to 0 over `iterations`, TRL's default); the same for every learner. Constant until
    December 2026: the step-level arm then lost to the trajectory-level one on 4 of 31 seeds (docs page)."""
    gamma: float = 0.5
    """Discount for the step-level returns of eq. (2)."""
    omega: float = 1.0
    """Weight of the step-level advantage in eq. (3)."""
    anchor: str = "room"
    """Anchor state of the step-level groups: room, or room-turn (the room and the number of turns already used)."""
    door_reward: float = 0.1
    """Reward for every door opened, on top of the +1 outcome (0: the outcome reward only)."""
    warmup_steps: int = 60
    """Supervised warm-up steps on random valid keys (teaches the format, not a search strategy)."""
    eval_episodes: int = 256
    """Episodes (sampled at temperature 1, one held-out combination each) per evaluation."""
    n_layer: int = 2
    """Transformer blocks."""
    n_embd: int = 64
    """Transformer width."""
    target: float = 0.8
    """Training success rate that counts as "reached" for steps_to_target."""
    curve_every: int = 5
    """Evaluate on held-out combinations every this many iterations (for the curves)."""
    curve_episodes: int = 64
    """Held-out episodes per curve point."""


QUICK = dict(iterations=40, groups=6, group_size=8, warmup_steps=40, eval_episodes=192, kl_coef=0.1)
ARMS = ("gigpo", "trajectory", "rft")
ANCHORS = ("room", "room-turn")  # the values of --anchor, see anchor_states


def make_tokenizer(cfg, env: LongHorizonEnv):
    return build_tokenizer(cfg, env.keys + STATUS + "0123456789*")


def sample_combinations(cfg: Config, n: int, held_out: bool, rng: np.random.Generator) -> list[int]:
    """n combination numbers from the biased distribution, restricted (by rejection) to the training
    side (held_out=False) or the held-out side of the hash partition."""
    usual = LongHorizonEnv(cfg.n_rooms, cfg.n_keys, cfg.max_turns, cfg.task_seed).solution
    keys, out = "abcdefgh"[: cfg.n_keys], []
    while len(out) < n:
        c = 0
        for r in range(cfg.n_rooms):
            k = keys.index(usual[r])
            if rng.random() >= cfg.bias:  # one of the other keys
                k = (k + 1 + int(rng.integers(cfg.n_keys - 1))) % cfg.n_keys
            c += k * cfg.n_keys**r
        if is_held_out(f"combination {c}", cfg.seed, cfg.held_out) == held_out:
            out.append(c)
    return out


@torch.no_grad()
def rollout(model, tok, cfg: Config, combos: list[int], device, gen: torch.Generator, temperature: float = 1.0):
    """Play one episode per entry of `combos` in parallel. Returns token ids (n, L), a mask of the
    policy's action tokens, the room each action was taken in (-1 where none), per-turn rewards and the
    success flags."""
    n = len(combos)
    envs = [LongHorizonEnv(cfg.n_rooms, cfg.n_keys, cfg.max_turns, door_reward=cfg.door_reward) for _ in range(n)]
    first = [e.reset(options={"combination": c})[0] for e, c in zip(envs, combos)]
    ids = torch.tensor([[tok.bos_id] + tok.encode(o) for o in first], device=device)
    act_mask = torch.zeros(n, 3 + 3 * cfg.max_turns, dtype=torch.bool)
    rooms = torch.full((n, cfg.max_turns), -1)
    rewards = torch.zeros(n, cfg.max_turns)
    done = np.zeros(n, bool)
    success = np.zeros(n, bool)
    out = model(ids)
    past, logits = out.past_key_values, out.logits[:, -1]
    for t in range(cfg.max_turns):
        if temperature > 0:
            probs = torch.softmax(logits.float() / temperature, -1)
            action = torch.multinomial(probs, 1, generator=gen).squeeze(1)
        else:
            action = logits.argmax(-1)
        new = torch.full((n, 3), tok.pad_id, device=device)
        for i, env in enumerate(envs):
            if done[i]:
                continue
            rooms[i, t] = env.room
            obs, r, term, trunc, _ = env.step(tok.tokens[int(action[i])])
            rewards[i, t] = r
            new[i, 0] = action[i]
            new[i, 1:] = torch.tensor(tok.encode(obs))
            act_mask[i, 3 + 3 * t] = True
            done[i], success[i] = term or trunc, success[i] or term
        ids = torch.cat([ids, new], 1)
        if done.all():
            break
        out = model(new, past_key_values=past)  # right padding after an episode ends is harmless (causal)
        past, logits = out.past_key_values, out.logits[:, -1]
    return ids, act_mask[:, : ids.shape[1]], rooms, rewards, success


def trajectory_advantages(returns: torch.Tensor, group_size: int, eps: float = 1e-6) -> torch.Tensor:
    """Eq. (1): per-trajectory advantage, normalised inside each group of `group_size`."""
    r = returns.view(-1, group_size)
    return ((r - r.mean(1, keepdim=True)) / (r.std(1, keepdim=True) + eps)).view(-1)


def anchor_states(rooms: torch.Tensor, anchor: str = "room") -> torch.Tensor:
    """The anchor state of every turn (n, T): the room, or with anchor="room-turn" the room and the turn index
    together (one integer per pair); -1 where the episode had ended."""
    if anchor == "room":
        return rooms
    if anchor not in ANCHORS:
        raise ValueError(f"anchor must be one of {ANCHORS}, got {anchor!r}")
    T = rooms.shape[1]
    return torch.where(rooms >= 0, rooms * T + torch.arange(T), -1)


def step_advantages(rooms: torch.Tensor, rewards: torch.Tensor, group_size: int, gamma: float,
                    eps: float = 1e-6) -> torch.Tensor:
    """Eqs. (2)-(3) step part: (n, T) advantages, normalised among steps of the same group taken
    in the same room. Steps with room -1 (after the episode ended) get 0."""
    n, T = rewards.shape
    ret = torch.zeros(n, T)
    running = torch.zeros(n)
    for t in reversed(range(T)):  # discounted return-to-go, eq. (2)
        running = rewards[:, t] + gamma * running
        ret[:, t] = running
    adv = torch.zeros(n, T)
    for g in range(n // group_size):
        sl = slice(g * group_size, (g + 1) * group_size)
        gr, groom = ret[sl], rooms[sl]
        a = torch.zeros_like(gr)
        for room in groom.unique().tolist():
            if room < 0:
                continue
            m = groom == room
            vals = gr[m]
            std = vals.std() if vals.numel() > 1 else torch.tensor(0.0)
            a[m] = (vals - vals.mean()) / (std + eps)
        adv[sl] = a
    return adv


def evaluate(model, tok, cfg, device, gen, combos: list[int]) -> float:
    """Success rate on the given (held-out) combinations, one sampled episode each."""
    model.eval()
    *_, success = rollout(model, tok, cfg, combos, device, gen)
    return float(success.mean())


def warmup(model, tok, cfg, device):
    """Supervised warm-up on episodes played with uniformly random valid keys (format only)."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(cfg.seed)
    for _ in range(cfg.warmup_steps):
        seqs, masks = [], []
        for c in sample_combinations(cfg, 32, False, rng):
            env = LongHorizonEnv(cfg.n_rooms, cfg.n_keys, cfg.max_turns)
            obs, _ = env.reset(options={"combination": c})
            ids, mask = [tok.bos_id] + tok.encode(obs), [False] * 3
            for _ in range(cfg.max_turns):
                key = env.keys[int(rng.integers(cfg.n_keys))]
                obs, _, term, trunc, _ = env.step(key)
                ids += tok.encode(key) + tok.encode(obs)
                mask += [True, False, False]
                if term or trunc:
                    break
            seqs.append(ids)
            masks.append(mask)
        L = max(map(len, seqs))
        x = torch.tensor([s + [tok.pad_id] * (L - len(s)) for s in seqs], device=device)
        m = torch.tensor([k + [False] * (L - len(k)) for k in masks], device=device)
        with autocast(device):
            logp = token_logprobs(model, x)
        loss = -(logp * m[:, 1:]).sum() / m.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def token_advantages(adv: torch.Tensor, shape) -> torch.Tensor:
    """Scatter per-turn advantages (n, T) onto the action token positions (3 + 3t) of (n, L) sequences."""
    tok_adv = torch.zeros(shape)
    for t in range(adv.shape[1]):
        pos = 3 + 3 * t
        if pos < shape[1]:
            tok_adv[:, pos] = adv[:, t]
    return tok_adv


def train(model, tok, cfg: Config, device, mode: str, gen: torch.Generator, curve_combos):
    """RL with trajectory-level ('trajectory') or step-level ('gigpo') advantages, or RFT ('rft').
    Returns the held-out curve, the training curve, steps to target, tokens and the mean clip fraction."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = lr_scheduler(opt, cfg, cfg.iterations)
    ref = kl_reference(model, cfg)  # the warm-up policy, for GRPO's KL term
    n, curve, train_curve, steps_to_target, tokens, clip = cfg.groups * cfg.group_size, [], [], None, 0, []
    rng = np.random.default_rng(cfg.seed + 1)  # the same combinations for every arm
    mb_gen = torch.Generator().manual_seed(cfg.seed + 2)
    curve.append({"step": 0, "success_rate": evaluate(model, tok, cfg, device, gen, curve_combos)})
    for it in range(cfg.iterations):
        combos = [c for c in sample_combinations(cfg, cfg.groups, False, rng) for _ in range(cfg.group_size)]
        model.eval()
        ids, act_mask, rooms, rewards, success = rollout(model, tok, cfg, combos, device, gen)
        tokens += ids.numel()
        batch = as_batch(ids, act_mask[:, 1:].to(device))
        model.train()
        if mode == "rft":
            stats = rft_step(model, opt, batch, torch.as_tensor(success, dtype=torch.float32), cfg, mb_gen)
        else:
            adv = trajectory_advantages(rewards.sum(1), cfg.group_size)[:, None].expand(-1, cfg.max_turns).clone()
            if mode == "gigpo":
                anchors = anchor_states(rooms, cfg.anchor)
                adv = adv + cfg.omega * step_advantages(anchors, rewards, cfg.group_size, cfg.gamma)
            adv = unit_variance(adv, rooms >= 0)  # the same advantage scale in both arms
            tok_adv = token_advantages(adv, act_mask.shape)[:, 1:].to(device)
            stats = grpo_step(model, opt, batch, tok_adv, cfg, mb_gen, mode="bnpo", ref=ref)
            clip.append(stats.get("clip_fraction", 0.0))
        sched.step()
        rate = float(success.mean())
        if steps_to_target is None and rate >= cfg.target:
            steps_to_target = it + 1
        if (it + 1) % cfg.curve_every == 0 or it == cfg.iterations - 1:
            train_curve.append({"step": it + 1, "success_rate": rate})
            curve.append({"step": it + 1, "success_rate": evaluate(model, tok, cfg, device, gen, curve_combos)})
    return curve, train_curve, steps_to_target, tokens, (float(np.mean(clip)) if clip else None)


def parse(argv) -> Config:
    """One --flag per dataclass field; each field's docstring is its --help text."""
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)


def main(argv: list[str] | None = None) -> int:
    cfg = parse(argv)
    if cfg.anchor not in ANCHORS:
        raise SystemExit(f"--anchor must be one of {', '.join(ANCHORS)}")
    device = pick_device(cfg.device)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    t0 = time.time()
    eval_combos = sample_combinations(cfg, cfg.eval_episodes, True, np.random.default_rng(cfg.seed + 3))
    curve_combos = eval_combos[: cfg.curve_episodes]
    env = LongHorizonEnv(cfg.n_rooms, cfg.n_keys, cfg.max_turns)
    tok = make_tokenizer(cfg, env)
    pcfg = dict(n_layer=cfg.n_layer, n_embd=cfg.n_embd,
                        block_size=4 + 3 * cfg.max_turns)
    base = build_model(cfg, tok, **pcfg).to(device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    warmup(base, tok, cfg, device)
    before = evaluate(base, tok, cfg, device, gen, eval_combos)
    results, tokens = {}, 0
    for mode in ARMS:
        model = copy.deepcopy(base)
        gen.manual_seed(cfg.seed + 1)  # every learner sees the same random stream
        curve, train_curve, steps, n_tok, clip = train(model, tok, cfg, device, mode, gen, curve_combos)
        results[mode] = dict(success=evaluate(model, tok, cfg, device, gen, eval_combos), curve=curve,
                             train_curve=train_curve, steps_to_target=steps, clip_fraction=clip)
        tokens += n_tok
    seconds = time.time() - t0
    name = {"trajectory": "trajectory-grpo", "rft": "rft"}
    line = {
        "capability": "long-horizon", **policy_record(cfg), "metric": "success_rate", "before": before,
        "baseline": results["trajectory"]["success"], "after": results["gigpo"]["success"],
        "baselines": {name[m]: results[m]["success"] for m in name},
        "baseline_method": "trajectory-level GRPO (the same advantage scale, rollouts and updates, no step-level groups)",
        "steps": cfg.iterations, "seed": cfg.seed, "seconds": round(seconds, 2),
        "clip_fraction": results["gigpo"]["clip_fraction"],
        "held_out": f"a hash-chosen {cfg.held_out:.0%} of the {cfg.n_keys ** cfg.n_rooms} key combinations (never trained on)",
        "curve": results["gigpo"]["curve"], "baseline_curve": results["trajectory"]["curve"],
        "curves": {name[m]: [{"step": p["step"], "value": p["success_rate"]} for p in results[m]["curve"]] for m in name},
        "train_curve": results["gigpo"]["train_curve"],
        "steps_to_target": results["gigpo"]["steps_to_target"],
        "baseline_steps_to_target": results["trajectory"]["steps_to_target"], "target": cfg.target,
        "tokens_per_second": round(tokens / seconds, 1), "device": str(device),
        "config": dataclasses.asdict(cfg),
    }
    if device.type == "cuda":
        line["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
