"""A character tokenizer with a few multi-character special tokens.

Ids are laid out as: `<pad>`=0, `<bos>`=1, `<eos>`=2, then `extra_tokens` in the order given,
then the characters. While encoding, the longest special token that starts at the current
position wins; otherwise one character becomes one token.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"


class CharTokenizer:
    def __init__(self, chars: Iterable[str], extra_tokens: Sequence[str] = ()) -> None:
        specials = [PAD, BOS, EOS] + [t for t in extra_tokens if t not in (PAD, BOS, EOS)]
        chars = [c for c in dict.fromkeys(chars)]  # de-duplicate, keep order
        for c in chars:
            if len(c) != 1:
                raise ValueError(f"chars must be single characters, got {c!r}; put it in extra_tokens")
        self.tokens: list[str] = list(dict.fromkeys(specials)) + [c for c in chars if c not in specials]
        self._id = {t: i for i, t in enumerate(self.tokens)}
        # Multi-character tokens, longest first, for greedy matching.
        self._multi = sorted((t for t in self.tokens if len(t) > 1), key=len, reverse=True)
        self.pad_id, self.bos_id, self.eos_id = self._id[PAD], self._id[BOS], self._id[EOS]

    @property
    def vocab_size(self) -> int:
        return len(self.tokens)

    def token_id(self, tok: str) -> int:
        """The id of one token (a character or a special token); KeyError when unknown."""
        try:
            return self._id[tok]
        except KeyError:
            raise KeyError(f"unknown token {tok!r}") from None

    def encode(self, text: str) -> list[int]:
        """Text to ids. No `<bos>`/`<eos>` is added. Unknown characters raise ValueError."""
        ids, i = [], 0
        while i < len(text):
            for tok in self._multi:
                if text.startswith(tok, i):
                    ids.append(self._id[tok])
                    i += len(tok)
                    break
            else:
                ch = text[i]
                if ch not in self._id:
                    raise ValueError(f"character {ch!r} at position {i} is not in the vocabulary")
                ids.append(self._id[ch])
                i += 1
        return ids

    def decode(self, ids: Iterable[int], skip_special: bool = False) -> str:
        """Ids to text. `skip_special` drops `<pad>`, `<bos>` and `<eos>` (extra tokens such as
        `<call>` are content and always kept)."""
        skip = {self.pad_id, self.bos_id, self.eos_id} if skip_special else set()
        return "".join(self.tokens[int(i)] for i in ids if int(i) not in skip)

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"CharTokenizer(vocab_size={self.vocab_size}, specials={self._multi})"
