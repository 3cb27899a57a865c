"""Objectives: loss aggregation on padded uneven batches, clip boundaries, GSPO, preference losses."""

import math

import pytest
import torch

from reference_impl.objectives.grpo import aggregate_loss, clipped_surrogate, grpo_loss
from reference_impl.objectives.gspo import gspo_loss, sequence_ratio
from reference_impl.objectives.preference import dpo_loss, ipo_loss, kto_loss, kto_reference_point, simpo_loss

torch.set_num_threads(1)
NAN = float("nan")
# Three responses of lengths 3, 1 and 2, right-padded to T = 4. Padded slots hold NaN: if a
# mode let a padded slot into a sum, the result would be NaN.
PER_TOKEN = torch.tensor([[1.0, 2.0, 3.0, NAN], [4.0, NAN, NAN, NAN], [5.0, 6.0, NAN, NAN]])
MASK = torch.tensor([[1, 1, 1, 0], [1, 0, 0, 0], [1, 1, 0, 0]])


def test_aggregation_modes_by_hand():
    # grpo: per-sequence means 6/3 = 2, 4/1 = 4, 11/2 = 5.5 -> (2 + 4 + 5.5) / 3 = 3.8333
    assert aggregate_loss(PER_TOKEN, MASK, "grpo").item() == pytest.approx(11.5 / 3)
    # bnpo: all tokens 1+2+3+4+5+6 = 21 over 6 tokens -> 3.5
    assert aggregate_loss(PER_TOKEN, MASK, "bnpo").item() == pytest.approx(3.5)
    # dr_grpo: 21 / (B * L_max) = 21 / (3 * 8) = 0.875; with the default L_max = T = 4: 21 / 12 = 1.75
    assert aggregate_loss(PER_TOKEN, MASK, "dr_grpo", max_len=8).item() == pytest.approx(0.875)
    assert aggregate_loss(PER_TOKEN, MASK, "dr_grpo").item() == pytest.approx(1.75)
    # dapo: 21 / tokens of the whole group batch; this micro-batch is part of one with 14 tokens -> 1.5
    assert aggregate_loss(PER_TOKEN, MASK, "dapo", num_tokens=14).item() == pytest.approx(1.5)
    assert aggregate_loss(PER_TOKEN, MASK, "dapo").item() == pytest.approx(3.5)
    with pytest.raises(ValueError):
        aggregate_loss(PER_TOKEN, MASK, "mean")


def _surrogate_grad(ratios, adv, eps_low, eps_high=None):
    logp = torch.tensor(ratios, dtype=torch.float64).log().requires_grad_()
    loss = clipped_surrogate(logp[None], torch.zeros(1, len(ratios), dtype=torch.float64), torch.tensor([adv], dtype=torch.float64), eps_low, eps_high)
    loss.sum().backward()
    return loss[0].tolist(), logp.grad.tolist()


def test_clip_boundaries_positive_advantage():
    # A = +1, eps = 0.25 (1.25 and 0.75 are exact in binary). loss = -min(r, clip(r)).
    # d loss / d logp = -r inside the region and at its edges, 0 once r > 1.25 (the clipped term is constant).
    # For r < 0.75 the min keeps the unclipped term: the pessimistic side still gets a gradient.
    loss, grad = _surrogate_grad([0.5, 0.75, 1.0, 1.25, 1.5], +1.0, 0.25)
    assert loss == pytest.approx([-0.5, -0.75, -1.0, -1.25, -1.25])
    assert grad == pytest.approx([-0.5, -0.75, -1.0, -1.25, 0.0])


def test_clip_boundaries_negative_advantage():
    # A = -1: loss = max(r, clip(r)); below 0.75 the clipped constant 0.75 wins -> zero gradient.
    loss, grad = _surrogate_grad([0.5, 0.75, 1.0, 1.25, 1.5], -1.0, 0.25)
    assert loss == pytest.approx([0.75, 0.75, 1.0, 1.25, 1.5])
    assert grad == pytest.approx([0.0, 0.75, 1.0, 1.25, 1.5])


