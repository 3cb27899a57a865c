"""PPO on gymnasium CartPole-v1, in one file: config, environment, model, rollout, loss, update loop.

Catalog record: `algorithms/ppo`. Paper: Schulman et al. 2017, arXiv 1707.06347 (Algorithm 1).
The losses and GAE live in reference_impl/objectives/ppo.py, shared with the token-level code.

Run:   python reference_impl/cartpole_ppo.py [--seed 1] [--device auto|cpu|cuda] [--total-timesteps N]
   or: rl-atlas run cartpole-ppo [--seed N] [--device D]
Progress goes to stderr; stdout gets one JSON line: before, after, steps, seconds, sps, steps_to_475.

Defaults follow the tuned CartPole settings of the RL Baselines3 Zoo (8 envs x 32 steps, 20 epochs
over one full batch, lr 1e-3 and clip 0.2 both annealed to 0, gamma 0.98, lambda 0.8, no entropy
bonus), so that benchmarks/cartpole_vs_sb3.py can run both with the same numbers.
"""

from __future__ import annotations

import dataclasses
import json
import os
import sys
import time
from collections import deque
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn

if __package__ in (None, ""):  # run as a file: make `reference_impl` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from reference_impl.core.config import parse_config as parse_flags  # noqa: E402
from reference_impl.core.device import pick_device, seed_everything  # noqa: E402
from reference_impl.objectives import ppo as objectives  # noqa: E402


@dataclass
class Config:
    seed: int = field(default=1, metadata={"help": "seed of torch, numpy, random and the environments"})
    device: str = field(default="auto", metadata={"help": "auto (cuda when available, else cpu), cpu or cuda"})
    threads: int = field(default=1, metadata={"help": "torch CPU threads (1 is fastest for a net this small)"})
    bf16: bool = field(default=False, metadata={"help": "bfloat16 autocast of the forward passes on cuda; off by "
                                                        "default: a 64-unit MLP gains no speed, the ratio gets noisier"})
    env_id: str = field(default="CartPole-v1", metadata={"help": "gymnasium environment id (discrete actions)"})
    total_timesteps: int = field(default=100_000, metadata={"help": "environment steps over all envs"})
    num_envs: int = field(default=8, metadata={"help": "parallel environments (one SyncVectorEnv)"})
    num_steps: int = field(default=32, metadata={"help": "steps per env per rollout (T)"})
    num_epochs: int = field(default=20, metadata={"help": "passes over each rollout (K in the paper)"})
    num_minibatches: int = field(default=1, metadata={"help": "minibatches per epoch"})
    learning_rate: float = field(default=1e-3, metadata={"help": "Adam learning rate"})
    anneal_lr: bool = field(default=True, metadata={"help": "decay the learning rate linearly to 0"})
    clip_eps: float = field(default=0.2, metadata={"help": "PPO clip range epsilon (paper eq. 7)"})
    anneal_clip: bool = field(default=True, metadata={"help": "decay epsilon linearly to 0 as well"})
    clip_vloss: bool = field(default=False, metadata={"help": "clip the value loss around the old values"})
    gamma: float = field(default=0.98, metadata={"help": "discount"})
    gae_lambda: float = field(default=0.8, metadata={"help": "GAE lambda"})
    ent_coef: float = field(default=0.0, metadata={"help": "entropy bonus coefficient (c2 in eq. 9)"})
    vf_coef: float = field(default=0.5, metadata={"help": "value loss coefficient (c1 in eq. 9)"})
    max_grad_norm: float = field(default=0.5, metadata={"help": "global gradient norm clip"})
    norm_adv: bool = field(default=True, metadata={"help": "normalise advantages per minibatch"})
    target_kl: float | None = field(default=None, metadata={"help": "stop an update's epochs once approx-KL exceeds this"})
    hidden: int = field(default=64, metadata={"help": "width of the two hidden layers of actor and critic"})
    eval_episodes: int = field(default=20, metadata={"help": "episodes of the untrained policy that give `before`"})
    log_every: int = field(default=50, metadata={"help": "print progress to stderr every N updates (0: never)"})


def parse_config(argv: list[str] | None = None) -> Config:
    """One --flag per dataclass field, its help from the field metadata (reference_impl/core/config.py)."""
    return parse_flags(Config, argv, __doc__.split("\n")[0])


def layer(n_in: int, n_out: int, gain: float) -> nn.Linear:
    """Orthogonal weights and zero biases (an implementation detail of the PPO code, not of the paper)."""
    lin = nn.Linear(n_in, n_out)
    nn.init.orthogonal_(lin.weight, gain)
    nn.init.zeros_(lin.bias)
    return lin


