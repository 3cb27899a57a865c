"""PPO objectives (reference_impl/objectives/ppo.py): GAE, clipping, value clipping, diagnostics.

Every expected number below is worked out by hand in the comment next to it.
"""

import math

import pytest
import torch

from reference_impl.objectives import ppo


def col(*xs):
    """A (T, 1) float64 tensor: one stream of T steps."""
    return torch.tensor(xs, dtype=torch.float64)[:, None]


# ---------------------------------------------------------------- GAE


def test_gae_hand_computed_with_a_done():
    # gamma = lam = 0.5; r = [1, 2, 3], V = [0.5, 1, 1.5], the episode ends with step 1, V(s_3) = 2.
    # t=2: delta = 3 + 0.5*2 - 1.5 = 2.5                  A2 = 2.5
    # t=1: done, nothing after it: delta = 2 - 1 = 1       A1 = 1
    # t=0: delta = 1 + 0.5*1 - 0.5 = 1;  A0 = 1 + 0.25*A1 = 1.25
    # returns = A + V = [1.75, 2, 4]
    adv, ret = ppo.gae(col(1, 2, 3), col(0.5, 1, 1.5), col(0, 1, 0), torch.tensor([2.0], dtype=torch.float64), 0.5, 0.5)
    assert adv[:, 0].tolist() == pytest.approx([1.25, 1.0, 2.5])
    assert ret[:, 0].tolist() == pytest.approx([1.75, 2.0, 4.0])


def test_gae_done_on_last_step_ignores_last_value():
    # r = [1], V = [3], done: A = 1 - 3 = -2 whatever the bootstrap value (here 100).
    adv, _ = ppo.gae(col(1), col(3), col(1), torch.tensor([100.0], dtype=torch.float64), 0.9, 0.9)
    assert adv.item() == pytest.approx(-2.0)


def test_gae_masked_step_is_passed_over_not_cut():
    # gamma = lam = 0.5; r = [1, 5, 0, 2], V = [1, 9, 2, 1], mask = [1, 0, 1, 1], no dones, V(s_4) = 4.
    # t=3: delta = 2 + 0.5*4 - 1 = 3                         A3 = 3
    # t=2: delta = 0 + 0.5*V3 - 2 = -1.5;  A2 = -1.5 + 0.25*3 = -0.75
    # t=1: masked: A1 = 0, return = V1 = 9; its reward 5 is handed to step 0
    # t=0: next policy step is 2: delta = 1 + 5 + 0.5*V2 - 1 = 6;  A0 = 6 + 0.25*A2 = 5.8125
    adv, ret = ppo.gae(col(1, 5, 0, 2), col(1, 9, 2, 1), col(0, 0, 0, 0), torch.tensor([4.0], dtype=torch.float64),
                       0.5, 0.5, mask=col(1, 0, 1, 1))
    assert adv[:, 0].tolist() == pytest.approx([5.8125, 0.0, -0.75, 3.0])
    assert ret[:, 0].tolist() == pytest.approx([6.8125, 9.0, 1.25, 4.0])


def test_gae_done_on_a_masked_step_still_cuts():
    # gamma = lam = 0.5; r = [1, 2, 3], V = [1, 1, 1], mask = [1, 0, 1], the episode ends with the
    # masked step 1, V(s_3) = 10.
    # t=2: delta = 3 + 0.5*10 - 1 = 7                  A2 = 7
    # t=1: done cuts V2 and A2 away; masked, hands r1 = 2 back
    # t=0: delta = 1 + 2 + 0 - 1 = 2                   A0 = 2
    adv, _ = ppo.gae(col(1, 2, 3), col(1, 1, 1), col(0, 1, 0), torch.tensor([10.0], dtype=torch.float64),
                     0.5, 0.5, mask=col(1, 0, 1))
    assert adv[:, 0].tolist() == pytest.approx([2.0, 0.0, 7.0])


def test_gae_next_step_autoreset_pattern():
    # The gymnasium NEXT_STEP pattern: step 1 ends an episode, step 2 is the dead reset step
    # (reward 0, no done, mask 0), step 3 is the first step of the next episode.
    # gamma = 1, lam = 1; r = [1, 1, 0, 1], V = [0, 0, 7, 0], V(s_4) = 5.
    # t=3: A3 = 1 + 5 - 0 = 6;  t=2: masked;  t=1: done: A1 = 1;  t=0: A0 = 1 + V1 - 0 + A1 = 1 + 0 + 1 = 2
    # The first episode never sees the next one's value or reward.
    adv, _ = ppo.gae(col(1, 1, 0, 1), col(0, 0, 7, 0), col(0, 1, 0, 0), torch.tensor([5.0], dtype=torch.float64),
                     1.0, 1.0, mask=col(1, 1, 0, 1))
    assert adv[:, 0].tolist() == pytest.approx([2.0, 1.0, 0.0, 6.0])


