"""Planning with RL, both ways the survey (section 3.1) tells apart: RL as an internal driver and as an external guide.

Task: `RLAtlas/Planning-v0`, 5x5 grids with walls and a trap, where in half of the layouts the
myopic "step closer to the goal" walker fails. The pool holds `n_layouts` layouts; a hash of each
layout's content puts a `held_out` share of them aside (`split`): every learner trains on the others
only, and every number reported is measured on the held-out layouts, which no learner has seen.
The policy sees what is next to it, not the grid (`view`): the four neighbouring cells and the goal's
direction, five tokens, after `<bos>` and then after each move token `U D L R`. Such a view looks the
same on every layout, so what is learned on the training layouts can carry over to unseen ones (with
the whole grid in the prompt the tiny transformer memorised its training layouts instead).
Everything starts from one supervised warm-up on the myopic walker's own (imperfect) episodes.

Internal driver (this file, `--paradigm internal`): multi-turn RL over whole trajectories, in the
StarPO style of RAGEN (Wang et al. 2025): G episodes per layout, one outcome return each, and a
GRPO advantage shared by every move of the episode:
    A_i = (R_i - mean_group R) / (std_group R + eps),   R_i = sum_t r_t                         (1)
The ablation gets the same rollouts and updates but scores each turn on its own (single-turn
RL): a shaped immediate reward (+1 goal, -1 trap, +-0.2 per step closer/further), normalised
over the turns of the group. It can learn to avoid traps, but never to walk away from the goal
to get round a wall, which is exactly what the hard layouts need. A second baseline, RFT
(rejection-sampling fine-tuning), does cross-entropy on the episodes that reached the goal.
Every arm updates through `objectives.update.policy_update` (GRPO's clipped surrogate, or the RFT
cross-entropy), `--ppo-epochs` x `--minibatches` optimiser steps per batch. Both GRPO arms add GRPO's k3 KL
term to the frozen warm-up policy (`--kl-coef`, 0.1 with `--quick`): without it the outcome-only return
traded the warm-up's skill on easy layouts (no trap stepped on, no wasted turns) for detours it did not need.

External guide (`planning_search.py`, `--paradigm external`): the warm-up policy is frozen and
proposes moves; a value network trained by TD on environment returns scores them, and a small
lookahead picks the best. Compared with greedy decoding of the same policy.

Departures from the papers: a 25-cell toy world seen through a local view instead of
Sokoban/FrozenLake, and the episode reward instead of RAGEN's reasoning format.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import json
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

if __package__ in (None, ""):  # run as a file: make `reference_impl` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from reference_impl.capabilities.pg_step import PGFlags, as_batch, grpo_step, kl_reference, lr_scheduler, rft_step
from reference_impl.capabilities.splits import is_held_out
from reference_impl.core import CharTokenizer, PolicyConfig, TinyTransformer, autocast, pick_device, seed_everything
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.core import token_logprobs
from reference_impl.envs.planning import (ACTIONS, MOVES, PlanningEnv, goal_cell, greedy_action, greedy_succeeds,
                                          manhattan_cells)
from reference_impl.objectives.grpo import group_advantages

COMPASS = "123456789"  # direction to the goal, laid out like a numeric keypad: 8 = straight up, 3 = down-right
BORDER = "#"  # outside the grid reads as a wall


@dataclass
class Config(PGFlags, PolicyFlags):
    quick: bool = False
    """Small CPU configuration used by the tests (under two minutes on one core)."""
    paradigm: str = "both"
    """internal | external | both."""
    seed: int = 1
    """Seed for torch, numpy and the rollouts."""
    device: str = "auto"
    """auto | cpu | cuda."""
    threads: int = 1
    """torch CPU threads."""
    n_layouts: int = 160
    """Layouts in the pool (half of them defeat the myopic walker)."""
    held_out: float = 0.25
    """Share of the pool held out for evaluation (chosen by a hash of each layout)."""
    layout_seed: int = 0
    """Seed of the layout pool."""
    max_turns: int = 12
    """Turn budget per episode."""
    warmup_steps: int = 400
    """Supervised steps on the myopic walker's episodes."""
    iterations: int = 200
    """RL updates per internal-driver learner."""
    groups: int = 8
    """Layouts per batch."""
    group_size: int = 8
    """Episodes per layout per batch."""
    lr: float = 1e-3
    """Adam learning rate for RL."""
    lr_schedule: str = "linear"
    """constant | linear (decays to 0 over `iterations`, TRL's default): the same for every RL learner."""
    eval_per_layout: int = 32
    """Sampled episodes per held-out layout in the reported evaluations (before and after each arm)."""
    curve_per_layout: int = 8
    """Sampled episodes per layout at each point of the training curve (16 held-out layouts)."""
    value_steps: int = 2000
    """TD updates of the external guide's value network."""
    proposals: int = 2
    """Moves the frozen policy proposes at each node of the lookahead (top-K)."""
    depth: int = 2
    """Lookahead depth of the value-guided search."""
    gamma: float = 0.9
    """Discount of the value network's TD target."""
    search_layouts: int = 0
    """External guide: score greedy decoding and both searches on the first this many held-out layouts (0 = all)."""
    n_layer: int = 2
    """Transformer blocks."""
    n_embd: int = 64
    """Transformer width."""
    curve_every: int = 5
    """Record the training success rate every this many iterations."""