class ActorCritic(nn.Module):
    """Two separate tanh MLPs: logits over actions and a state value."""

    def __init__(self, obs_dim: int, n_actions: int, hidden: int):
        super().__init__()
        g = np.sqrt(2)
        self.actor = nn.Sequential(layer(obs_dim, hidden, g), nn.Tanh(), layer(hidden, hidden, g), nn.Tanh(),
                                   layer(hidden, n_actions, 0.01))  # small gain: near-uniform first policy
        self.critic = nn.Sequential(layer(obs_dim, hidden, g), nn.Tanh(), layer(hidden, hidden, g), nn.Tanh(),
                                    layer(hidden, 1, 1.0))

    def forward(self, obs: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.actor(obs).float(), self.critic(obs).float().squeeze(-1)


def sample(logits: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Draw actions from softmax(logits) and return (actions, log-probabilities)."""
    logp = torch.log_softmax(logits, dim=-1)
    actions = torch.multinomial(logp.exp(), 1)
    return actions.squeeze(-1), logp.gather(-1, actions).squeeze(-1)


@torch.no_grad()
def evaluate(agent: ActorCritic, cfg: Config, device: torch.device, episodes: int) -> float:
    """Mean return of `episodes` episodes of the current (stochastic) policy on a fresh env."""
    env = gym.make(cfg.env_id)
    total = 0.0
    for ep in range(episodes):
        obs, _ = env.reset(seed=cfg.seed + 10_000 + ep)
        done = False
        while not done:
            logits, _ = agent(torch.as_tensor(obs, dtype=torch.float32, device=device)[None])
            obs, reward, terminated, truncated, _ = env.step(int(sample(logits)[0]))
            total += float(reward)
            done = terminated or truncated
    env.close()
    return total / max(episodes, 1)


def train(cfg: Config) -> dict:
    """Run PPO and return a summary plus the list of finished episodes as (env step, return)."""
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    if device.type == "cpu":
        torch.set_num_threads(cfg.threads)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16, enabled=cfg.bf16 and device.type == "cuda")

    # Gymnasium 1.x vector envs default to NEXT_STEP autoreset: the step that ends an episode returns
    # its true final observation, and the *next* step() call ignores its action, resets that env and
    # returns the first observation of the new episode with reward 0 and no done flag. That call is
    # not a decision of the policy, so we keep it in the buffer with mask 0: GAE passes over it (as
    # it passes over a tool token in an LLM trajectory) and the losses leave it out. It still counts
    # as an environment step. A bonus of this mode: the observation stored at that dead step is the
    # final observation of the finished episode, so V(final obs), which a time-limit truncation must
    # bootstrap from, is computed by the ordinary rollout forward pass.
    envs = gym.make_vec(cfg.env_id, num_envs=cfg.num_envs, vectorization_mode="sync")
    assert envs.metadata.get("autoreset_mode", gym.vector.AutoresetMode.NEXT_STEP) == gym.vector.AutoresetMode.NEXT_STEP
    obs_dim, n_actions = envs.single_observation_space.shape[0], int(envs.single_action_space.n)
    agent = ActorCritic(obs_dim, n_actions, cfg.hidden).to(device)
    # fused Adam: one kernel for all parameters (about a quarter off each small update step on CPU)
    optimizer = torch.optim.Adam(agent.parameters(), lr=cfg.learning_rate, eps=1e-5, fused=True)
    before = evaluate(agent, cfg, device, cfg.eval_episodes)

    T, N = cfg.num_steps, cfg.num_envs
    obs_buf = torch.zeros((T, N, obs_dim), device=device)
    actions, logprobs, values, rewards, terminated, truncated, mask = (torch.zeros((T, N), device=device) for _ in range(7))

    episodes: list[tuple[int, float]] = []  # (env step at the end of the episode, return)
    last100: deque[float] = deque(maxlen=100)
    ep_return = np.zeros(N)
    steps_to_475 = None
    global_step = 0
    next_obs, _ = envs.reset(seed=cfg.seed)
    next_obs = torch.as_tensor(next_obs, device=device)
    prev_done = torch.zeros(N, device=device)  # did the previous step end the episode?
    num_updates = cfg.total_timesteps // (T * N)
    stats: dict[str, float] = {}
    start = time.perf_counter()

    for update in range(num_updates):
        frac = 1.0 - update / num_updates  # linear annealing, as in the zoo's lin_ schedules
        for group in optimizer.param_groups:
            group["lr"] = cfg.learning_rate * (frac if cfg.anneal_lr else 1.0)
        clip_eps = cfg.clip_eps * (frac if cfg.anneal_clip else 1.0)

        # ---- rollout: T steps of N envs with the current policy (Algorithm 1, line 3)
        for t in range(T):
            obs_buf[t], mask[t] = next_obs, 1.0 - prev_done
            with torch.no_grad(), autocast:
                logits, values[t] = agent(next_obs)
            actions[t], logprobs[t] = sample(logits)
            o, r, term, trunc, _ = envs.step(actions[t].long().cpu().numpy())
            global_step += N
            rewards[t] = torch.as_tensor(r, device=device)
            terminated[t] = torch.as_tensor(term, device=device)
            truncated[t] = torch.as_tensor(trunc, device=device)
            next_obs = torch.as_tensor(o, device=device)
            done = np.logical_or(term, trunc)
            prev_done = torch.as_tensor(done, dtype=torch.float32, device=device)
            ep_return += r
            for i in np.flatnonzero(done):
                episodes.append((global_step, float(ep_return[i])))
                last100.append(float(ep_return[i]))
                ep_return[i] = 0.0
                if steps_to_475 is None and len(last100) == 100 and np.mean(last100) >= 475:
                    steps_to_475 = global_step

        # ---- advantages: truncation bootstrap, then masked GAE (objectives/ppo.py)
        with torch.no_grad(), autocast:
            last_value = agent(next_obs)[1]
        next_values = torch.cat([values[1:], last_value[None]])  # V of the obs each step returned
        boot_rewards = objectives.bootstrap_truncated(rewards, truncated, next_values, cfg.gamma)
        dones = torch.maximum(terminated, truncated)
        advantages, returns = objectives.gae(boot_rewards, values, dones, last_value, cfg.gamma, cfg.gae_lambda, mask)

        # ---- update: K epochs of minibatch Adam on the clipped objective (Algorithm 1, line 5)
        valid = mask.reshape(-1).nonzero().squeeze(-1)  # dead autoreset steps are left out
        b_obs, b_act, b_logp = obs_buf.reshape(-1, obs_dim), actions.reshape(-1).long(), logprobs.reshape(-1)
        b_adv, b_ret, b_val = advantages.reshape(-1), returns.reshape(-1), values.reshape(-1)
        mb_size = max(1, len(valid) // cfg.num_minibatches)
        for epoch in range(cfg.num_epochs):
            perm = valid[torch.randperm(len(valid), device=device)]
            for k in range(cfg.num_minibatches):
                mb = perm[k * mb_size:(k + 1) * mb_size] if k < cfg.num_minibatches - 1 else perm[k * mb_size:]
                with autocast:
                    logits, new_values = agent(b_obs[mb])
                new_logp = torch.log_softmax(logits, -1).gather(-1, b_act[mb, None]).squeeze(-1)
                adv = b_adv[mb]
                if cfg.norm_adv and len(mb) > 1:
                    adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                pg_loss = objectives.clipped_policy_loss(new_logp, b_logp[mb], adv, clip_eps)
                v_loss = objectives.clipped_value_loss(new_values, b_val[mb], b_ret[mb],
                                                       clip_eps if cfg.clip_vloss else None)
                entropy = objectives.categorical_entropy(logits).mean()
                loss = pg_loss + cfg.vf_coef * v_loss - cfg.ent_coef * entropy  # minus eq. 9
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(agent.parameters(), cfg.max_grad_norm)
                optimizer.step()
            kl = objectives.approx_kl(new_logp, b_logp[mb]).item()
            if cfg.target_kl is not None and kl > cfg.target_kl:
                break
        stats = {"pg_loss": pg_loss.item(), "v_loss": v_loss.item(), "entropy": entropy.item(), "approx_kl": kl,
                 "clip_frac": objectives.clip_fraction(new_logp, b_logp[mb], clip_eps).item()}
        if cfg.log_every and (update + 1) % cfg.log_every == 0:
            mean100 = float(np.mean(last100)) if last100 else float("nan")
            print(f"step {global_step:7d}  mean100 {mean100:6.1f}  sps {global_step / (time.perf_counter() - start):6.0f}  "
                  + "  ".join(f"{k} {v:.4f}" for k, v in stats.items()), file=sys.stderr)

    seconds = time.perf_counter() - start
    envs.close()
    return {
        "algo": "ppo", "env": cfg.env_id, "seed": cfg.seed, "device": device.type,
        "before": round(before, 2),
        "after": round(float(np.mean(last100)), 2) if last100 else None,
        "steps": global_step, "seconds": round(seconds, 2), "sps": round(global_step / seconds, 1),
        "steps_to_475": steps_to_475, "episodes": episodes, "last_update": stats,
    }


def main(argv: list[str] | None = None) -> int:
    cfg = parse_config(argv)
    result = train(cfg)
    result.pop("episodes")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
