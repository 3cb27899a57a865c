"""Core: tokenizer, device helpers, masks and KL estimators (hand-computed values)."""

import math

import pytest
import torch

from reference_impl.core import (
    ENV,
    POLICY,
    PROMPT,
    CharTokenizer,
    TokenBuffer,
    autocast,
    collate,
    kl_estimate,
    masked_mean,
    pad_sequences,
    pick_device,
    seed_everything,
)

torch.set_num_threads(1)


def test_tokenizer_layout_roundtrip_and_greedy_specials():
    tok = CharTokenizer("ab<c", extra_tokens=["<c", "<call>"])
    assert (tok.pad_id, tok.bos_id, tok.eos_id) == (0, 1, 2)
    assert tok.tokens[3:5] == ["<c", "<call>"]
    # "<call>" is longer than "<c", so it wins; a lone "<" stays a character.
    ids = tok.encode("a<call>b<c<")
    assert [tok.tokens[i] for i in ids] == ["a", "<call>", "b", "<c", "<"]
    assert tok.decode(ids) == "a<call>b<c<"
    text = "<bos>ab<eos><pad>"
    assert tok.decode(tok.encode(text), skip_special=True) == "ab"
    assert tok.token_id("<call>") == 4 and tok.vocab_size == len(tok.tokens)
    with pytest.raises(ValueError):
        tok.encode("z")
    with pytest.raises(KeyError):
        tok.token_id("<nope>")


def test_device_helpers_on_cpu():
    assert pick_device("cpu") == torch.device("cpu")
    assert pick_device().type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert pick_device("auto") == pick_device()
    with autocast(torch.device("cpu")):
        y = torch.nn.Linear(3, 3)(torch.ones(1, 3))
    assert y.dtype == torch.float32
    seed_everything(7)
    a = torch.rand(3)
    seed_everything(7)
    assert torch.equal(a, torch.rand(3))


def test_pad_sequences_left_and_right():
    ids, mask = pad_sequences([[5, 6], [7]], pad_value=0, side="left")
    assert ids.tolist() == [[5, 6], [0, 7]] and mask.tolist() == [[1, 1], [0, 1]]
    ids, mask = pad_sequences([[5, 6], [7]], pad_value=0, side="right")
    assert ids.tolist() == [[5, 6], [7, 0]] and mask.tolist() == [[1, 1], [1, 0]]


def test_env_tokens_leave_loss_and_denominator():
    a = TokenBuffer().add([1, 2], PROMPT).add([3, 4], POLICY).add([5, 6, 7], ENV).add([8], POLICY)
    b = TokenBuffer().add([1], PROMPT).add([9, 9], POLICY)
    batch = collate([a, b], pad_id=0)
    assert batch.input_ids.tolist() == [[1, 2, 3, 4, 5, 6, 7, 8], [1, 9, 9, 0, 0, 0, 0, 0]]
    assert batch.attention_mask.tolist() == [[1] * 8, [1, 1, 1, 0, 0, 0, 0, 0]]
    assert batch.policy_mask.tolist() == [[0, 0, 1, 1, 0, 0, 0, 1], [0, 1, 1, 0, 0, 0, 0, 0]]
    assert batch.loss_mask.shape == (2, 7)
    # A per-token loss with huge values on ENV tokens must not move the masked mean:
    # policy tokens carry 1, 2, 3 (row a) and 4, 5 (row b) -> (1+2+3+4+5) / 5 = 3.
    x = torch.full((2, 8), 1e6)
    x[0, [2, 3, 7]] = torch.tensor([1.0, 2.0, 3.0])
    x[1, [1, 2]] = torch.tensor([4.0, 5.0])
    assert masked_mean(x, batch.policy_mask).item() == pytest.approx(3.0)
    # Per row: (1+2+3)/3 = 2 and (4+5)/2 = 4.5; the 3 ENV tokens are not in row a's count.
    assert masked_mean(x, batch.policy_mask, dim=1).tolist() == pytest.approx([2.0, 4.5])


def test_kl_estimators_hand_values():
    # pi(x) = 0.5, ref(x) = 0.25  ->  log r = log 0.5 = -0.6931..., r = 0.5
    logp = torch.tensor([math.log(0.5), math.log(0.2)])
    ref = torch.tensor([math.log(0.25), math.log(0.2)])
    lr = math.log(0.5)
    assert kl_estimate(logp, ref, "k1").tolist() == pytest.approx([-lr, 0.0])  # 0.6931, 0
    assert kl_estimate(logp, ref, "k2").tolist() == pytest.approx([0.5 * lr**2, 0.0])  # 0.2402, 0
    assert kl_estimate(logp, ref, "k3").tolist() == pytest.approx([(0.5 - 1) - lr, 0.0])  # 0.1931, 0
    with pytest.raises(ValueError):
        kl_estimate(logp, ref, "k4")


def test_kl_estimators_are_unbiased_in_expectation():
    # Exact expectation over a 3-way categorical: sum_x pi(x) k(x).
    pi = torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64)
    ref = torch.tensor([0.2, 0.3, 0.5], dtype=torch.float64)
    true_kl = (pi * (pi / ref).log()).sum()
    for kind in ("k1", "k3"):
        est = (pi * kl_estimate(pi.log(), ref.log(), kind)).sum()
        assert est.item() == pytest.approx(true_kl.item(), rel=1e-12)
    assert (kl_estimate(pi.log(), ref.log(), "k3") >= 0).all()