QUICK = dict(iterations=80, warmup_steps=300, n_layouts=200, groups=8, group_size=8, eval_per_layout=32, curve_every=10,
             value_steps=400, lr=1e-3, kl_coef=0.1, search_layouts=24)
ARMS = ("trajectory", "myopic", "rft")


def layout_key(grid: np.ndarray, start: int) -> str:
    return "".join(grid.reshape(-1)) + f"@{start}"


def split(cfg: Config) -> tuple[list[int], list[int]]:
    """(training layout ids, held-out layout ids) of the pool. A layout is held out when the hash of its
    content (grid and start) falls below `held_out`, so two identical layouts always land on the same
    side; deterministic in cfg.seed."""
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    train, held = [], []
    for i, (grid, start) in enumerate(env.layouts):
        (held if is_held_out(layout_key(grid, start), cfg.seed, cfg.held_out) else train).append(i)
    return train, held


def make_tokenizer(cfg):
    return build_tokenizer(cfg, ".#TG" + "".join(ACTIONS) + COMPASS)


def view(grid: np.ndarray, pos: int, goal: int | None = None) -> str:
    """What the agent sees from `pos`: the cell one step up, down, left and right (`.`, `#`, `T` or `G`;
    the border reads `#`), then the direction to the goal as one `COMPASS` digit. Five characters, the
    same for any layout, so a rule learned on some layouts can apply to unseen ones. `goal`: the goal's
    cell when the caller knows it (found in the grid otherwise)."""
    n = grid.shape[0]
    r, c = divmod(pos, n)
    cells = "".join(grid[r + dr, c + dc] if 0 <= r + dr < n and 0 <= c + dc < n else BORDER for dr, dc in MOVES.values())
    gr, gc = divmod(goal_cell(grid) if goal is None else goal, n)
    return cells + COMPASS[3 * (1 + int(np.sign(r - gr))) + 1 + int(np.sign(gc - c))]


VIEW_LEN = 5  # tokens of one view
PROMPT_LEN = 1 + VIEW_LEN  # <bos> and the view from the start cell
TURN_LEN = 1 + VIEW_LEN  # a move token, then the view from the cell it led to


def view_ids(tok, grid: np.ndarray, pos: int, goal: int | None = None) -> list[int]:
    return tok.encode(view(grid, pos, goal))


