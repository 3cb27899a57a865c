"""Planning with RL, both ways the survey (section 3.1) tells apart: RL as an internal driver and as an external guide.

Task: `RLAtlas/Planning-v0`, 5x5 grids with walls and a trap, where in half of the layouts the
myopic "step closer to the goal" walker fails. The tiny transformer reads the grid (25 tokens),
then alternates one move token `U D L R` with one ENV token naming the cell it now stands on.
Everything starts from one supervised warm-up on the myopic walker's own (imperfect) episodes.

Internal driver (this file, `--paradigm internal`): multi-turn RL over whole trajectories, in the
StarPO style of RAGEN (Wang et al. 2025): G episodes per layout, one outcome return each, and a
GRPO advantage shared by every move of the episode:
    A_i = (R_i - mean_group R) / (std_group R + eps),   R_i = sum_t r_t                         (1)
The baseline gets the same rollouts and updates but scores each turn on its own (single-turn
RL): a shaped immediate reward (+1 goal, -1 trap, +-0.2 per step closer/further), normalised
over the turns of the group. It can learn to avoid traps, but never to walk away from the goal
to get round a wall, which is exactly what the hard layouts need.

External guide (`planning_search.py`, `--paradigm external`): the warm-up policy is frozen and
proposes moves; a value network trained by TD on environment returns scores them, and a small
lookahead picks the best. Compared with greedy decoding of the same policy.

Departures from the papers: one gradient step per batch (ratio 1, no clipping, no KL), a 25-cell
toy world instead of Sokoban/FrozenLake, and the episode reward instead of RAGEN's reasoning format.
"""

from __future__ import annotations

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

from reference_impl.core import autocast, pick_device, seed_everything
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.core.config import parse_config as parse_flags
from reference_impl.core import token_logprobs
from reference_impl.envs.planning import ACTIONS, PlanningEnv, greedy_action, greedy_succeeds, manhattan
from reference_impl.objectives.grpo import group_advantages

POS = "abcdefghijklmnopqrstuvwxy"  # one token per cell of the 5x5 grid


@dataclass
class Config(PolicyFlags):
    quick: bool = False
    """Small CPU configuration used by the tests (about a minute on one core)."""
    paradigm: str = "both"
    """internal | external | both."""
    seed: int = 1
    """Seed for torch, numpy and the rollouts."""
    device: str = "auto"
    """auto | cpu | cuda."""
    threads: int = 1
    """torch CPU threads."""
    n_layouts: int = 16
    """Layouts in the pool (half of them defeat the myopic walker)."""
    layout_seed: int = 0
    """Seed of the layout pool."""
    max_turns: int = 12
    """Turn budget per episode."""
    warmup_steps: int = 150
    """Supervised steps on the myopic walker's episodes."""
    iterations: int = 200
    """RL updates per internal-driver learner."""
    groups: int = 8
    """Layouts per batch."""
    group_size: int = 8
    """Episodes per layout per batch."""
    lr: float = 1e-3
    """Adam learning rate for RL."""
    eval_per_layout: int = 16
    """Sampled episodes per layout in each evaluation."""
    value_steps: int = 2000
    """TD updates of the external guide's value network."""
    proposals: int = 2
    """Moves the frozen policy proposes at each node of the lookahead (top-K)."""
    depth: int = 2
    """Lookahead depth of the value-guided search."""
    gamma: float = 0.9
    """Discount of the value network's TD target."""
    n_layer: int = 2
    """Transformer blocks."""
    n_embd: int = 64
    """Transformer width."""
    curve_every: int = 5
    """Record the training success rate every this many iterations."""


QUICK = dict(iterations=60, warmup_steps=120, groups=8, group_size=8, eval_per_layout=8, value_steps=800)


def make_tokenizer(cfg):
    return build_tokenizer(cfg, ".#TGA" + "".join(ACTIONS) + POS)


def pos_token(obs: str, size: int = 5) -> str:
    """Compress an observation (the rendered grid) to the token of the agent's cell."""
    grid = obs.split("\n")[-size:]
    return POS["".join(grid).index("A")]


def prompt_ids(tok, env: PlanningEnv, layout: int) -> list[int]:
    obs, _ = env.reset(options={"layout": layout})
    return [tok.bos_id] + tok.encode(obs.replace("\n", "")) + tok.encode(pos_token(obs))