def reference_gae(r, v, d, last, gamma, lam):
    """Plain GAE written out directly from the definition: A_t = sum_l (gamma lam)^l delta_{t+l}, stopping at a done."""
    T = len(r)
    v_next = [v[t + 1] if t + 1 < T else last for t in range(T)]
    deltas = [r[t] + gamma * v_next[t] * (1 - d[t]) - v[t] for t in range(T)]
    adv = []
    for t in range(T):
        total, w = 0.0, 1.0
        for k in range(t, T):
            total += w * deltas[k]
            if d[k]:
                break
            w *= gamma * lam
        adv.append(total)
    return adv


def test_gae_matches_the_definition_and_a_compressed_sequence():
    # Masked GAE on a stream == plain GAE on the stream with the masked steps deleted (their
    # rewards added to the policy step before them), checked against the explicit sum.
    g = torch.Generator().manual_seed(0)
    T = 12
    r, v = torch.randn(T, 1, generator=g, dtype=torch.float64), torch.randn(T, 1, generator=g, dtype=torch.float64)
    d = torch.zeros(T, 1, dtype=torch.float64)
    d[6] = 1.0
    m = torch.ones(T, 1, dtype=torch.float64)
    m[[2, 3, 9]] = 0.0
    last = torch.tensor([0.7], dtype=torch.float64)
    adv, _ = ppo.gae(r, v, d, last, 0.9, 0.8, mask=m)
    # compress: policy steps 0,1,4,5,6,7,8,10,11; rewards of 2,3 go to 1, reward of 9 goes to 8
    keep = [0, 1, 4, 5, 6, 7, 8, 10, 11]
    rc = r[:, 0].tolist()
    rc[1] += rc[2] + rc[3]
    rc[8] += rc[9]
    expected = reference_gae([rc[i] for i in keep], [v[i, 0].item() for i in keep], [d[i, 0].item() for i in keep],
                             0.7, 0.9, 0.8)
    assert adv[keep, 0].tolist() == pytest.approx(expected)
    assert adv[[2, 3, 9], 0].abs().sum().item() == 0.0
    # and with no mask at all it is plain GAE
    adv_plain, _ = ppo.gae(r, v, d, last, 0.9, 0.8)
    assert adv_plain[:, 0].tolist() == pytest.approx(reference_gae(r[:, 0].tolist(), v[:, 0].tolist(), d[:, 0].tolist(), 0.7, 0.9, 0.8))


def test_bootstrap_truncated():
    # r = [1, 1], truncated at step 0 with V(final obs) = 10, gamma 0.9: r0 becomes 1 + 9 = 10; step 1 unchanged.
    out = ppo.bootstrap_truncated(col(1, 1), col(1, 0), col(10, 3), 0.9)
    assert out[:, 0].tolist() == pytest.approx([10.0, 1.0])


# ---------------------------------------------------------------- clipped policy loss

EPS = 0.2


def policy_grad(ratio: float, adv: float) -> float:
    """d(loss)/d(new_logprob) for one step with the given ratio and advantage."""
    new = torch.tensor([math.log(ratio)], dtype=torch.float64, requires_grad=True)
    old = torch.zeros(1, dtype=torch.float64)
    ppo.clipped_policy_loss(new, old, torch.tensor([adv], dtype=torch.float64), EPS).backward()
    return new.grad.item()


@pytest.mark.parametrize("ratio", [1 + EPS + 1e-3, 1.5])
def test_no_gradient_beyond_upper_clip_for_positive_advantage(ratio):
    assert policy_grad(ratio, 2.0) == 0.0


@pytest.mark.parametrize("ratio", [1 - EPS - 1e-3, 0.5])
def test_no_gradient_below_lower_clip_for_negative_advantage(ratio):
    assert policy_grad(ratio, -2.0) == 0.0


@pytest.mark.parametrize("ratio,adv", [(1 + EPS - 1e-3, 2.0), (1 - EPS + 1e-3, -2.0), (1.0, 1.0), (1.0, -1.0),
                                       # the pessimistic side is never clipped: a move the wrong way keeps its gradient
                                       (1.5, -2.0), (0.5, 2.0)])
def test_gradient_flows_inside_the_range_and_on_the_wrong_side(ratio, adv):
    # loss = -ratio * adv, ratio = exp(logp): d loss / d logp = -ratio * adv
    assert policy_grad(ratio, adv) == pytest.approx(-ratio * adv)


