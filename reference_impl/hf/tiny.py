"""A tiny, randomly initialised model of a real architecture (Qwen2) and a tokenizer built on this machine.

The tests and every `--quick --policy hf` run use it instead of a hub download. Both halves are written with
`save_pretrained` into a folder and read back by the caller through `AutoTokenizer.from_pretrained` /
`AutoModelForCausalLM.from_pretrained`: the code path a hub model such as Qwen/Qwen2.5-0.5B-Instruct takes.

Tokenizer. A byte-level BPE trained with the `tokenizers` library on a small fixed corpus (below), with the
pre-tokenisation regex of Qwen2 (digits split one by one, punctuation runs kept together) and Qwen's special
tokens: `<|endoftext|>` (padding), `<|im_start|>`, `<|im_end|>` (end of a turn, the eos), `<tool_call>` and
`</tool_call>`. Like Qwen's, it has no bos token and carries a ChatML chat template. Its merges are real (the
corpus makes words and some punctuation pairs single tokens), so a script that assumes one token per character
fails with it exactly as it would with a hub tokenizer.

Model. `Qwen2ForCausalLM` with `n_layer` layers of width `n_embd`, 4 query heads sharing 2 key/value heads
(grouped-query attention, as in Qwen2.5), SwiGLU width 4 * n_embd, tied embeddings, rotary positions.
"""

from __future__ import annotations

from pathlib import Path

# The pre-tokenisation pattern of Qwen2's tokenizer (transformers' tokenization_qwen2.PRETOKENIZE_REGEX).
QWEN2_PATTERN = (r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"""
                 r"""|\s*[\r\n]+|\s+(?!\S)|\s+""")
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]
VOCAB_SIZE = 512

# ChatML, the format Qwen2.5 uses (without its default system prompt and tool block).
CHAT_TEMPLATE = (
    "{%- for message in messages %}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
    "{%- endfor %}"
    "{%- if add_generation_prompt %}{{- '<|im_start|>assistant\\n' }}{%- endif %}"
)

# A fixed training corpus for the BPE merges: sentences in the style of the tasks' prompts, the answer and
# tool-call formats, and some plain English. Changing it changes the tokenizer (and so the quick runs).
_CORPUS = [
    "What is 7+5? Think step by step, then give the final answer as <answer>12</answer>.",
    "Use the numbers 3, 7, 25 and 50 to reach 82. Each number once: <answer>50+25+7</answer>",
    'To multiply, call the calculator: <tool_call>{"name": "calculator", "arguments": {"expression": "23*17"}}</tool_call>',
    "The tool returned 391, so the answer is 391.",
    "Remember the key and the value; the question comes at the end of the document.",
    "The agent reads the observation, chooses an action, and receives a reward from the environment.",
    "Search the corpus for the passage that answers the question, then answer in one word.",
    "A policy is trained with reinforcement learning to solve the task.",
    "user assistant system tool answer question number result document memory plan move left right up down",
]


def build_tokenizer(folder: str | Path):
    """Train the tokenizer, save it into `folder` with `save_pretrained`, and return the in-memory object."""
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.BPE())
    tk.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tk.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL_TOKENS, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tk.train_from_iterator(_CORPUS * 20, trainer)
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token="<|im_end|>", pad_token="<|endoftext|>",
                                  additional_special_tokens=SPECIAL_TOKENS[1:], model_max_length=4096)
    tok.chat_template = CHAT_TEMPLATE
    tok.save_pretrained(str(folder))
    return tok


def build_model(folder: str | Path, vocab_size: int, n_layer: int = 2, n_embd: int = 64, max_positions: int = 512):
    """A randomly initialised Qwen2 (torch's global generator draws the weights), saved into `folder`."""
    from transformers import Qwen2Config, Qwen2ForCausalLM
    from transformers.utils import logging

    logging.disable_progress_bar()
    n_head = 4
    if n_embd % n_head:
        raise ValueError(f"n_embd must be a multiple of {n_head}, got {n_embd}")
    config = Qwen2Config(vocab_size=vocab_size, hidden_size=n_embd, intermediate_size=4 * n_embd,
                         num_hidden_layers=n_layer, num_attention_heads=n_head, num_key_value_heads=2,
                         max_position_embeddings=max(max_positions, 64), tie_word_embeddings=True,
                         rms_norm_eps=1e-6, initializer_range=0.02, bos_token_id=None, eos_token_id=None,
                         pad_token_id=None)
    model = Qwen2ForCausalLM(config)
    model.save_pretrained(str(folder))
    return model