def test_clip_higher_lets_the_ratio_grow_further():
    # Symmetric 0.2: r = 1.25 is past 1.2 -> no gradient. DAPO's eps_high = 0.28: still inside -> gradient -1.25.
    assert _surrogate_grad([1.25, 1.3], 1.0, 0.2)[1] == pytest.approx([0.0, 0.0])
    assert _surrogate_grad([1.25, 1.3], 1.0, 0.2, 0.28)[1] == pytest.approx([-1.25, 0.0])
    # The lower side is untouched by eps_high: A < 0, r = 0.75 < 0.8 -> clipped, zero gradient.
    assert _surrogate_grad([0.75], -1.0, 0.2, 0.28)[1] == pytest.approx([0.0])


def test_grpo_loss_kl_term_and_stats():
    # ratio 1 and A = 0, so only beta * k3 remains. pi = 0.5, ref = 0.25 on the real token:
    # k3 = (0.5 - 1) - log 0.5 = 0.19315; the padded token (ref logp absurd) must not count.
    logp = torch.tensor([[math.log(0.5), 0.0]])
    ref = torch.tensor([[math.log(0.25), -50.0]])
    mask = torch.tensor([[1, 0]])
    loss, stats = grpo_loss(logp, logp, torch.zeros(1), mask, ref_logp=ref, beta=0.1)
    assert loss.item() == pytest.approx(0.1 * (-0.5 - math.log(0.5)))
    assert stats["kl"] == pytest.approx(-0.5 - math.log(0.5)) and stats["clip_fraction"] == 0.0
    # Clip fraction: of 3 real tokens with A > 0 and eps 0.2, ratios 1.5 and 1.3 are clipped, 1.1 is not.
    lp = torch.tensor([[math.log(1.5), math.log(1.3), math.log(1.1), 9.0]])
    _, stats = grpo_loss(lp, torch.zeros(1, 4), torch.ones(1), torch.tensor([[1, 1, 1, 0]]))
    assert stats["clip_fraction"] == pytest.approx(2 / 3)