def prompt_ids(tok, env: PlanningEnv, layout: int) -> list[int]:
    """<bos> and the view from the start cell. The agent never sees the whole grid: it must act on what
    is next to it and on the moves it has made (its own history stays in the context)."""
    env.reset(options={"layout": layout})
    return [tok.bos_id] + view_ids(tok, env.grid, env.pos, env.goal)


@torch.no_grad()
def rollout(model, tok, cfg, layouts: list[int], device, gen, temperature: float = 1.0, cells: list | None = None):
    """Play one episode per entry of `layouts` in parallel. Returns ids (n, L), the index of each
    turn's move token (n, T; -1 when none), env rewards, myopic shaped rewards, success flags. When a
    list is passed as `cells`, it receives the set of cells each episode visited."""
    n, T = len(layouts), cfg.max_turns
    envs = [PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=T) for _ in layouts]
    ids = torch.tensor([prompt_ids(tok, e, lay) for e, lay in zip(envs, layouts)], device=device)
    P = ids.shape[1]
    move_at = torch.full((n, T), -1)
    rewards, shaped = torch.zeros(n, T), torch.zeros(n, T)
    done, success = np.zeros(n, bool), np.zeros(n, bool)
    visited = [{e.pos} for e in envs]
    out = model(ids)
    past, logits = out.past_key_values, out.logits[:, -1]
    for t in range(T):
        probs = torch.softmax(logits.float() / max(temperature, 1e-6), -1)
        action = torch.multinomial(probs, 1, generator=gen).squeeze(1) if temperature > 0 else logits.argmax(-1)
        new = [[tok.pad_id] * TURN_LEN for _ in range(n)]
        for i, (env, a) in enumerate(zip(envs, action.tolist())):
            if done[i]:
                continue
            d0 = manhattan_cells(env.size, env.pos, env.goal)
            obs, r, term, trunc, info = env.step(tok.tokens[a])
            out_ = info["outcome"]
            rewards[i, t] = r
            shaped[i, t] = {"goal": 1.0, "trap": -1.0, "invalid": -0.1}.get(out_, 0.2 * (d0 - manhattan_cells(env.size, env.pos, env.goal)))
            new[i] = [a] + view_ids(tok, env.grid, env.pos, env.goal)
            visited[i].add(env.pos)
            move_at[i, t] = P + TURN_LEN * t
            done[i], success[i] = term or trunc, out_ == "goal"
        new = torch.tensor(new, device=device)
        ids = torch.cat([ids, new], 1)
        if done.all():
            break
        out = model(new, past_key_values=past)
        past, logits = out.past_key_values, out.logits[:, -1]
    if cells is not None:
        cells.extend(visited)
    return ids, move_at, rewards, shaped, success


def evaluate(model, tok, cfg, device, ids: list[int], temperature=1.0, per_layout: int | None = None) -> tuple[float, float]:
    """Success rate over the given layouts (`per_layout` sampled episodes each, cfg.eval_per_layout by
    default), and on those the myopic walker fails. Sampling draws from its own generator, seeded the same
    for every call: evaluating never moves the training's random stream, and the before and after
    figures of one run are measured with the same random numbers (common random numbers), so their
    difference carries less sampling noise than two independent draws would."""
    model.eval()
    k = (per_layout or cfg.eval_per_layout) if temperature > 0 else 1
    layouts = [lay for lay in ids for _ in range(k)]
    gen = torch.Generator(device=device).manual_seed(cfg.seed + 1000)
    *_, success = rollout(model, tok, cfg, layouts, device, gen, temperature)
    hard = hard_layouts(cfg.n_layouts, cfg.layout_seed, cfg.max_turns)[layouts]
    return float(success.mean()), float(success[hard].mean())


@functools.lru_cache(maxsize=8)
def hard_layouts(n_layouts: int, layout_seed: int, max_turns: int) -> np.ndarray:
    """For each layout of the pool, whether the myopic walker fails it (succeeds in under half its tries)."""
    env = PlanningEnv(n_layouts=n_layouts, layout_seed=layout_seed, max_turns=max_turns)
    return np.array([greedy_succeeds(g, s, max_turns) < 0.5 for g, s in env.layouts])


