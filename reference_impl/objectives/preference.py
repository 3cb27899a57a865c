"""Offline preference objectives: DPO, IPO, SimPO and KTO.

Catalog: catalog/algorithms/dpo.yaml, ipo.yaml, simpo.yaml, kto.yaml

Notation: for a prompt x, y_w is the preferred ("chosen") response, y_l the dispreferred
("rejected") one; log pi(y|x) is the summed token log-prob of y (`sequence_logps`), and
the implicit reward of a response is its log-ratio to the frozen reference model:

    h_w = log pi(y_w|x) - log ref(y_w|x),   h_l = log pi(y_l|x) - log ref(y_l|x)

DPO (Rafailov et al. 2023) fits a Bradley-Terry model on these rewards:
    L_DPO = -log sigmoid( beta * (h_w - h_l) )                                               (1)
IPO (Azar et al. 2024) regresses the same margin onto a fixed target, so it cannot be
driven to infinity when preferences are deterministic:
    L_IPO = ( (h_w - h_l) - 1/(2 tau) )^2                                                    (2)
SimPO (Meng et al. 2024) needs no reference model; its reward is the LENGTH-AVERAGED log-prob
and it asks for a margin of at least gamma:
    L_SimPO = -log sigmoid( beta/|y_w| log pi(y_w|x) - beta/|y_l| log pi(y_l|x) - gamma )    (3)
KTO (Ethayarajh et al. 2024) learns from single responses labelled desirable or undesirable.
With h = log pi(y|x) - log ref(y|x) and a reference point z0 ~ KL(pi || ref):
    v(y) = lambda_D * sigmoid(beta (h - z0))   if y is desirable
         = lambda_U * sigmoid(beta (z0 - h))   if y is undesirable
    L_KTO = E[ lambda_y - v(y) ]                                                             (4)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from reference_impl.core.masks import masked_mean, masked_sum

ALGORITHM = "dpo"
ALGORITHMS = ("dpo", "ipo", "simpo", "kto")


def sequence_logps(token_logps: torch.Tensor, mask: torch.Tensor, average: bool = False) -> torch.Tensor:
    """(B,) summed (or, with `average`, length-averaged) log-probs of each response's masked tokens."""
    return masked_mean(token_logps, mask, dim=1) if average else masked_sum(token_logps, mask, dim=1)


def dpo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    beta: float = 0.1,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Eq. (1), mean over pairs. Inputs are (B,) sequence log-probs. Returns (loss,
    chosen_reward, rejected_reward), rewards = beta * h (detached) for logging. Catalog: dpo."""
    h_w, h_l = policy_chosen - ref_chosen, policy_rejected - ref_rejected
    loss = -F.logsigmoid(beta * (h_w - h_l)).mean()
    return loss, beta * h_w.detach(), beta * h_l.detach()


def ipo_loss(
    policy_chosen: torch.Tensor,
    policy_rejected: torch.Tensor,
    ref_chosen: torch.Tensor,
    ref_rejected: torch.Tensor,
    tau: float = 0.1,
) -> torch.Tensor:
    """Eq. (2), mean over pairs. The paper writes it with summed log-probs, as here; pass
    length-averaged log-probs instead if responses differ a lot in length. Catalog: ipo."""
    margin = (policy_chosen - ref_chosen) - (policy_rejected - ref_rejected)
    return ((margin - 1.0 / (2.0 * tau)) ** 2).mean()


def simpo_loss(
    policy_chosen_avg: torch.Tensor,
    policy_rejected_avg: torch.Tensor,
    beta: float = 2.0,
    gamma: float = 0.5,
) -> torch.Tensor:
    """Eq. (3), mean over pairs. Inputs are LENGTH-AVERAGED log-probs
    (`sequence_logps(..., average=True)`); gamma is the absolute target margin. Catalog: simpo."""
    return -F.logsigmoid(beta * (policy_chosen_avg - policy_rejected_avg) - gamma).mean()


def kto_reference_point(policy_logps: torch.Tensor, ref_logps: torch.Tensor) -> torch.Tensor:
    """z0 = max(0, mean(log pi(y|x) - log ref(y|x))), detached: a batch estimate of KL(pi || ref).

    Simplification: the paper estimates z0 on MISMATCHED pairs (a response paired with some
    other prompt of the batch) so that z0 does not track the very responses being scored;
    here the caller chooses which (prompt, response) log-probs to pass. With the batch's own
    pairs it is a cruder estimate; either way no gradient flows through z0.
    """
    return (policy_logps - ref_logps).mean().clamp(min=0).detach()


def kto_loss(
    policy_logps: torch.Tensor,
    ref_logps: torch.Tensor,
    desirable: torch.Tensor,
    beta: float = 0.1,
    lambda_d: float = 1.0,
    lambda_u: float = 1.0,
    z0: torch.Tensor | float | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Eq. (4), mean over responses. policy_logps, ref_logps: (B,) summed log-probs;
    desirable: (B,) bool. z0 defaults to `kto_reference_point` on this batch (see its
    simplification note). Returns (loss, z0). Catalog: kto."""
    if z0 is None:
        z0 = kto_reference_point(policy_logps, ref_logps)
    h = policy_logps - ref_logps
    desirable = desirable.bool()
    value = torch.where(desirable, lambda_d * torch.sigmoid(beta * (h - z0)), lambda_u * torch.sigmoid(beta * (z0 - h)))
    lam = torch.where(desirable, torch.full_like(h, lambda_d), torch.full_like(h, lambda_u))
    return (lam - value).mean(), torch.as_tensor(z0)
