"""The shared PPO-style update (epochs x minibatches) and temperature-consistent log-probs."""

import functools

import pytest
import torch

from reference_impl.core import (POLICY, PROMPT, PolicyConfig, TinyTransformer, TokenBuffer, collate, generate,
                                 pad_sequences, token_logprobs)
from reference_impl.objectives import grpo
from reference_impl.objectives.update import minibatch_indices, policy_update

torch.set_num_threads(1)
torch.use_deterministic_algorithms(True)
V = 11


def make_model(seed=0):
    torch.manual_seed(seed)
    return TinyTransformer(PolicyConfig(vocab_size=V, n_layer=1, n_head=2, n_embd=32, block_size=32))


def make_batch(seed=0, n=16):
    g = torch.Generator().manual_seed(seed)
    bufs = []
    for _ in range(n):
        prompt = torch.randint(3, V, (3,), generator=g).tolist()
        resp = torch.randint(3, V, (int(torch.randint(2, 6, (1,), generator=g)),), generator=g).tolist()
        bufs.append(TokenBuffer().add([1] + prompt, PROMPT).add(resp, POLICY))
    adv = torch.randn(n, generator=g)
    return collate(bufs, pad_id=0), adv


def run(epochs, minibatches, eps_high=0.2, lr=5e-2):
    model = make_model()
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    batch, adv = make_batch()
    loss_fn = functools.partial(grpo.grpo_loss, eps_low=0.2, eps_high=eps_high, mode="grpo")
    stats = policy_update(model, opt, batch, adv, loss_fn, epochs=epochs, minibatches=minibatches,
                          generator=torch.Generator().manual_seed(0))
    return model, stats


def test_minibatches_partition_the_batch():
    parts = minibatch_indices(10, 3, torch.Generator().manual_seed(1))
    assert len(parts) == 3 and sorted(torch.cat(parts).tolist()) == list(range(10))
    assert len(minibatch_indices(2, 5)) == 2  # never an empty minibatch
    with pytest.raises(ValueError):
        minibatch_indices(4, 0)


def test_one_step_never_clips_and_more_steps_do():
    _, one = run(epochs=1, minibatches=1)
    assert one["updates"] == 1 and one["clip_fraction"] == 0.0 and one["ratio"] == pytest.approx(1.0)
    _, many = run(epochs=4, minibatches=2)
    assert many["updates"] == 8 and many["clip_fraction"] > 0.0


def test_eps_high_changes_the_update():
    a, sa = run(epochs=4, minibatches=2, eps_high=0.2)
    b, sb = run(epochs=4, minibatches=2, eps_high=0.28)
    diff = max((pa - pb).abs().max().item() for pa, pb in zip(a.parameters(), b.parameters()))
    assert diff > 1e-6 and sa["clip_fraction"] != sb["clip_fraction"]


def test_rft_skips_the_old_logp_pass_and_updates_as_before():
    """RFT's cross-entropy never reads pi_old, so policy_update skips that forward pass; the update is the one
    it makes when pi_old is computed anyway (a wrapper hides the marker)."""
    from reference_impl.objectives import rft

    def update(loss_fn):
        model, calls = make_model(), []
        model.register_forward_hook(lambda *_: calls.append(1))
        batch, adv = make_batch()
        policy_update(model, torch.optim.SGD(model.parameters(), lr=5e-2), batch, adv, loss_fn, epochs=1, minibatches=2,
                      generator=torch.Generator().manual_seed(0))
        return model, len(calls)

    marked, n_marked = update(rft.rft_loss)
    plain, n_plain = update(lambda *a, **k: rft.rft_loss(*a, **k))
    assert (n_marked, n_plain) == (2, 3)  # two minibatch passes; the unmarked loss adds the pi_old pass
    for p, q in zip(marked.parameters(), plain.parameters()):
        assert torch.equal(p, q)


@pytest.mark.parametrize("temperature", [0.5, 0.7, 1.3])
def test_generate_records_logprobs_at_the_sampling_temperature(temperature):
    model = make_model(3).eval()
    ids, mask = pad_sequences([[1, 4, 5], [1, 7]], pad_value=0, side="left")
    ro = generate(model, ids, mask, 6, temperature=temperature, generator=torch.Generator().manual_seed(0))
    re = token_logprobs(model, ro.sequences, ro.attention_mask, temperature=temperature)[:, ro.prompt_len - 1:]
    m = ro.response_mask.bool()
    torch.testing.assert_close(ro.logprobs[m], re[m], rtol=1e-4, atol=1e-4)
    raw = token_logprobs(model, ro.sequences, ro.attention_mask)[:, ro.prompt_len - 1:]
    assert (ro.logprobs[m] - raw[m]).abs().max() > 1e-3  # temperature-1 log-probs would be pi_old of another policy
