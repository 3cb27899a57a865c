"""Search-style tool use over a small retrieval corpus (in the manner of Search-R1), for pretrained models.

The corpus is a few hundred one-sentence passages about invented towns, rivers and people, written from
templates by `make_corpus` (so no model can know the answers beforehand, and nothing is copied from anywhere).
A question asks for one attribute of one entity; some questions need two hops (the river of the town where a
person was born). The agent may search several times before answering:

    question   "In which year was the town of Varnel founded? ..."           (observation at reset)
    search     "... <search>Varnel founded</search>"                          (an action ending a search)
    results    "<information>1. The town of Varnel was founded in 1421. ...</information>"   (appended)
    answer     "... <answer>1421</answer>"                                    (an action that ends the episode)

A search may also be written in a chat model's tool-call format,
<tool_call>{"name": "search", "arguments": {"query": "Varnel founded"}}</tool_call>, answered the same way.
Retrieval ranks passages by how many distinct query words (lower-cased, stop words dropped) they contain, ties
broken by corpus order, and returns the top `top_k`.

Reward: 1 when the normalised answer (lower-case, no punctuation or articles) equals the truth, 0 otherwise;
a search beyond `max_searches` ends the episode with 0. Any text is accepted and `step` never raises.
"""

from __future__ import annotations

import random
import re
import string

import gymnasium as gym
from gymnasium import spaces

from reference_impl.envs.text import tagged, tool_call

STOP = frozenset("a an the of in on at to is was were which what who where when did does do by and or for with "
                 "from as that this it its into year town river person".split())
_SEARCH = re.compile(r"<search>(.*?)</search>", re.DOTALL)
_SYLLABLES = ["var", "nel", "bras", "ko", "lin", "dor", "ath", "mer", "iso", "quen", "tal", "bri", "ost", "ule", "fen",
              "gar", "rho", "sil", "dun", "ema", "cor", "vik", "and", "pel"]
_TRADES = ["weaver", "clockmaker", "cartographer", "glassblower", "astronomer", "luthier", "printer", "surveyor"]


def _name(rng: random.Random, used: set) -> str:
    while True:
        name = "".join(rng.sample(_SYLLABLES, rng.choice((2, 3)))).capitalize()
        if name not in used:
            used.add(name)
            return name


def make_corpus(n_towns: int = 40, seed: int = 0) -> tuple[list[str], list[dict]]:
    """(passages, questions): each question is {"question", "answer", "hops"}."""
    rng, used = random.Random(seed), set()
    rivers = [_name(rng, used) for _ in range(max(4, n_towns // 4))]
    passages, questions = [], []
    for _ in range(n_towns):
        town, river, year = _name(rng, used), rng.choice(rivers), rng.randint(1100, 1899)
        person, trade = _name(rng, used), rng.choice(_TRADES)
        passages += [f"The town of {town} was founded in {year}.",
                     f"The river {river} flows through the town of {town}.",
                     f"{person}, a {trade}, was born in the town of {town}."]
        questions += [{"question": f"In which year was the town of {town} founded?", "answer": str(year), "hops": 1},
                      {"question": f"What was the trade of {person}?", "answer": trade, "hops": 1},
                      {"question": f"Which river flows through the town where {person} was born?", "answer": river,
                       "hops": 2}]
    order = list(range(len(passages)))
    rng.shuffle(order)
    return [passages[i] for i in order], questions


def words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOP}


def retrieve(corpus: list[str], query: str, top_k: int = 2) -> list[str]:
    """The `top_k` passages sharing the most distinct query words with the query (corpus order breaks ties)."""
    q = words(query)
    scored = sorted(range(len(corpus)), key=lambda i: (-len(q & words(corpus[i])), i))
    return [corpus[i] for i in scored[:top_k] if q & words(corpus[i])]


def normalise(text: str) -> str:
    text = "".join(c for c in text.lower() if c not in string.punctuation)
    return " ".join(w for w in text.split() if w not in ("a", "an", "the"))


class SearchEnv(gym.Env):
    """Multi-step: each step takes one segment of the agent's text (a search, or the final answer)."""

    metadata = {"render_modes": ["ansi"], "render_fps": 1}

    def __init__(self, n_towns: int = 40, corpus_seed: int = 0, top_k: int = 2, max_searches: int = 3,
                 render_mode: str | None = None):
        self.corpus, self.questions = make_corpus(n_towns, corpus_seed)
        self.top_k, self.max_searches, self.render_mode = top_k, max_searches, render_mode
        self.observation_space = spaces.Text(max_length=4096, min_length=1, charset=string.printable)
        self.action_space = spaces.Text(max_length=1024, min_length=0, charset=string.printable)
        self.item, self.transcript, self.n_searches = self.questions[0], "", 0

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)
        index = (options or {}).get("question")
        self.item = self.questions[int(self.np_random.integers(len(self.questions)) if index is None else index)]
        self.transcript = (self.item["question"] + " Search with <search>words</search>, answer with "
                           "<answer>...</answer>.")
        self.n_searches = 0
        return self.transcript, {"hops": self.item["hops"]}

    def _query(self, text: str) -> str | None:
        found = _SEARCH.findall(text)
        if found:
            return found[-1].strip()
        call = tool_call(text)
        if call and call[0] == "search" and isinstance(call[1].get("query"), str):
            return call[1]["query"]
        return None

    def step(self, action: str):
        text = "".join(c if c in string.printable else "?" for c in str(action))
        answer = tagged(text)
        query = None if answer is not None else self._query(text)
        if query is not None:
            self.n_searches += 1
            found = retrieve(self.corpus, query, self.top_k)
            result = "<information>" + " ".join(f"{i + 1}. {p}" for i, p in enumerate(found)) + "</information>"
            self.transcript = (self.transcript + text + result)[-self.observation_space.max_length:]
            if self.n_searches > self.max_searches:
                return self.transcript, 0.0, True, False, {"search": True, "verdict": "too many searches",
                                                           "correct": False}
            info = {"search": True, "results": found, "appended": result, "verdict": "searched"}
            return self.transcript, 0.0, False, False, info
        self.transcript = (self.transcript + text)[-self.observation_space.max_length:]
        correct = answer is not None and normalise(answer) == normalise(self.item["answer"])
        verdict = "correct" if correct else ("wrong answer" if answer is not None else "no answer")
        return self.transcript, float(correct), True, False, {"search": False, "verdict": verdict, "correct": correct}

    def render(self):
        return self.transcript
