"""The tiny shared core of the reference implementations: device, tokenizer, policy, sampler, masks.

Everything below is re-exported here: `from reference_impl.core import TinyTransformer, generate, ...`.

Device and seeding (device.py)
    pick_device(name: str | None = None) -> torch.device      explicit name, else ("auto") cuda if available, else cpu
    autocast(device) -> context manager                       bf16 autocast on cuda, no-op on cpu
    seed_everything(seed: int) -> None                        python, numpy, torch (all devices)

Tokenizer (tokenizer.py)
    CharTokenizer(chars, extra_tokens=())                     ids: <pad>=0 <bos>=1 <eos>=2, extras, chars
        .encode(text) -> list[int]                            longest special token wins, else one char
        .decode(ids, skip_special=False) -> str               skip_special drops <pad>/<bos>/<eos> only
        .token_id(tok) -> int;  .pad_id .bos_id .eos_id .vocab_size .tokens

Policy (model.py)
    PolicyConfig(vocab_size, n_layer=2, n_head=4, n_embd=64, block_size=128, value_head=False, dropout=0.0)
    TinyTransformer(cfg)                                      pre-LN causal transformer, learned positions, tied embeddings
        .forward(idx, attention_mask=None, past_key_values=None, position_ids=None) -> PolicyOutput
            idx (B,T) new tokens; attention_mask (B, T_past+T) covers cached tokens too;
            positions = cumsum(mask)-1, so left padding is harmless.
    PolicyOutput(logits (B,T,V), values (B,T) | None, past_key_values)   a NamedTuple

Sampling (sampling.py)
    generate(model, prompt_ids, prompt_mask, max_new_tokens, temperature=1.0, top_k=None,
             stop_ids=None, use_cache=True, generator=None, pad_id=0) -> Rollout
        prompts LEFT-padded; temperature <= 0 is greedy; stops early when every row has stopped.
        stopping=callable((B,T) ids) -> (B,) bool also stops rows (e.g. HFTokenizer.stop_on([...]));
        positions cumsum(mask)-1 are passed to the model; check_every: host reads of "all stopped".
    Rollout(sequences (B,P+N), attention_mask (B,P+N), response_mask (B,N), logprobs (B,N))
        response_mask: 1 for generated tokens up to and including the first stop token.
        logprobs: log softmax(logits / temperature)[token] (no top-k; greedy records T=1), 0 where masked.
        .prompt_len, .responses
    token_logprobs(model, input_ids, attention_mask=None, return_entropy=False, temperature=1.0)
        -> (B,T-1) log p(x_t | x_<t) for t=1..T-1  [, entropy (B,T-1)]
    selective_log_softmax(logits, index) -> log_softmax(logits) gathered at index, row by row
    entropy_from_logits(logits) -> (...,) entropy of each categorical

Masks (masks.py)
    Role (IntEnum PROMPT=0, POLICY=1, ENV=2); PROMPT, POLICY, ENV; PAD_ROLE = -1
    TokenBuffer().add(ids, role) -> self;  .ids .roles .policy_mask
    collate(buffers, pad_id, side="right", device=None) -> Batch(input_ids, attention_mask, roles, policy_mask)
        Batch.loss_mask = policy_mask[:, 1:], aligned with token_logprobs
    pad_sequences(seqs, pad_value, side="left", device=None) -> (ids (B,T), mask (B,T))
    masked_sum(x, mask, dim=None), masked_mean(x, mask, dim=None)
    ENV tokens have policy_mask 0: they are excluded from the loss and from its token counts.

Reference policy and KL (reference.py)
    frozen_copy(model) -> model                               deep copy, eval mode, requires_grad False
    kl_estimate(logp, ref_logp, kind="k3") -> per-token KL(pi||ref) estimate, kind in k1 | k2 | k3
"""

from reference_impl.core.device import autocast, pick_device, seed_everything
from reference_impl.core.masks import (
    ENV,
    PAD_ROLE,
    POLICY,
    PROMPT,
    Batch,
    Role,
    TokenBuffer,
    collate,
    masked_mean,
    masked_sum,
    pad_sequences,
)
from reference_impl.core.model import PolicyConfig, PolicyOutput, TinyTransformer
from reference_impl.core.reference import frozen_copy, kl_estimate
from reference_impl.core.sampling import (
    Rollout,
    entropy_from_logits,
    generate,
    selective_log_softmax,
    token_logprobs,
)
from reference_impl.core.tokenizer import CharTokenizer

__all__ = [
    "pick_device", "autocast", "seed_everything",
    "CharTokenizer",
    "PolicyConfig", "PolicyOutput", "TinyTransformer",
    "Rollout", "generate", "token_logprobs", "selective_log_softmax", "entropy_from_logits",
    "Role", "PROMPT", "POLICY", "ENV", "PAD_ROLE", "TokenBuffer", "Batch", "collate", "pad_sequences",
    "masked_sum", "masked_mean",
    "frozen_copy", "kl_estimate",
]