@torch.no_grad()
def rollout(model, tok, cfg, layouts: list[int], device, gen, temperature: float = 1.0):
    """Play one episode per entry of `layouts` in parallel. Returns ids (n, L), the index of each
    turn's move token (n, T; -1 when none), env rewards, myopic shaped rewards, success flags."""
    n, T = len(layouts), cfg.max_turns
    envs = [PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=T) for _ in layouts]
    ids = torch.tensor([prompt_ids(tok, e, lay) for e, lay in zip(envs, layouts)], device=device)
    P = ids.shape[1]
    move_at = torch.full((n, T), -1)
    rewards, shaped = torch.zeros(n, T), torch.zeros(n, T)
    done, success = np.zeros(n, bool), np.zeros(n, bool)
    out = model(ids)
    past, logits = out.past_key_values, out.logits[:, -1]
    for t in range(T):
        probs = torch.softmax(logits.float() / max(temperature, 1e-6), -1)
        action = torch.multinomial(probs, 1, generator=gen).squeeze(1) if temperature > 0 else logits.argmax(-1)
        new = torch.full((n, 2), tok.pad_id, device=device)
        for i, env in enumerate(envs):
            if done[i]:
                continue
            d0 = manhattan(env.grid, env.pos)
            obs, r, term, trunc, info = env.step(tok.tokens[int(action[i])])
            out_ = info["outcome"]
            rewards[i, t] = r
            shaped[i, t] = {"goal": 1.0, "trap": -1.0, "invalid": -0.1}.get(out_, 0.2 * (d0 - manhattan(env.grid, env.pos)))
            new[i, 0], new[i, 1] = action[i], tok.token_id(pos_token(obs))
            move_at[i, t] = P + 2 * t
            done[i], success[i] = term or trunc, out_ == "goal"
        ids = torch.cat([ids, new], 1)
        if done.all():
            break
        out = model(new, past_key_values=past)
        past, logits = out.past_key_values, out.logits[:, -1]
    return ids, move_at, rewards, shaped, success


def evaluate(model, tok, cfg, device, gen, temperature=1.0) -> tuple[float, float]:
    """Success rate over the pool (sampled episodes), and on the layouts the myopic walker fails."""
    model.eval()
    k = cfg.eval_per_layout if temperature > 0 else 1
    layouts = [lay for lay in range(cfg.n_layouts) for _ in range(k)]
    *_, success = rollout(model, tok, cfg, layouts, device, gen, temperature)
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    hard = np.array([greedy_succeeds(g, s, cfg.max_turns) < 0.5 for g, s in env.layouts])[layouts]
    return float(success.mean()), float(success[hard].mean())


def warmup(model, tok, cfg, device):
    """Supervised warm-up on the myopic walker's episodes (it falls into traps and dead ends)."""
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(cfg.seed)
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    for _ in range(cfg.warmup_steps):
        seqs, masks = [], []
        for _ in range(32):
            ids = prompt_ids(tok, env, int(rng.integers(cfg.n_layouts)))
            mask = [False] * len(ids)
            for _ in range(cfg.max_turns):
                a = greedy_action(env.grid, env.pos, rng)
                obs, _, term, trunc, _ = env.step(a)
                ids += [tok.token_id(a), tok.token_id(pos_token(obs))]
                mask += [True, False]
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


def train(model, tok, cfg, device, mode: str, gen):
    """mode 'trajectory' (eq. 1, internal driver) or 'myopic' (per-turn baseline)."""
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    rng = np.random.default_rng(cfg.seed + 7)
    curve, tokens = [], 0
    for it in range(cfg.iterations):
        layouts = [int(x) for x in rng.choice(cfg.n_layouts, cfg.groups, replace=False) for _ in range(cfg.group_size)]
        model.eval()
        ids, move_at, rewards, shaped, success = rollout(model, tok, cfg, layouts, device, gen)
        tokens += ids.numel()
        if mode == "trajectory":
            adv = group_advantages(rewards.sum(1), cfg.group_size)[:, None].expand_as(rewards)
        else:
            adv = myopic_advantages(shaped, move_at, cfg.group_size)
        tok_adv = torch.zeros(ids.shape)
        valid = move_at >= 0
        rows = torch.arange(len(layouts))[:, None].expand_as(move_at)
        tok_adv[rows[valid], move_at[valid]] = adv[valid]
        count = int(valid.sum())
        model.train()
        with autocast(device):
            logp = token_logprobs(model, ids)
        # policy gradient, token-mean over move tokens: tok_adv is 0 on prompt and ENV cell tokens,
        # so they never enter the loss, and `count` only counts moves
        loss = -(logp.float() * tok_adv[:, 1:].to(device)).sum() / max(count, 1)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if it % cfg.curve_every == 0 or it == cfg.iterations - 1:
            curve.append({"step": it + 1, "success_rate": float(success.mean())})
    return curve, tokens


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
    pcfg = dict(n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=28 + 2 * (cfg.max_turns + cfg.depth))
    base = build_model(cfg, tok, **pcfg).to(device)
    gen = torch.Generator(device=device).manual_seed(cfg.seed)
    warmup(base, tok, cfg, device)
    line = {"capability": "planning", **policy_record(cfg), "metric": "success_rate", "paradigm": cfg.paradigm}
    tokens = 0
    if cfg.paradigm in ("internal", "both"):
        before, before_hard = evaluate(base, tok, cfg, device, gen)
        res = {}
        for mode in ("myopic", "trajectory"):
            model = build_model(cfg, tok, **pcfg).to(device)
            model.load_state_dict(base.state_dict())
            gen.manual_seed(cfg.seed + 1)  # both learners see the same random stream
            curve, n_tok = train(model, tok, cfg, device, mode, gen)
            tokens += n_tok
            res[mode] = (*evaluate(model, tok, cfg, device, gen), curve)
        line.update(before=before, baseline=res["myopic"][0], after=res["trajectory"][0],
                    before_hard=before_hard, baseline_hard=res["myopic"][1], after_hard=res["trajectory"][1],
                    curve=res["trajectory"][2], baseline_curve=res["myopic"][2], steps=cfg.iterations)
    if cfg.paradigm in ("external", "both"):
        from reference_impl.capabilities.planning_search import run_external

        ext = run_external(base, tok, cfg, device, gen)
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
