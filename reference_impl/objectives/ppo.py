"""PPO objectives: clipped policy and value losses, GAE with masks, and the diagnostics PPO logs.

Catalog record: `algorithms/ppo` (every function below implements a piece of it).
Papers: PPO, Schulman et al. 2017, arXiv 1707.06347 (eq. numbers below refer to it);
GAE, Schulman et al. 2015, arXiv 1506.02438.

Layout. Every tensor is time-major, shape (T, N): T steps of N parallel streams, as a gymnasium
vector env produces them. A language-model batch is batch-major, (B, T) with B sequences of
T tokens; pass `x.T` to these functions (so N = B) and transpose the result back. For tokens,
`mask` is the response mask: 1 where the policy wrote the token, 0 for prompt, padding and
environment or tool output. Usually `dones` is all zero there, the reward sits on the last
policy token and `last_value` is zero.

Reductions. The losses return a scalar: the mean over the steps where `mask` is 1 (all steps
when `mask` is None). Other reductions (per sequence, per token over the whole batch) are the
business of the GRPO-family objectives, not of PPO.
"""

from __future__ import annotations

import torch

ALGORITHM = "ppo"  # the catalog record these functions implement: catalog/algorithms/ppo.yaml


def masked_mean(x: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean of `x` over the entries where `mask` is 1 (plain mean when there is no mask)."""
    if mask is None:
        return x.mean()
    mask = mask.to(x.dtype)
    return (x * mask).sum() / mask.sum().clamp(min=1.0)


@torch.no_grad()
def gae(
    rewards: torch.Tensor,
    values: torch.Tensor,
    dones: torch.Tensor,
    last_value: torch.Tensor,
    gamma: float,
    lam: float,
    mask: torch.Tensor | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Generalised advantage estimation (GAE paper eqs. 11-16; PPO paper eqs. 11-12). `ppo` record.

    rewards, values, dones, mask: (T, N). last_value: (N,), the value of the observation that
    follows step T-1 (it is ignored for streams whose step T-1 ended the episode).
    dones[t] = 1 means the episode ended with step t, so nothing after t is bootstrapped into t.
    Returns (advantages, returns), both (T, N), returns = advantages + values (the lambda-return).

    The recursion, run backwards from t = T-1:
        delta_t = r_t + gamma * V_next * (1 - done_t) - V_t
        A_t     = delta_t + gamma * lam * (1 - done_t) * A_next
    where V_next and A_next are those of the next step.

    Masks (departure from the papers, which have no masked steps). A step with mask 0 is not a
    decision of the policy (an environment or tool token, or the dead step that a gymnasium
    NEXT_STEP autoreset inserts). It is passed over, not cut: V_next and A_next of the policy step
    before it are those of the next policy step after it, and its own reward is added, undiscounted,
    to that earlier step's reward. A done on a masked step still cuts the bootstrap.
    Masked steps get advantage 0 and return equal to their value, so they add nothing to a loss.
    With mask all ones this is exactly the usual GAE.
    """
    T = rewards.shape[0]
    if mask is None:
        mask = torch.ones_like(rewards)
    mask, dones = mask.to(rewards.dtype), dones.to(rewards.dtype)
    advantages = torch.zeros_like(rewards)
    next_value = last_value.to(rewards.dtype).clone()  # V of the next policy step (or bootstrap)
    next_adv = torch.zeros_like(next_value)  # A of the next policy step
    carried_reward = torch.zeros_like(next_value)  # rewards of masked steps seen since then
    for t in reversed(range(T)):
        alive = 1.0 - dones[t]
        # An episode end at step t: what lies after t belongs to another episode.
        next_value, next_adv, carried_reward = next_value * alive, next_adv * alive, carried_reward * alive
        delta = rewards[t] + carried_reward + gamma * next_value - values[t]
        adv = delta + gamma * lam * next_adv
        m = mask[t]
        advantages[t] = adv * m
        # A policy step becomes the "next" step for the ones before it; a masked step only
        # hands its reward on and leaves the carried value and advantage untouched.
        next_value = m * values[t] + (1 - m) * next_value
        next_adv = m * adv + (1 - m) * next_adv
        carried_reward = (1 - m) * (carried_reward + rewards[t])
    return advantages, advantages + values


def bootstrap_truncated(
    rewards: torch.Tensor, truncated: torch.Tensor, next_values: torch.Tensor, gamma: float
) -> torch.Tensor:
    """Treat a time-limit truncation as a terminal step whose reward includes gamma * V(s_{t+1}).

    A truncated episode did not end in the MDP: only the time limit stopped it (Pardo et al. 2018,
    arXiv 1712.00378). Pass `dones = terminated | truncated` to `gae` so that the next episode is
    not bootstrapped into this one, and fold the value of the real final observation into the
    reward here instead: r_t <- r_t + gamma * V(s_final) where truncated_t. `next_values[t]` is
    V of the observation returned by step t (the final observation for a truncated step).
    """
    return rewards + gamma * next_values * truncated.to(rewards.dtype)


def clipped_policy_loss(
    new_logprob: torch.Tensor,
    old_logprob: torch.Tensor,
    advantages: torch.Tensor,
    clip_eps: float,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Negative clipped surrogate, -L^CLIP (PPO paper eq. 7). `ppo` record.

    L^CLIP = E[min(rho * A, clip(rho, 1 - eps, 1 + eps) * A)], rho = pi_new(a|s) / pi_old(a|s).
    The min keeps the pessimistic term: once rho has left [1 - eps, 1 + eps] in the direction the
    advantage favours, the clipped term is the smaller, it is constant in rho, and the gradient is
    zero. Moving the wrong way is never clipped.
    """
    ratio = torch.exp(new_logprob - old_logprob)
    unclipped = ratio * advantages
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * advantages
    return -masked_mean(torch.min(unclipped, clipped), mask)


def clipped_value_loss(
    new_values: torch.Tensor,
    old_values: torch.Tensor,
    returns: torch.Tensor,
    clip_eps: float | None,
    mask: torch.Tensor | None = None,
) -> torch.Tensor:
    """Squared-error value loss L^VF = (V - V_targ)^2 (PPO paper, eq. 9), optionally clipped. `ppo` record.

    The clipped form is not in the paper: it comes from OpenAI's baselines code (studied in
    Engstrom et al. 2020, arXiv 2005.12729). V is kept within clip_eps of the value recorded at
    rollout time and the larger of the two squared errors is used, so the critic cannot profit from
    a large step either. `clip_eps=None` gives the plain loss. No factor 1/2, as in the paper.
    """
    unclipped = (new_values - returns) ** 2
    if clip_eps is None:
        return masked_mean(unclipped, mask)
    v_clipped = old_values + torch.clamp(new_values - old_values, -clip_eps, clip_eps)
    return masked_mean(torch.max(unclipped, (v_clipped - returns) ** 2), mask)


def categorical_entropy(logits: torch.Tensor) -> torch.Tensor:
    """Entropy of a categorical policy per step, -sum_a p(a) log p(a), from logits over the last dim.

    The S term of the combined objective (PPO paper eq. 9), which adds c2 * S to L^CLIP.
    """
    logp = torch.log_softmax(logits, dim=-1)
    return -(logp.exp() * logp).sum(dim=-1)


@torch.no_grad()
def approx_kl(new_logprob: torch.Tensor, old_logprob: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    """k3 estimate of KL(pi_old || pi_new) on samples from pi_old: E[(rho - 1) - log rho].

    Unbiased and never negative (J. Schulman, "Approximating KL divergence", 2020). A diagnostic
    (and the test of optional early stopping); the clipped objective itself has no KL term.
    """
    log_ratio = new_logprob - old_logprob
    return masked_mean(torch.exp(log_ratio) - 1.0 - log_ratio, mask)


@torch.no_grad()
def clip_fraction(
    new_logprob: torch.Tensor, old_logprob: torch.Tensor, clip_eps: float, mask: torch.Tensor | None = None
) -> torch.Tensor:
    """Share of steps whose ratio lies outside [1 - eps, 1 + eps] (a diagnostic of step size)."""
    ratio = torch.exp(new_logprob - old_logprob)
    return masked_mean(((ratio - 1.0).abs() > clip_eps).to(ratio.dtype), mask)
