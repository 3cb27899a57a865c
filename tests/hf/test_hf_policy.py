"""The Hugging Face policy adapter: a tiny random Qwen2 and a locally trained tokenizer, loaded back through
from_pretrained, driven by the same sampler, log-prob and loss code as the tiny character policy."""

from dataclasses import dataclass

import pytest
import torch

pytest.importorskip("transformers", reason="the `llm` extra is not installed")

from reference_impl.core import (POLICY, PROMPT, CharTokenizer, PolicyOutput, TokenBuffer, collate, generate,
                                 pad_sequences, token_logprobs)
from reference_impl.hf import PolicyFlags, build_model, build_tokenizer, policy_record
from reference_impl.objectives import grpo

torch.set_num_threads(1)
CHARS = "0123456789+=[]{}*?"


@dataclass
class Cfg(PolicyFlags):
    quick: bool = True
    device: str = "cpu"


@pytest.fixture(scope="module")
def hf():
    cfg = Cfg(policy="hf")
    tok = build_tokenizer(cfg, CHARS)
    torch.manual_seed(0)
    model = build_model(cfg, tok, n_layer=2, n_embd=64, block_size=64).eval()
    return tok, model


def test_built_through_from_pretrained(hf):
    tok, model = hf
    assert type(model.hf).__name__ == "Qwen2ForCausalLM" and model.config.num_hidden_layers == 2
    assert type(tok.hf).__name__ != "PreTrainedTokenizerFast"  # reloaded by AutoTokenizer as a Qwen2 tokenizer
    assert policy_record(Cfg(policy="hf")) == {"policy": "hf", "model": "tiny-qwen2"}
    assert policy_record(Cfg(policy="hf", quick=False))["model"] == "Qwen/Qwen2.5-0.5B-Instruct"


def test_tokenizer_one_token_per_character_and_bpe(hf):
    tok, _ = hf
    text = "23*17?[23*17]{391}=391"
    ids = tok.encode(text)
    assert len(ids) == len(text) and tok.decode(ids) == text
    assert [tok.tokens[i] for i in ids] == list(text)
    assert tok.tokens[tok.vocab_size + 7] == "" and len(list(tok.tokens)) == tok.vocab_size  # padded rows, iteration
    bpe = tok.hf.encode("the answer is 391", add_special_tokens=False)
    assert len(bpe) < len("the answer is 391")  # the tokenizer has real merges
    assert tok.token_id("]") == tok.encode("]")[0] and tok.token_id("<|im_end|>") == tok.eos_id
    with pytest.raises(KeyError):
        tok.token_id("12")
    assert len({tok.pad_id, tok.bos_id, tok.eos_id}) == 3
    assert tok.decode([tok.bos_id] + ids + [tok.eos_id, 10**7], skip_special=True) == text
    assert tok.decode(tok.chat([{"role": "user", "content": "7+5?"}])).endswith("<|im_start|>assistant\n")


@pytest.fixture(scope="module")
def gpt2(hf, tmp_path_factory):
    """A tiny random GPT-2 (learned absolute positions) loaded through the same adapter."""
    from transformers import GPT2Config, GPT2LMHeadModel

    from reference_impl.hf.policy import load_model

    folder = tmp_path_factory.mktemp("gpt2")
    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(vocab_size=hf[0].vocab_size, n_layer=2, n_head=4, n_embd=64, n_positions=64)).save_pretrained(folder)
    return load_model(str(folder)).eval()


@pytest.mark.parametrize("arch", ["qwen2", "gpt2"])
def test_left_padding_gives_the_unpadded_logits(hf, gpt2, arch):
    """A left-padded row gives the logits of the same row alone. With absolute positions (GPT-2) that needs the
    adapter's positions: HF's default counts the pads. Rotary positions (Qwen2) are relative, so there a
    constant shift is harmless as long as prefill and cached steps agree, which `generate` guarantees."""
    tok, model = hf
    model = model if arch == "qwen2" else gpt2
    rows = [[tok.bos_id] + tok.encode("12+35="), [tok.bos_id] + tok.encode("7+5=")]
    ids, mask = pad_sequences(rows, tok.pad_id, side="left")
    with torch.no_grad():
        padded = model(ids, attention_mask=mask).logits[1, -len(rows[1]):]
        alone = model(torch.tensor([rows[1]])).logits[0]
        raw = model.hf(input_ids=ids, attention_mask=mask).logits[1, -len(rows[1]):]
    torch.testing.assert_close(padded, alone, rtol=1e-4, atol=1e-5)
    if arch == "gpt2":
        assert (raw - alone).abs().max() > 1e-3


