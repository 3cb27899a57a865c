"""Tasks hard enough for a pretrained model: Countdown and grade-school word problems (GSM8K style).

Both are answered in free text with the final result in <answer>...</answer>; the rewards are rule based.

Countdown (as in TinyZero, data set Jiayi-Pan/Countdown-Tasks-3to4): given 3 or 4 numbers and a target, write
an arithmetic expression that uses every number exactly once with + - * / and parentheses and equals the
target. Reward 1 for a correct expression, `format_reward` for a tagged expression that is wrong, 0 otherwise.

GSM8K (openai/gsm8k, config "main"): a word problem whose reference solution ends with "#### N". Reward 1 when
the tagged answer equals N, `format_reward` for a tagged number that is wrong, 0 otherwise.

Data. `load("countdown" | "gsm8k", split, n)` calls `datasets.load_dataset` on the hub data set. Without a hub
(tests, this project's CI, offline machines) `source="sample"` loads, through the same `datasets.load_dataset`
("json" builder), a small sample that this project generates and ships in `envs/data/`: Countdown problems
made the way the hub set was (random numbers, a target reached by a random expression over them) and word
problems written from templates in GSM8K's schema. `write_samples()` regenerates both files.
"""

from __future__ import annotations

import ast
import json
import operator
import random
from collections import Counter
from pathlib import Path

from reference_impl.envs.text import number, tagged, tagged_number

DATA = Path(__file__).resolve().parent / "data"
HUB = {"countdown": ("Jiayi-Pan/Countdown-Tasks-3to4", None), "gsm8k": ("openai/gsm8k", "main")}
SAMPLES = {"countdown": DATA / "countdown_sample.jsonl", "gsm8k": DATA / "gsm8k_style_sample.jsonl"}

COUNTDOWN_PROMPT = ("Using the numbers {nums}, create an equation that equals {target}. You may use + - * / and "
                    "parentheses, and each number exactly once. Think briefly, then give the equation alone "
                    "inside <answer> </answer>, for example <answer>(1 + 2) / 3</answer>.")
GSM8K_PROMPT = "{question}\nSolve it step by step, then give the final number alone inside <answer> </answer>."

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


# ------------------------------------------------------------------------------------------------- Countdown
def evaluate_expression(expr: str) -> tuple[float, list[int]] | None:
    """(value, integer literals used) of an expression of numbers, + - * / and parentheses; None otherwise
    (any other syntax, a division by zero). Walks the syntax tree: nothing is ever executed."""
    try:
        tree = ast.parse(expr.strip(), mode="eval").body
    except (SyntaxError, ValueError):
        return None
    used: list[int] = []

    def walk(node):
        if isinstance(node, ast.Constant) and isinstance(node.value, int) and not isinstance(node.value, bool):
            used.append(node.value)
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = walk(node.left), walk(node.right)
            if isinstance(node.op, ast.Div) and right == 0:
                raise ZeroDivisionError
            return _OPS[type(node.op)](left, right)
        raise ValueError("unsupported syntax")

    try:
        return walk(tree), used
    except (ValueError, ZeroDivisionError, RecursionError):
        return None


def countdown_reward(text: str, nums: list[int], target: int, format_reward: float = 0.1) -> tuple[float, bool]:
    """(reward, correct): every number of `nums` used exactly once and the expression equal to `target`."""
    expr = tagged(text)
    if expr is None:
        return 0.0, False
    expr = expr.split("=")[0]  # "(1+2)*3 = 9" counts as its left side
    result = evaluate_expression(expr)
    correct = (result is not None and Counter(result[1]) == Counter(int(n) for n in nums)
               and abs(result[0] - float(target)) < 1e-6)
    return (1.0 if correct else format_reward), correct


def make_countdown(n: int, seed: int = 0, max_number: int = 99) -> list[dict]:
    """n problems {"target", "nums"}: 3 or 4 numbers in 1..max_number and the value of a random expression over
    all of them that is a whole number in 1..999 (so every problem has a solution)."""
    rng, out = random.Random(seed), []
    while len(out) < n:
        nums = [rng.randint(1, max_number) for _ in range(rng.choice((3, 4)))]
        order = nums[:]
        rng.shuffle(order)
        value, expr = float(order[0]), str(order[0])
        for x in order[1:]:
            op = rng.choice("+-*/")
            if op == "/" and (x == 0 or value % x):
                op = "+"
            value = {"+": value + x, "-": value - x, "*": value * x, "/": value / x}[op]
            expr = f"({expr} {op} {x})"
        if value == int(value) and 1 <= value <= 999:
            out.append({"target": int(value), "nums": nums})
    return out


# ----------------------------------------------------------------------------------------------------- GSM8K
def gsm8k_gold(answer: str) -> int | None:
    """The final number of a GSM8K reference solution ("... #### 72")."""
    return number(answer.split("####")[-1]) if "####" in answer else None


