"""`generate` reads "has every row stopped?" from the device only every k steps; the result must not change."""

import pytest
import torch

from reference_impl.core import PolicyConfig, TinyTransformer, generate, pad_sequences

torch.set_num_threads(1)


@pytest.mark.parametrize("check_every", [2, 3, 8, 64])
def test_sparse_stop_checks_give_the_same_rollout(check_every):
    torch.manual_seed(0)
    model = TinyTransformer(PolicyConfig(vocab_size=9, n_layer=1, n_embd=32, block_size=64))
    ids, mask = pad_sequences([[1, 3, 4], [1, 5], [1, 6, 7, 8]], pad_value=0, side="left")
    kw = dict(max_new_tokens=40, temperature=1.0, stop_ids=[2, 3])
    every = generate(model, ids, mask, generator=torch.Generator().manual_seed(5), check_every=1, **kw)
    sparse = generate(model, ids, mask, generator=torch.Generator().manual_seed(5), check_every=check_every, **kw)
    assert every.response_mask.shape[1] < 40  # the rows did stop early
    for name in ("sequences", "attention_mask", "response_mask", "logprobs"):
        torch.testing.assert_close(getattr(sparse, name), getattr(every, name))