@pytest.mark.parametrize("arch", ["qwen2", "gpt2"])
def test_cached_left_padded_generation_matches_one_unpadded_forward(hf, gpt2, arch):
    """The log-probs recorded while sampling (left padding, KV cache, explicit positions) equal those of one
    forward pass over each row alone, without padding or cache."""
    tok, model = hf
    model = model if arch == "qwen2" else gpt2
    rows = [[tok.bos_id] + tok.encode(q) for q in ("12+35=", "7+5=", "1+2+3+4=")]
    ids, mask = pad_sequences(rows, tok.pad_id, side="left")
    ro = generate(model, ids, mask, 12, stop_ids=[tok.eos_id], pad_id=tok.pad_id,
                  generator=torch.Generator().manual_seed(3))
    assert ro.response_mask.sum() > 0
    for i, row in enumerate(rows):
        resp = ro.responses[i][ro.response_mask[i].bool()].tolist()
        with torch.no_grad():
            alone = token_logprobs(model, torch.tensor([row + resp]))[0, len(row) - 1:]
        torch.testing.assert_close(ro.logprobs[i, : len(resp)], alone, rtol=1e-4, atol=1e-5)


def test_same_batch_same_loss_through_tiny_and_hf_paths(hf):
    """Token buffers, role masks and the GRPO objective are shared: the same episodes, tokenised by the
    character tokenizer and by the HF adapter, give the same loss mask and, given the same log-probs, the same
    loss and gradient."""
    tok, _ = hf
    char = CharTokenizer(CHARS)
    episodes = [("7+5=", "=12"), ("3+4=", "=8"), ("12+35=", "47"), ("9+9=", "=18")]

    def batch(t):
        return collate([TokenBuffer().add([t.bos_id] + t.encode(q), PROMPT).add(t.encode(r) + [t.eos_id], POLICY)
                        for q, r in episodes], t.pad_id)

    b_tiny, b_hf = batch(char), batch(tok)
    assert torch.equal(b_tiny.loss_mask, b_hf.loss_mask)
    torch.manual_seed(0)
    old = -torch.rand(b_hf.loss_mask.shape)
    adv = grpo.group_advantages(torch.tensor([1.0, 0.0, 0.1, 1.0]), 2)
    losses, grads = [], []
    for b in (b_tiny, b_hf):
        logp = (old + 0.05 * torch.randn(old.shape, generator=torch.Generator().manual_seed(1))).requires_grad_()
        loss, _ = grpo.grpo_loss(logp, old, adv, b.loss_mask.float(), 0.2, mode="grpo")
        loss.backward()
        losses.append(loss.detach()), grads.append(logp.grad)
    torch.testing.assert_close(losses[0], losses[1])
    torch.testing.assert_close(grads[0], grads[1])


class Scripted(torch.nn.Module):
    """A stand-in policy that emits fixed token scripts (greedy), to test stopping and multi-turn rollouts without
    training: the k-th call of `generate` plays scripts[k] (the last one again once they run out)."""

    def __init__(self, scripts, vocab):
        super().__init__()
        self.scripts, self.vocab, self.prompt_len, self.calls = scripts, vocab, None, 0

    def forward(self, idx, attention_mask=None, past_key_values=None, position_ids=None):
        if past_key_values is None:  # the prefill of a new generate call
            self.prompt_len, self.calls = attention_mask.shape[1], self.calls + 1
        script = self.scripts[min(self.calls, len(self.scripts)) - 1]
        t = attention_mask.shape[1] - self.prompt_len
        logits = torch.zeros(idx.shape[0], idx.shape[1], self.vocab)
        logits[:, -1, script[min(t, len(script) - 1)]] = 1e4  # certain even when sampled at temperature 1
        return PolicyOutput(logits, None, ())


def test_stop_string_split_across_bpe_tokens(hf):
    tok, _ = hf
    script = tok.hf.encode("so <answer>12</answer> and more", add_special_tokens=False)
    end = tok.hf.encode("so <answer>12</answer>", add_special_tokens=False)
    assert any("</" in tok.tokens[i] and tok.tokens[i] != "</answer>" for i in script)  # the stop is split
    model = Scripted([script], tok.vocab_size)
    ids, mask = pad_sequences([[tok.bos_id]], tok.pad_id)
    ro = generate(model, ids, mask, 20, temperature=0.0, stopping=tok.stop_on(["</answer>"]))
    assert tok.decode(ro.responses[0]) == "so <answer>12</answer>" and ro.response_mask.sum() == len(end)
    ro = generate(model, ids, mask, 20, temperature=0.0)
    assert ro.response_mask.sum() == 20


def test_lora_trains_only_the_adapters(hf):
    pytest.importorskip("peft")
    tok, model = hf
    cfg = Cfg(policy="hf", lora_rank=4)
    lora = build_model(cfg, tok, n_layer=2, n_embd=64, block_size=64)
    trainable = [n for n, p in lora.named_parameters() if p.requires_grad]
    assert trainable and all("lora_" in n for n in trainable)
    ids = torch.tensor([[tok.bos_id] + tok.encode("7+5=12")])
    loss = -token_logprobs(lora, ids).mean()
    loss.backward()
    assert all(p.grad is not None for p in lora.parameters() if p.requires_grad)
