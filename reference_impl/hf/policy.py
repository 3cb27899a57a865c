"""A Hugging Face causal LM behind the interface the scripts already call (one adapter, no hierarchy).

    tok = HFTokenizer(AutoTokenizer.from_pretrained(src), chars="0123456789+=")
    model = HFPolicy(AutoModelForCausalLM.from_pretrained(src))
    generate(model, ids, mask, 16, stop_ids=[tok.eos_id], stopping=tok.stop_on(["</answer>"]))

`HFTokenizer` has what the scripts use of `core.CharTokenizer`: encode, decode, pad_id, bos_id, eos_id,
vocab_size, token_id, tokens; plus `chat` (the model's chat template) and `stop_on` (stop strings).
`HFPolicy` is called like `core.TinyTransformer`: forward(idx, attention_mask, past_key_values, position_ids,
inputs_embeds) -> PolicyOutput(logits, None, past_key_values), so `core.generate`, `core.token_logprobs`,
the objectives, role masks and token buffers work on it unchanged.

Three things a left-padded, cached HF forward needs and gets here:
  * positions: p_t = (number of real tokens before t), i.e. cumsum(attention_mask) - 1, for the new tokens
    only when a cache is passed. HF's default (0, 1, 2, ... counting pads) would shift every left-padded row.
  * a cache: a `DynamicCache` is made whenever no gradient is being recorded (sampling, old/reference
    log-probs) or a cache is passed in; with gradients on (training) none is kept, which is also what
    gradient checkpointing requires.
  * the mask over cached + new tokens, passed as is (HF builds the causal, padding-aware 4-d mask).

One token per character. Toy tasks whose scripts place one token per action (planning, long-horizon,
perception) or stop on one character (the calculator's ']') pass their character set: every character of it
must then be a single token of the model's vocabulary (true of ASCII in byte-level BPE vocabularies such as
Qwen's), and `encode` maps text character by character. Without `chars`, `encode` is the tokenizer's own BPE.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Iterable, Sequence

import torch
from torch import nn

from reference_impl.core.model import PolicyOutput


class _TokenView:
    """tokens[i] -> the text of token i (what `CharTokenizer.tokens[i]` gives for a character tokenizer); ids past
    the tokenizer, which a model with padded embedding rows can still sample, read as ""."""

    def __init__(self, tok: "HFTokenizer") -> None:
        self._tok = tok

    @functools.lru_cache(maxsize=None)
    def __getitem__(self, i: int) -> str:
        return self._tok.decode([int(i)])

    def __len__(self) -> int:
        return self._tok.vocab_size

    def __iter__(self):
        return (self[i] for i in range(len(self)))


class HFTokenizer:
    def __init__(self, tokenizer, chars: Iterable[str] | None = None) -> None:
        self.hf = tokenizer
        self.source = getattr(tokenizer, "name_or_path", "")
        vocab = tokenizer.get_vocab()
        self.eos_id = tokenizer.eos_token_id
        if self.eos_id is None:
            raise ValueError(f"tokenizer {self.source!r} has no eos token")
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else self.eos_id
        # Qwen-style tokenizers have no bos token; a sequence then opens with <|im_start|>, as a chat turn does.
        self.bos_id = tokenizer.bos_token_id
        if self.bos_id is None:
            self.bos_id = vocab.get("<|im_start|>", self.pad_id)
        self._char_ids: dict[str, int] | None = None
        if chars is not None:
            self._char_ids = {}
            for c in dict.fromkeys(chars):
                ids = self._bpe(c)
                if len(ids) != 1:
                    raise ValueError(f"character {c!r} is {len(ids)} tokens in {self.source!r}; "
                                     "one token per character needs single-token characters")
                self._char_ids[c] = ids[0]
        self.tokens = _TokenView(self)

    @property
    def vocab_size(self) -> int:
        return len(self.hf)

    def _bpe(self, text: str) -> list[int]:
        return list(self.hf.encode(text, add_special_tokens=False))

    def encode(self, text: str) -> list[int]:
        """Text to ids, no special tokens added: one token per character when built with `chars`, else BPE."""
        if self._char_ids is None:
            return self._bpe(text)
        out = []
        for c in text:
            out.extend([self._char_ids[c]] if c in self._char_ids else self._bpe(c))
        return out

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        """Ids to text; `skip_special` drops the tokenizer's special tokens. Ids beyond the tokenizer (a model's
        padded embedding rows) decode to nothing."""
        ids = [int(i) for i in ids if 0 <= int(i) < self.vocab_size]
        return self.hf.decode(ids, skip_special_tokens=skip_special, clean_up_tokenization_spaces=False)

    def token_id(self, tok: str) -> int:
        """The id of a text that is exactly one token (a character, or a special token such as <|im_end|>)."""
        if self._char_ids and tok in self._char_ids:
            return self._char_ids[tok]
        special = self.hf.convert_tokens_to_ids(tok)
        if isinstance(special, int) and special != self.hf.unk_token_id and tok in self.hf.all_special_tokens:
            return special
        ids = self._bpe(tok)
        if len(ids) != 1:
            raise KeyError(f"{tok!r} is not a single token of {self.source!r} (it encodes to {ids})")
        return ids[0]

    def chat(self, messages: Sequence[dict], tools: list | None = None) -> list[int]:
        """Prompt ids through the model's chat template, ending with the opening of the assistant's turn."""
        text = self.hf.apply_chat_template(list(messages), tools=tools, add_generation_prompt=True, tokenize=False)
        return self._bpe(text)

    def stop_on(self, strings: Sequence[str]):
        """A `stopping` callable for `core.generate`: (B, T) ids -> (B,) True where the text now ends with one of
        `strings`, however the tokens split it (transformers' StopStringCriteria, pure tensor ops)."""
        from transformers import StopStringCriteria

        criteria = StopStringCriteria(self.hf, list(strings))
        return lambda ids: criteria(ids, None)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        mode = "one token per character" if self._char_ids is not None else "BPE"
        return f"HFTokenizer({self.source!r}, vocab_size={self.vocab_size}, {mode})"


class HFPolicy(nn.Module):
    """Wraps an `AutoModelForCausalLM` (optionally a peft model) as a `TinyTransformer`-style policy."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.hf = model
        base = model.get_base_model() if hasattr(model, "get_base_model") else model
        # transformers >= 5.2x names the cache argument `cache`; earlier versions `past_key_values`.
        self._cache_kw = "cache" if "cache" in inspect.signature(type(base).forward).parameters else "past_key_values"
        self.train()  # from_pretrained returns eval mode; the scripts expect a module in training mode

    @property
    def config(self):
        return self.hf.config

    @property
    def tok_emb(self) -> nn.Module:
        """The input embedding, as `TinyTransformer.tok_emb` (used to build image-prefixed inputs)."""
        return self.hf.get_input_embeddings()

    def num_params(self) -> int:
        return sum(p.numel() for p in self.parameters())

    def forward(self, idx: torch.Tensor | None, attention_mask: torch.Tensor | None = None, past_key_values=None,
                position_ids: torch.Tensor | None = None, inputs_embeds: torch.Tensor | None = None) -> PolicyOutput:
        from transformers import DynamicCache

        x = idx if idx is not None else inputs_embeds
        B, T = x.shape[:2]
        use_cache = past_key_values is not None or not torch.is_grad_enabled()
        if use_cache and past_key_values is None:
            past_key_values = DynamicCache(config=self.hf.config)
        past_len = past_key_values.get_seq_length() if past_key_values is not None else 0
        if attention_mask is not None and attention_mask.shape != (B, past_len + T):
            raise ValueError(f"attention_mask must be (B, past+T) = {(B, past_len + T)}, got {tuple(attention_mask.shape)}")
        if position_ids is None and attention_mask is not None:  # p_t = real tokens before t
            position_ids = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)[:, past_len:]
        out = self.hf(input_ids=idx, inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                      position_ids=position_ids, use_cache=use_cache, **{self._cache_kw: past_key_values})
        return PolicyOutput(out.logits, None, past_key_values)  # DynamicCache grows in place


def load_model(source: str, device: torch.device | str = "cpu", lora_rank: int = 0,
               gradient_checkpointing: bool = False) -> HFPolicy:
    """The policy from a hub id or a folder, through `AutoModelForCausalLM.from_pretrained`.

    On cuda: with LoRA the frozen base weights are stored in bf16 and the adapters in fp32; without LoRA all
    weights stay fp32 (AdamW updates of ~1e-6 vanish in bf16) and the scripts' `core.autocast` runs the
    matmuls in bf16. Gradient checkpointing is switched on only on cuda, where memory is the limit."""
    from transformers import AutoModelForCausalLM
    from transformers.utils import logging

    logging.disable_progress_bar()
    device = torch.device(device)
    dtype = torch.bfloat16 if (device.type == "cuda" and lora_rank > 0) else torch.float32
    model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype, attn_implementation="sdpa")
    if gradient_checkpointing and device.type == "cuda":
        if hasattr(model, "activation_checkpointing_enable"):  # the name in transformers >= 5.2x
            model.activation_checkpointing_enable({"use_reentrant": False})
        else:
            model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    if lora_rank > 0:
        from peft import LoraConfig, get_peft_model

        model.enable_input_require_grads()  # lets gradient checkpointing reach the adapters
        model = get_peft_model(model, LoraConfig(r=lora_rank, lora_alpha=2 * lora_rank, lora_dropout=0.0,
                                                 target_modules="all-linear", task_type="CAUSAL_LM"))
        for p in model.parameters():
            if p.requires_grad:
                p.data = p.data.float()
    return HFPolicy(model).to(device)


def load(source: str, device: torch.device | str = "cpu", chars: Iterable[str] | None = None,
         **model_kwargs) -> tuple[HFTokenizer, HFPolicy]:
    """Tokenizer and policy of one hub id or folder (`model_kwargs` go to `load_model`)."""
    from transformers import AutoTokenizer

    return HFTokenizer(AutoTokenizer.from_pretrained(source), chars=chars), load_model(source, device, **model_kwargs)
