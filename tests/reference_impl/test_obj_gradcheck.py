"""Objectives: torch.autograd.gradcheck (float64, small inputs) of every loss and helper.

Ratios are kept away from the clip edges, where the losses have kinks and finite differences
are meaningless; the behaviour at the edges is tested by hand in test_obj_losses.py.
"""

import pytest
import torch
from torch.autograd import gradcheck

from reference_impl.core import kl_estimate, masked_mean, selective_log_softmax
from reference_impl.objectives.grpo import MODES, group_advantages, grpo_loss
from reference_impl.objectives.gspo import gspo_loss
from reference_impl.objectives.preference import dpo_loss, ipo_loss, kto_loss, sequence_logps, simpo_loss
from reference_impl.objectives.reinforce import reinforce_loss, rloo_advantages

torch.set_num_threads(1)
D = dict(dtype=torch.float64)
MASK = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]])


def _logps(seed, shape=(3, 4), scale=0.05):
    g = torch.Generator().manual_seed(seed)
    old = -1.0 - torch.rand(shape, generator=g, **D)
    # |log ratio| < 0.05: inside the 0.2 clip range for every token
    new = (old + scale * (2 * torch.rand(shape, generator=g, **D) - 1)).requires_grad_()
    return new, old


@pytest.mark.parametrize("mode", MODES)
def test_grpo_loss_gradcheck(mode):
    logp, old = _logps(0)
    ref = old - 0.1
    adv = torch.tensor([1.0, -0.5, 0.3], **D)
    f = lambda lp: grpo_loss(lp, old, adv, MASK, ref_logp=ref, beta=0.05, mode=mode, max_len=6)[0]
    assert gradcheck(f, (logp,))


def test_gspo_loss_gradcheck():
    logp, old = _logps(1, scale=0.01)
    adv = torch.tensor([1.0, -0.5, 0.3], **D)
    assert gradcheck(lambda lp: gspo_loss(lp, old, adv, MASK, eps_low=0.2, eps_high=0.2)[0], (logp,))


def test_reinforce_and_advantages_gradcheck():
    logp, _ = _logps(2)
    adv = rloo_advantages(torch.tensor([1.0, 0.0, 0.5], **D), 3)
    assert gradcheck(lambda lp: reinforce_loss(lp, MASK, adv), (logp,))
    rewards = torch.tensor([1.0, 0.2, 0.4, 0.0, 0.9, 0.3], **D, requires_grad=True)
    assert gradcheck(lambda r: group_advantages(r, 3), (rewards,))


def test_preference_losses_gradcheck():
    logp, _ = _logps(3, shape=(4, 4))
    mask = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 1]])
    ref = torch.tensor([-3.0, -1.2, -2.5, -4.1], **D)

    def seq(lp, avg=False):
        return sequence_logps(lp, mask, average=avg)

    assert gradcheck(lambda lp: dpo_loss(seq(lp)[:2], seq(lp)[2:], ref[:2], ref[2:], beta=0.3)[0], (logp,))
    assert gradcheck(lambda lp: ipo_loss(seq(lp)[:2], seq(lp)[2:], ref[:2], ref[2:], tau=0.5), (logp,))
    assert gradcheck(lambda lp: simpo_loss(seq(lp, True)[:2], seq(lp, True)[2:]), (logp,))
    good = torch.tensor([True, False, True, False])
    # z0 fixed: the default z0 is detached on purpose, which finite differences would not see.
    assert gradcheck(lambda lp: kto_loss(seq(lp), ref, good, beta=0.5, lambda_u=1.5, z0=0.2)[0], (logp,))


def test_core_helpers_gradcheck():
    g = torch.Generator().manual_seed(4)
    logits = torch.randn(2, 3, 5, generator=g, **D).requires_grad_()
    index = torch.randint(0, 5, (2, 3), generator=g)
    assert gradcheck(lambda z: selective_log_softmax(z, index), (logits,))
    logp, old = _logps(5)
    for kind in ("k1", "k2", "k3"):
        assert gradcheck(lambda lp: masked_mean(kl_estimate(lp, old, kind), MASK), (logp,))
