"""The shared policy-gradient step of the multi-turn capability scripts: its optional KL term to the warm-up policy."""

import pytest
import torch

from reference_impl.capabilities.pg_step import PGFlags, as_batch, grpo_step, kl_reference, lr_scheduler
from reference_impl.core import PolicyConfig, TinyTransformer, frozen_copy


def _setup(seed: int = 0):
    torch.manual_seed(seed)
    model = TinyTransformer(PolicyConfig(vocab_size=12, n_layer=1, n_head=2, n_embd=16, block_size=16))
    ids = torch.randint(0, 12, (6, 10))
    loss_mask = torch.zeros(6, 9)
    loss_mask[:, 4:] = 1  # the policy's own tokens
    adv = torch.randn(6)
    return model, as_batch(ids, loss_mask), adv


def _run(kl_coef: float, with_ref: bool = True):
    model, batch, adv = _setup()
    ref = frozen_copy(model) if with_ref else None
    cfg = PGFlags(ppo_epochs=3, minibatches=1, kl_coef=kl_coef)
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    stats = grpo_step(model, opt, batch, adv, cfg, torch.Generator().manual_seed(0), ref=ref)
    return model, stats


def test_kl_term_only_with_a_coefficient_and_a_reference():
    _, stats = _run(0.0)
    assert "kl" not in stats
    _, stats = _run(0.5, with_ref=False)
    assert "kl" not in stats
    _, stats = _run(0.5)
    assert stats["kl"] > 0  # from the second epoch on the policy has left the reference


def test_kl_term_changes_the_update():
    a, _ = _run(0.0)
    b, _ = _run(5.0)
    diffs = [(p - q).abs().max().item() for p, q in zip(a.parameters(), b.parameters())]
    assert max(diffs) > 1e-6


def test_kl_reference_is_a_frozen_copy_only_with_a_coefficient():
    model, _, _ = _setup()
    assert kl_reference(model, PGFlags(kl_coef=0.0)) is None
    ref = kl_reference(model, PGFlags(kl_coef=0.1))
    assert ref is not model and not any(p.requires_grad for p in ref.parameters())


def test_lr_schedules():
    """linear: the rate falls by lr/updates per iteration and reaches 0 after the last one; constant: unchanged;
    anything else is refused with a clear message."""
    def rates(schedule: str, updates: int = 4) -> list[float]:
        opt = torch.optim.Adam([torch.nn.Parameter(torch.zeros(1))], lr=1e-3)
        sched, seen = lr_scheduler(opt, PGFlags(lr_schedule=schedule), updates), []
        for _ in range(updates):
            seen.append(opt.param_groups[0]["lr"])
            opt.step()
            sched.step()
        return seen + [opt.param_groups[0]["lr"]]

    assert rates("linear") == pytest.approx([1e-3, 7.5e-4, 5e-4, 2.5e-4, 0.0])
    assert rates("constant") == pytest.approx([1e-3] * 5)
    with pytest.raises(SystemExit, match="lr-schedule must be one of constant, linear"):
        rates("cosine")