def test_gspo_sequence_ratio_and_shared_token_gradient():
    # Row 0: log-ratios 0.1, 0.3 (third token padded) -> s = exp(0.2); row 1: one token, log-ratio -0.1.
    logp = torch.tensor([[0.1, 0.3, 7.0], [-0.1, 0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    old = torch.zeros(2, 3, dtype=torch.float64)
    mask = torch.tensor([[1, 1, 0], [1, 0, 0]])
    s = sequence_ratio(logp, old, mask)
    assert s.tolist() == pytest.approx([math.exp(0.2), math.exp(-0.1)])
    # Wide clip so nothing is clipped: loss = -(s0*A0 + s1*A1)/2; d/d logp_t = -A_i * s_i / |y_i| / 2.
    adv = torch.tensor([1.0, -2.0], dtype=torch.float64)
    loss, _ = gspo_loss(logp, old, adv, mask, eps_low=0.5, eps_high=0.5)
    loss.backward()
    g = logp.grad
    assert g[0, :2].tolist() == pytest.approx([-math.exp(0.2) / 2 / 2] * 2)  # same for both tokens
    assert g[1, 0].item() == pytest.approx(2 * math.exp(-0.1) / 1 / 2)
    assert g[0, 2].item() == 0 and g[1, 1:].abs().sum().item() == 0
    # Paper-size clip (3e-4 / 4e-4): s0 = exp(0.2) is far above 1 + eps_high with A0 > 0, and
    # s1 = exp(-0.1) far below 1 - eps_low with A1 < 0: both sequences are clipped, no gradient at all.
    logp.grad = None
    loss, stats = gspo_loss(logp, old, adv, mask)
    loss.backward()
    assert logp.grad.abs().sum().item() == 0 and stats["clip_fraction"] == pytest.approx(1.0)
    # Flip A1's sign: row 1 is now on the pessimistic side (min keeps s1 * A1) and gets a gradient.
    logp.grad = None
    loss, stats = gspo_loss(logp, old, torch.tensor([1.0, 2.0], dtype=torch.float64), mask)
    loss.backward()
    assert logp.grad[0].abs().sum().item() == 0 and stats["clip_fraction"] == pytest.approx(0.5)
    assert logp.grad[1, 0].item() == pytest.approx(-2 * math.exp(-0.1) / 2)


def test_preference_losses_by_hand():
    pc, pr = torch.tensor([-1.0]), torch.tensor([-2.0])
    rc, rr = torch.tensor([-1.5]), torch.tensor([-1.5])
    # h_w = 0.5, h_l = -0.5, margin 1. DPO beta 0.5: -log sigmoid(0.5) = log(1 + e^-0.5) = 0.474077
    loss, cw, cl = dpo_loss(pc, pr, rc, rr, beta=0.5)
    assert loss.item() == pytest.approx(math.log1p(math.exp(-0.5)))
    assert (cw.item(), cl.item()) == pytest.approx((0.25, -0.25))
    # IPO tau 0.25: target 1/(2*0.25) = 2, margin 1 -> (1 - 2)^2 = 1
    assert ipo_loss(pc, pr, rc, rr, tau=0.25).item() == pytest.approx(1.0)
    # SimPO: averages -0.5 and -1.0, beta 2, gamma 0.5 -> 2*0.5 - 0.5 = 0.5 -> 0.474077
    assert simpo_loss(torch.tensor([-0.5]), torch.tensor([-1.0]), beta=2.0, gamma=0.5).item() == pytest.approx(math.log1p(math.exp(-0.5)))


def test_kto_by_hand():
    pol, ref = torch.tensor([-1.0, -2.0]), torch.tensor([-1.5, -1.5])
    good = torch.tensor([True, False])
    # h = (0.5, -0.5), z0 = max(0, mean h = 0) = 0, beta 1:
    # desirable 1 - sigmoid(0.5) = 0.377541; undesirable lambda_u * (1 - sigmoid(0 + 0.5)) = 2 * 0.377541
    loss, z0 = kto_loss(pol, ref, good, beta=1.0, lambda_u=2.0)
    q = 1 - 1 / (1 + math.exp(-0.5))
    assert z0.item() == 0.0 and loss.item() == pytest.approx((q + 2 * q) / 2)
    # z0 is the clamped batch mean of h, and carries no gradient.
    p = torch.tensor([-1.0, -1.0], requires_grad=True)
    z = kto_reference_point(p, torch.tensor([-2.0, -1.5]))
    assert z.item() == pytest.approx(0.75) and not z.requires_grad
    assert kto_reference_point(torch.tensor([-3.0]), torch.tensor([-1.0])).item() == 0.0


def test_dpo_gradient_raises_chosen_lowers_rejected():
    pc = torch.tensor([-1.0], requires_grad=True)
    pr = torch.tensor([-1.0], requires_grad=True)
    dpo_loss(pc, pr, torch.tensor([-1.0]), torch.tensor([-1.0]), beta=0.1)[0].backward()
    # at margin 0: d/d pc = -beta * sigmoid(0) = -0.05, d/d pr = +0.05
    assert (pc.grad.item(), pr.grad.item()) == pytest.approx((-0.05, 0.05))


def test_junk_at_padded_slots_cannot_poison_gradients():
    # A padded slot whose log-prob is absurd (exp overflows to inf in float32) must give a finite
    # loss AND finite gradients: 0 * inf in the backward pass would otherwise write NaN.
    logp = torch.tensor([[-1.0, 500.0], [-2.0, -1.0]], requires_grad=True)
    old = torch.tensor([[-1.1, 0.0], [-2.0, -1.2]])
    ref = torch.tensor([[-1.0, -900.0], [-2.1, -1.0]])
    mask = torch.tensor([[1, 0], [1, 1]])
    for mode in ("grpo", "bnpo", "dr_grpo", "dapo"):
        logp.grad = None
        loss, _ = grpo_loss(logp, old, torch.tensor([1.0, -1.0]), mask, ref_logp=ref, beta=0.1, mode=mode)
        loss.backward()
        assert torch.isfinite(loss) and torch.isfinite(logp.grad).all() and logp.grad[0, 1] == 0
    logp.grad = None
    gspo_loss(logp, old, torch.tensor([1.0, -1.0]), mask, eps_low=0.5, eps_high=0.5)[0].backward()
    assert torch.isfinite(logp.grad).all() and logp.grad[0, 1] == 0