def test_policy_loss_value_and_mask():
    # ratios [1.5, 1.0, 0.5], A = [1, 1, -1], eps 0.2:
    # step 0: min(1.5, 1.2) = 1.2;  step 1: 1.0;  step 2: min(-0.5, -0.8) = -0.8.  mean = 1.4/3
    new = torch.log(torch.tensor([1.5, 1.0, 0.5], dtype=torch.float64))
    old = torch.zeros(3, dtype=torch.float64)
    adv = torch.tensor([1.0, 1.0, -1.0], dtype=torch.float64)
    assert ppo.clipped_policy_loss(new, old, adv, EPS).item() == pytest.approx(-1.4 / 3)
    # mask out step 1: (1.2 - 0.8) / 2 = 0.2
    mask = torch.tensor([1.0, 0.0, 1.0], dtype=torch.float64)
    assert ppo.clipped_policy_loss(new, old, adv, EPS, mask).item() == pytest.approx(-0.2)


def test_gradcheck_policy_and_value_losses():
    g = torch.Generator().manual_seed(1)
    # keep ratios well inside or outside the clip range (clamp has kinks at the boundary)
    new = (torch.tensor([0.05, -0.05, 0.4, -0.4, 0.1], dtype=torch.float64)).requires_grad_()
    old = torch.zeros(5, dtype=torch.float64)
    adv = torch.randn(5, generator=g, dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: ppo.clipped_policy_loss(x, old, adv, EPS), (new,))
    v_new = torch.tensor([0.1, 0.9, -0.5, 2.0], dtype=torch.float64, requires_grad=True)
    v_old = torch.zeros(4, dtype=torch.float64)
    ret = torch.tensor([1.0, 0.3, 1.0, -1.0], dtype=torch.float64)
    assert torch.autograd.gradcheck(lambda x: ppo.clipped_value_loss(x, v_old, ret, 0.2), (v_new,))
    assert torch.autograd.gradcheck(lambda x: ppo.clipped_value_loss(x, v_old, ret, None), (v_new,))


# ---------------------------------------------------------------- value loss


def value_loss_and_grad(new: float, clip):
    v = torch.tensor([new], dtype=torch.float64, requires_grad=True)
    loss = ppo.clipped_value_loss(v, torch.zeros(1, dtype=torch.float64), torch.ones(1, dtype=torch.float64), clip)
    loss.backward()
    return loss.item(), v.grad.item()


def test_value_clipping():
    # old V = 0, target 1, eps 0.2.
    # V = 0.1 (inside): both terms (0.1 - 1)^2 = 0.81, grad 2 * (0.1 - 1) = -1.8
    assert value_loss_and_grad(0.1, 0.2) == pytest.approx((0.81, -1.8))
    # V = 0.5: unclipped 0.25, clipped V = 0.2 -> 0.64; the max is the clipped, constant term: grad 0
    assert value_loss_and_grad(0.5, 0.2) == pytest.approx((0.64, 0.0))
    # V = -0.5: unclipped 2.25 > clipped (-0.2 - 1)^2 = 1.44; grad 2 * (-1.5) = -3
    assert value_loss_and_grad(-0.5, 0.2) == pytest.approx((2.25, -3.0))
    # without clipping V = 0.5 gives 0.25 and grad -1
    assert value_loss_and_grad(0.5, None) == pytest.approx((0.25, -1.0))


# ---------------------------------------------------------------- diagnostics


def test_entropy_kl_and_clip_fraction():
    # two equal logits: entropy log 2; a one-hot-ish policy: entropy near 0
    ent = ppo.categorical_entropy(torch.tensor([[0.0, 0.0], [30.0, -30.0]]))
    assert ent[0].item() == pytest.approx(math.log(2))
    assert ent[1].item() == pytest.approx(0.0, abs=1e-6)
    # k3 is 0 for equal policies, and (rho - 1) - log rho per step: rho = e -> e - 2
    same = torch.tensor([-0.3, -1.2])
    assert ppo.approx_kl(same, same).item() == 0.0
    assert ppo.approx_kl(torch.tensor([1.0]), torch.tensor([0.0])).item() == pytest.approx(math.e - 2)
    # clip fraction: ratios [1.5, 1.1, 0.7, 1.0] with eps 0.2 -> 2 of 4 outside
    new = torch.log(torch.tensor([1.5, 1.1, 0.7, 1.0]))
    assert ppo.clip_fraction(new, torch.zeros(4), EPS).item() == pytest.approx(0.5)


def test_k3_estimates_the_true_kl():
    # Sample actions from p_old and check E[k3] against KL(p_old || p_new) computed exactly.
    g = torch.Generator().manual_seed(2)
    p_old = torch.tensor([0.5, 0.3, 0.2])
    p_new = torch.tensor([0.4, 0.4, 0.2])
    a = torch.multinomial(p_old, 200_000, replacement=True, generator=g)
    est = ppo.approx_kl(p_new.log()[a], p_old.log()[a]).item()
    exact = (p_old * (p_old / p_new).log()).sum().item()
    assert est == pytest.approx(exact, rel=0.05)
