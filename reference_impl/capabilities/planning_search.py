"""RL as an external guide for planning: a TD-trained value network steers a lookahead over a frozen policy's proposals.

Used by `planning.py --paradigm external|both`. The language policy is not updated. At every turn it
proposes its K most likely moves; each proposal is played forward in the puzzle's (known, deterministic)
transition function, the policy proposes again from there, down to `depth`; leaves are scored by

    Q(s, a) = r(s, a) + gamma * V(s')          (V(s') = 0 when s' ends the episode)          (1)

and the move whose subtree scores best is played (an expectimax-free, max-backup beam search, the
shape of RAP / LATS with the tree kept tiny). V is a small MLP trained by temporal differences on
states the policy visits (sampled episodes plus random moves), towards the one-step optimal backup

    V(s) <- max_a [ r(s, a) + gamma * V(s') ]                                                   (2)

using the frozen network as its own bootstrap target (semi-gradient TD). Compared against (a) greedy
decoding of the same policy and (b) the same search scored by a hand-written heuristic
V_h(s) = gamma^{Manhattan distance to the goal}, which knows about distance but not about walls.

Split: the value network is trained only on states of the training layouts; greedy decoding and both
searches are scored on the held-out layouts (see `planning.split`), so the learned value has to carry
over to walls and traps it has never seen.

Departures: RAP and LATS use the LLM itself as the world model and run MCTS; here the puzzle's exact
simulator plays that role and the tree is a depth-limited beam, so the comparison isolates the
learned value function.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from reference_impl.envs.planning import ACTIONS, CELL_TYPES, PlanningEnv, manhattan, step_cell


def features(grid: np.ndarray, pos: int) -> torch.Tensor:
    """One-hot cell types (25 x 4) and one-hot agent cell (25)."""
    flat = grid.reshape(-1)
    cells = np.stack([flat == c for c in CELL_TYPES], 1).astype(np.float32).reshape(-1)
    where = np.zeros(flat.size, np.float32)
    where[pos] = 1.0
    return torch.from_numpy(np.concatenate([cells, where]))


class ValueNet(nn.Module):
    def __init__(self, n_cells: int = 25, hidden: int = 128):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(5 * n_cells, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, 1))

    def forward(self, x):
        return self.net(x).squeeze(-1)


def visited_states(policy_rollout, cfg, rng, layout_ids: list[int]) -> list[tuple[int, int]]:
    """(layout, cell) pairs seen by the policy's sampled episodes and by random walks on `layout_ids`."""
    states = set()
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    for lay, cells in policy_rollout().items():
        states.update((lay, c) for c in cells)
    for lay in layout_ids:  # exploration: random walks of the turn budget
        for _ in range(8):
            env.reset(options={"layout": lay})
            for _ in range(cfg.max_turns):
                states.add((lay, env.pos))
                *_, term, trunc, _ = env.step(ACTIONS[int(rng.integers(4))])
                if term or trunc:
                    break
    return sorted(states)


def train_value(cfg, states, layouts, device) -> ValueNet:
    """Semi-gradient TD towards the backup (2) on the visited states."""
    vnet = ValueNet().to(device)
    opt = torch.optim.Adam(vnet.parameters(), lr=3e-3)
    x = torch.stack([features(layouts[lay][0], c) for lay, c in states]).to(device)
    # successors of every state under each move: features, reward and whether the episode ends
    succ, rew, term = [], [], []
    for lay, c in states:
        grid = layouts[lay][0]
        for a in ACTIONS:
            q, out = step_cell(grid, c, a)
            succ.append(features(grid, q))
            rew.append(1.0 if out == "goal" else 0.0)
            term.append(out in ("goal", "trap"))
    xs = torch.stack(succ).to(device)
    rew = torch.tensor(rew, device=device).view(-1, 4)
    live = 1.0 - torch.tensor(term, dtype=torch.float32, device=device).view(-1, 4)
    for _ in range(cfg.value_steps):
        with torch.no_grad():
            target = (rew + cfg.gamma * live * vnet(xs).view(-1, 4)).max(1).values  # eq. (2)
        loss = ((vnet(x) - target) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return vnet.eval()


@torch.no_grad()
def search_move(model, tok, ids: list[int], grid, pos: int, depth: int, cfg, value, device) -> tuple[float, str]:
    """Best (score, move) among the policy's top-K proposals, looking `depth` moves ahead (eq. 1)."""
    logits = model(torch.tensor([ids], device=device)).logits[0, -1]
    move_ids = [tok.token_id(a) for a in ACTIONS]
    order = torch.argsort(logits[move_ids].float(), descending=True)[: cfg.proposals].tolist()
    best = (-1.0, ACTIONS[order[0]])
    for k in order:
        a = ACTIONS[k]
        q, out = step_cell(grid, pos, a)
        r = 1.0 if out == "goal" else 0.0
        if out in ("goal", "trap"):
            score = r
        elif depth <= 1:
            score = r + cfg.gamma * value(grid, q)
        else:
            from reference_impl.capabilities.planning import view_ids
            sub, _ = search_move(model, tok, ids + [tok.token_id(a)] + view_ids(tok, grid, q), grid, q, depth - 1,
                                 cfg, value, device)
            score = r + cfg.gamma * sub
        if score > best[0]:
            best = (score, a)
    return best


def search_success(model, tok, cfg, value, device, layout_ids: list[int]) -> float:
    """Success rate over `layout_ids` when every move is chosen by the value-guided search."""
    from reference_impl.capabilities.planning import prompt_ids, view_ids

    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)
    wins = 0
    for lay in layout_ids:
        ids = prompt_ids(tok, env, lay)
        for _ in range(cfg.max_turns):
            _, a = search_move(model, tok, ids, env.grid, env.pos, cfg.depth, cfg, value, device)
            _, _, term, trunc, info = env.step(a)
            ids += [tok.token_id(a)] + view_ids(tok, env.grid, env.pos)
            if term or trunc:
                wins += info["outcome"] == "goal"
                break
    return wins / len(layout_ids)


def run_external(model, tok, cfg, device, gen, train_ids: list[int], held_ids: list[int]) -> dict:
    """Train the value net on the frozen policy's states of the training layouts; compare greedy decoding,
    heuristic search and value search on the held-out layouts."""
    from reference_impl.capabilities.planning import evaluate, rollout

    model.eval()
    rng = np.random.default_rng(cfg.seed + 11)
    env = PlanningEnv(n_layouts=cfg.n_layouts, layout_seed=cfg.layout_seed, max_turns=cfg.max_turns)

    def policy_states():
        layouts = [lay for lay in train_ids for _ in range(2)]
        cells: list[set] = []
        rollout(model, tok, cfg, layouts, device, gen, cells=cells)
        seen: dict[int, set] = {}
        for lay, visited in zip(layouts, cells):
            seen.setdefault(lay, set()).update(visited)
        return seen

    states = visited_states(policy_states, cfg, rng, train_ids)
    vnet = train_value(cfg, states, env.layouts, device)

    def learned(grid, cell):
        return float(vnet(features(grid, cell).to(device)[None])[0])

    def heuristic(grid, cell):
        return cfg.gamma ** manhattan(grid, cell)

    scored = held_ids[: cfg.search_layouts or None]  # the same held-out layouts for all three
    greedy, greedy_hard = evaluate(model, tok, cfg, device, scored, temperature=0.0)
    return {"greedy": greedy, "heuristic_search": search_success(model, tok, cfg, heuristic, device, scored),
            "value_search": search_success(model, tok, cfg, learned, device, scored), "value_states": len(states),
            "layouts": len(scored)}