def gsm8k_reward(text: str, gold: int, format_reward: float = 0.1) -> tuple[float, bool]:
    guess = tagged_number(text)
    if guess is None:
        return 0.0, False
    return (1.0, True) if guess == gold else (format_reward, False)


_NAMES = ["Ada", "Bo", "Cleo", "Dev", "Esi", "Farid", "Gus", "Hana", "Ines", "Jun", "Kofi", "Lena"]
_ITEMS = ["marbles", "stickers", "apples", "pencils", "stamps", "shells", "cards", "beads"]


def make_gsm8k_style(n: int, seed: int = 0) -> list[dict]:
    """n two- or three-step word problems in GSM8K's schema {"question", "answer": "...#### N"}."""
    rng, out = random.Random(seed), []
    for i in range(n):
        name, other = rng.sample(_NAMES, 2)
        item = rng.choice(_ITEMS)
        a, b, c = rng.randint(3, 40), rng.randint(2, 9), rng.randint(2, 12)
        kind = i % 4
        if kind == 0:
            q = f"{name} has {a} {item}. {name} buys {b} packs with {c} {item} in each pack. How many {item} does {name} have now?"
            steps, ans = f"{b} * {c} = {b * c}. {a} + {b * c} = {a + b * c}.", a + b * c
        elif kind == 1:
            total = a * b
            q = f"{name} shares {total} {item} equally among {b} friends, then each friend gives {other} {min(c, a)} of them. How many {item} does each friend keep?"
            steps, ans = f"{total} / {b} = {a}. {a} - {min(c, a)} = {a - min(c, a)}.", a - min(c, a)
        elif kind == 2:
            c = min(c, a - 1)
            q = f"{name} earns {a} dollars a day for {b} days and spends {c} dollars on each of those days. How many dollars does {name} save?"
            steps, ans = f"{a} - {c} = {a - c} per day. {a - c} * {b} = {(a - c) * b}.", (a - c) * b
        else:
            q = f"{name} has {a} {item} and {other} has {b} times as many. Together they give away {c}. How many {item} are left?"
            steps, ans = f"{a} * {b} = {a * b}. {a} + {a * b} = {a + a * b}. {a + a * b} - {c} = {a + a * b - c}.", a + a * b - c
        out.append({"question": q, "answer": f"{steps}\n#### {ans}"})
    return out


# ------------------------------------------------------------------------------------------------------ data
def write_samples(n: int = 64) -> None:
    """Regenerate the shipped samples (deterministic)."""
    DATA.mkdir(exist_ok=True)
    for name, rows in (("countdown", make_countdown(n)), ("gsm8k", make_gsm8k_style(n))):
        SAMPLES[name].write_text("".join(json.dumps(r) + "\n" for r in rows))


def load(task: str, split: str = "train", n: int | None = None, source: str = "hub") -> list[dict]:
    """Rows of `task` through `datasets.load_dataset`: the hub data set, or (`source="sample"`) the shipped sample.
    Countdown-Tasks-3to4 and the samples have a single split: "train" reads from the front, "test" from the back
    (as TinyZero holds out its last rows). Each row gets "prompt" (the user message) and what its reward needs
    ("nums" and "target", or "gold")."""
    from datasets import load_dataset

    if task not in HUB:
        raise ValueError(f"unknown task {task!r}; choose from {sorted(HUB)}")
    if split not in ("train", "test"):
        raise ValueError(f"split must be train or test, not {split!r}")
    if source == "sample":
        ds = load_dataset("json", data_files=str(SAMPLES[task]), split="train")
    elif source == "hub":
        name, config = HUB[task]
        ds = load_dataset(name, config, split=split if task == "gsm8k" else "train")
    else:
        raise ValueError(f"source must be hub or sample, not {source!r}")
    single = source == "sample" or task == "countdown"
    n = min(n or len(ds), len(ds) // 2 if single else len(ds))
    ds = ds.select(range(len(ds) - n, len(ds)) if single and split == "test" else range(n))
    rows = []
    for r in ds:
        if task == "countdown":
            rows.append({"prompt": COUNTDOWN_PROMPT.format(nums=", ".join(map(str, r["nums"])), target=r["target"]),
                         "nums": list(r["nums"]), "target": int(r["target"])})
        else:
            rows.append({"prompt": GSM8K_PROMPT.format(question=r["question"]), "gold": gsm8k_gold(r["answer"])})
    return rows


def reward(task: str, text: str, row: dict) -> tuple[float, bool]:
    """(reward, correct) of one response to one row of `load(task, ...)`."""
    if task == "countdown":
        return countdown_reward(text, row["nums"], row["target"])
    return gsm8k_reward(text, row["gold"])
