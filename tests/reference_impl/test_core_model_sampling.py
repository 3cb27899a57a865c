"""Core: the policy's padding and cache handling, and the sampler (cached == uncached)."""

import pytest
import torch
import torch.nn.functional as F

from reference_impl.core import (
    PolicyConfig,
    TinyTransformer,
    generate,
    pad_sequences,
    selective_log_softmax,
    token_logprobs,
    entropy_from_logits,
)

torch.set_num_threads(1)
V = 13


def make_model(seed=0, **kw):
    torch.manual_seed(seed)
    return TinyTransformer(PolicyConfig(vocab_size=V, n_layer=2, n_head=2, n_embd=32, block_size=40, **kw)).eval()


def left_padded_prompts():
    return pad_sequences([[3, 4, 5, 6, 7], [8, 9], [4, 4, 4]], pad_value=0, side="left")


def test_left_padding_does_not_change_logits():
    model = make_model()
    ids, mask = left_padded_prompts()
    out = model(ids, attention_mask=mask)
    assert out.logits.shape == (3, 5, V) and out.values is None
    alone = model(torch.tensor([[8, 9]])).logits
    torch.testing.assert_close(out.logits[1, -2:], alone[0], rtol=1e-5, atol=1e-5)
    assert torch.isfinite(out.logits).all()  # padded queries never see an all-masked row


def test_kv_cache_step_matches_full_forward():
    model = make_model(value_head=True)
    ids, mask = left_padded_prompts()
    nxt = torch.tensor([[10], [11], [12]])
    full_ids, full_mask = torch.cat([ids, nxt], 1), torch.cat([mask, torch.ones(3, 1, dtype=torch.long)], 1)
    full = model(full_ids, attention_mask=full_mask)
    first = model(ids, attention_mask=mask)
    step = model(nxt, attention_mask=full_mask, past_key_values=first.past_key_values)
    torch.testing.assert_close(step.logits[:, 0], full.logits[:, -1], rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(step.values[:, 0], full.values[:, -1], rtol=1e-5, atol=1e-5)
    assert full.values.shape == (3, 6)


def test_block_size_is_enforced():
    model = make_model()
    with pytest.raises(ValueError):
        model(torch.zeros(1, 41, dtype=torch.long))


def test_cached_sampler_equals_uncached_greedy_and_sampled():
    model = make_model(seed=1)
    ids, mask = left_padded_prompts()
    a = generate(model, ids, mask, 12, temperature=0.0, use_cache=True)
    b = generate(model, ids, mask, 12, temperature=0.0, use_cache=False)
    assert torch.equal(a.sequences, b.sequences)
    torch.testing.assert_close(a.logprobs, b.logprobs, rtol=1e-5, atol=1e-5)
    # Same generator seed -> same sampled tokens, with temperature and top-k.
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    a = generate(model, ids, mask, 12, temperature=0.8, top_k=5, use_cache=True, generator=g1)
    b = generate(model, ids, mask, 12, temperature=0.8, top_k=5, use_cache=False, generator=g2)
    assert torch.equal(a.sequences, b.sequences)


def test_rollout_logprobs_match_token_logprobs_at_the_same_temperature():
    model = make_model(seed=2)
    ids, mask = left_padded_prompts()
    r = generate(model, ids, mask, 10, temperature=1.7, generator=torch.Generator().manual_seed(0))
    recomputed = token_logprobs(model, r.sequences, r.attention_mask, temperature=1.7)[:, r.prompt_len - 1 :]
    torch.testing.assert_close(recomputed * r.response_mask, r.logprobs, rtol=1e-5, atol=1e-5)


def test_stop_tokens_mask_and_early_exit():
    model = make_model(seed=3)
    ids, mask = left_padded_prompts()
    r = generate(model, ids, mask, 20, temperature=0.0, stop_ids=[])
    first = r.responses[:, 0].tolist()  # whatever greedy picks first in each row: stop on those
    r = generate(model, ids, mask, 20, temperature=0.0, stop_ids=set(first))
    assert r.response_mask.shape[1] == 1  # everyone stopped at step 1 -> loop ended
    assert r.response_mask.tolist() == [[1], [1], [1]]  # the stop token itself is included
    # A stop id seen only in some rows: those rows get pad + mask 0 afterwards.
    r_all = generate(model, ids, mask, 8, temperature=0.0)
    stop = int(r_all.responses[0, 2])
    r = generate(model, ids, mask, 8, temperature=0.0, stop_ids=[stop], pad_id=0)
    for row in range(3):
        toks = r_all.responses[row].tolist()
        n = toks.index(stop) + 1 if stop in toks else 8
        assert r.response_mask[row].tolist() == [1] * n + [0] * (r.response_mask.shape[1] - n)
        assert (r.responses[row, n:] == 0).all()
        assert (r.logprobs[row, n:] == 0).all()
        assert torch.equal(r.attention_mask[row, r.prompt_len :], r.response_mask[row])


def test_selective_log_softmax_and_entropy_match_naive():
    torch.manual_seed(0)
    logits = torch.randn(3, 4, 11)
    index = torch.randint(0, 11, (3, 4))
    naive = F.log_softmax(logits, -1).gather(-1, index[..., None])[..., 0]
    p = logits.softmax(-1)
    for max_elems in (1 << 24, 50, 1):  # one chunk, 1-row chunks (4*11 = 44 logits per row), floor of 1 row
        torch.testing.assert_close(selective_log_softmax(logits, index, max_elems), naive)
        torch.testing.assert_close(entropy_from_logits(logits, max_elems), -(p * p.log()).sum(-1))
    # bf16 logits are upcast, so the result is close to the float32 answer
    close = selective_log_softmax(logits.bfloat16(), index)
    assert close.dtype == torch.float32 and (close - naive).abs().max() < 0.1


def test_inputs_embeds_equals_token_ids_and_accepts_a_prefix():
    model = make_model()
    ids = torch.tensor([[3, 4, 5, 6]])
    torch.testing.assert_close(model(None, inputs_embeds=model.tok_emb(ids)).logits, model(ids).logits)
    prefix = torch.randn(1, 3, 32)  # e.g. image features fed before the text
    out = model(None, inputs_embeds=torch.cat([prefix, model.tok_emb(ids)], 1)).logits
    assert out.shape == (1, 7, V)
    assert not torch.allclose(out[:, 3:], model(ids).logits)  # the text attends to the prefix