def warmup(model, tok, cfg, device, train_ids: list[int]):
    """Supervised warm-up on the myopic walker's episodes (it falls into traps and dead ends)."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(cfg.seed)
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    for _ in range(cfg.warmup_steps):
        seqs, masks = [], []
        for _ in range(32):
            ids = prompt_ids(tok, env, train_ids[int(rng.integers(len(train_ids)))])
            mask = [False] * len(ids)
            for _ in range(cfg.max_turns):
                a = greedy_action(env.grid, env.pos, rng)
                obs, _, term, trunc, _ = env.step(a)
                ids += [tok.token_id(a)] + view_ids(tok, env.grid, env.pos)
                mask += [True] + [False] * VIEW_LEN
                if term or trunc:
                    break
            seqs.append(ids)
            masks.append(mask)
        L = max(map(len, seqs))
        x = torch.tensor([s + [tok.pad_id] * (L - len(s)) for s in seqs], device=device)
        m = torch.tensor([k + [False] * (L - len(k)) for k in masks], device=device)
        with autocast(device):
            logp = token_logprobs(model, x)
        loss = -(logp.float() * m[:, 1:]).sum() / m.sum()
        opt.zero_grad()
        loss.backward()
        opt.step()


def myopic_advantages(shaped: torch.Tensor, move_at: torch.Tensor, group_size: int, eps=1e-4) -> torch.Tensor:
    """Baseline: each turn scored by its own immediate reward, normalised over the group's turns."""
    adv = torch.zeros_like(shaped)
    for g in range(shaped.shape[0] // group_size):
        sl = slice(g * group_size, (g + 1) * group_size)
        valid = move_at[sl] >= 0
        vals = shaped[sl][valid]
        a = torch.zeros_like(shaped[sl])
        a[valid] = (vals - vals.mean()) / (vals.std() + eps) if vals.numel() > 1 else 0.0
        adv[sl] = a
    return adv


def train(model, tok, cfg, device, mode: str, gen, train_ids: list[int], curve_ids: list[int]):
    """mode 'trajectory' (eq. 1, internal driver), 'myopic' (per-turn ablation) or 'rft'.
    Returns the held-out curve, the tokens processed and the mean clip fraction."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = lr_scheduler(opt, cfg, cfg.iterations)
    ref = kl_reference(model, cfg)  # the warm-up policy, for GRPO's KL term
    rng = np.random.default_rng(cfg.seed + 7)  # the same layouts for every arm
    mb_gen = torch.Generator().manual_seed(cfg.seed + 2)
    curve_at = functools.partial(evaluate, tok=tok, cfg=cfg, device=device, ids=curve_ids, per_layout=cfg.curve_per_layout)
    curve, tokens, clip = [{"step": 0, "success_rate": curve_at(model)[0]}], 0, []
    for it in range(cfg.iterations):
        layouts = [int(x) for x in rng.choice(train_ids, cfg.groups, replace=False) for _ in range(cfg.group_size)]
        model.eval()
        ids, move_at, rewards, shaped, success = rollout(model, tok, cfg, layouts, device, gen)
        tokens += ids.numel()
        valid = move_at >= 0
        rows = torch.arange(len(layouts))[:, None].expand_as(move_at)
        moves = torch.zeros(ids.shape, dtype=torch.bool)
        moves[rows[valid], move_at[valid]] = True
        batch = as_batch(ids, moves[:, 1:].to(device))  # prompt and ENV cell tokens never enter the loss
        model.train()
        if mode == "rft":
            rft_step(model, opt, batch, torch.as_tensor(success, dtype=torch.float32), cfg, mb_gen)
        else:
            if mode == "trajectory":
                adv = group_advantages(rewards.sum(1), cfg.group_size)[:, None].expand_as(rewards)
            else:
                adv = myopic_advantages(shaped, move_at, cfg.group_size)
            tok_adv = torch.zeros(ids.shape)
            tok_adv[rows[valid], move_at[valid]] = adv[valid]
            # token mean over move tokens (bnpo): every move of the batch weighs the same
            stats = grpo_step(model, opt, batch, tok_adv[:, 1:].to(device), cfg, mb_gen, mode="bnpo", ref=ref)
            clip.append(stats.get("clip_fraction", 0.0))
        sched.step()
        if (it + 1) % cfg.curve_every == 0 or it == cfg.iterations - 1:
            curve.append({"step": it + 1, "success_rate": curve_at(model)[0],
                          "train_success": float(success.mean())})
    return curve, tokens, (float(np.mean(clip)) if clip else None)


def parse(argv) -> Config:
    """One --flag per dataclass field; each field's docstring is its --help text."""
    return parse_flags(Config, argv, __doc__.splitlines()[0], quick=QUICK)


def main(argv: list[str] | None = None) -> int:
    cfg = parse(argv)
    if cfg.paradigm not in ("internal", "external", "both"):
        raise SystemExit("--paradigm must be internal, external or both")
    device = pick_device(cfg.device)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    t0 = time.time()
    tok = make_tokenizer(cfg)
    pcfg = dict(n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=PROMPT_LEN + TURN_LEN * (cfg.max_turns + cfg.depth))
    base = build_model(cfg, tok, **pcfg).to(device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    train_ids, held_ids = split(cfg)
    warmup(base, tok, cfg, device, train_ids)
    line = {"capability": "planning", **policy_record(cfg), "metric": "success_rate", "paradigm": cfg.paradigm,
            "held_out": f"{len(held_ids)} of {cfg.n_layouts} layouts (chosen by a hash of the layout), never trained on"}
    tokens = 0
    if cfg.paradigm in ("internal", "both"):
        before, before_hard = evaluate(base, tok, cfg, device, held_ids)
        res, name = {}, {"myopic": "per-turn-rl", "rft": "rft"}
        for mode in ARMS:
            model = copy.deepcopy(base)
            gen.manual_seed(cfg.seed + 1)  # every learner sees the same random stream
            curve, n_tok, clip = train(model, tok, cfg, device, mode, gen, train_ids, held_ids[:16])
            tokens += n_tok
            res[mode] = (*evaluate(model, tok, cfg, device, held_ids), curve, clip)
        line.update(before=before, baseline=res["myopic"][0], after=res["trajectory"][0],
                    baselines={name[m]: res[m][0] for m in name}, baselines_hard={name[m]: res[m][1] for m in name},
                    baseline_method="per-turn RL on a shaped immediate reward (same warm-up, rollouts and updates)",
                    before_hard=before_hard, baseline_hard=res["myopic"][1], after_hard=res["trajectory"][1],
                    clip_fraction=res["trajectory"][3], curve=res["trajectory"][2], baseline_curve=res["myopic"][2],
                    curves={name[m]: [{"step": p["step"], "value": p["success_rate"]} for p in res[m][2]] for m in name},
                    steps=cfg.iterations, seed=cfg.seed)
    if cfg.paradigm in ("external", "both"):
        from reference_impl.capabilities.planning_search import run_external

        ext = run_external(base, tok, cfg, device, gen, train_ids, held_ids)
        line.update({f"external_{k}": v for k, v in ext.items()})
        if cfg.paradigm == "external":
            line.update(before=ext["greedy"], baseline=ext["heuristic_search"], after=ext["value_search"],
                        steps=cfg.value_steps)
    seconds = time.time() - t0
    line.update(seconds=round(seconds, 2), tokens_per_second=round(tokens / seconds, 1), device=str(device),
                config=dataclasses.asdict(cfg))
    if device.type == "cuda":
        line["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    print(json.dumps(line))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
