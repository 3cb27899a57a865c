"""The same capabilities trained by an existing engine: TRL's GRPOTrainer instead of the handwritten loop.

    rl-atlas run reasoning --quick --engine trl --seed 1
    rl-atlas run tool-use --quick --engine trl
    rl-atlas run self-improvement --quick --engine trl
    rl-atlas run reasoning --engine trl --task countdown --model Qwen/Qwen2.5-0.5B-Instruct   # a pretrained model
    rl-atlas run tool-use --engine trl --task search --device cuda      # search-style tool use, Qwen2.5-0.5B

What stays ours: the task, the warm-up and the measurement. Each capability below builds the script's policy
(always `--policy hf`: TRL trains transformers models), runs the script's own supervised warm-up, and measures
before and after with the script's own `evaluate` (our sampler, the same metric as the handwritten run). What
TRL does: sampling the groups, the advantages, the clipped GRPO loss and the optimiser steps.

How each environment reaches TRL:
  reasoning         a reward function: the completion text goes through `ArithmeticEnv.step`.
  self-improvement  a reward function over a whole group: TRL hands the G completions of a prompt together
                    (consecutive rows), and `UnlabeledArithmeticEnv.step` votes among them. No label anywhere.
  tool-use          a `rollout_func`: our multi-turn rollout (policy segments, calculator results appended)
                    returns prompt ids, completion ids, the sampler's log-probs and an `env_mask` that is 0 on
                    calculator tokens, so TRL's loss skips them as ours does; the episode reward rides along as
                    an extra field read by the reward function. (TRL's own `tools=` / `environment_factory=`
                    parse the chat model's tool-call format, e.g. Qwen2.5's <tool_call> JSON; the toy calculator
                    format "[23*17]" is not one of those, so the rollout is handed over whole.)

Pretrained models (`--task countdown | gsm8k` for reasoning, `--task search` for tool use): no warm-up; the
prompts are chat messages, the answer is read from <answer>...</answer> and scored by `envs/text_tasks.py` or
`envs/search.py`, and before/after are sampled accuracies on held-out questions. For Countdown and GSM8K TRL
applies the chat template and samples; search is multi-turn, so a `rollout_func` runs our sampler, which stops
a segment on the string "</search>" (`HFTokenizer.stop_on`, however the BPE splits it), appends the retrieved
passages as ENV tokens (env_mask 0) and resumes, up to the search budget. `--data sample` uses the
problems this project ships instead of the hub data sets; `--completion-tokens N` bounds the answer length;
`--vllm colocate | server` hands generation to vLLM (TRL's `use_vllm`; vLLM is not part of the `llm` extra).

What TRL's GRPOTrainer cannot express, and where that lives instead (see docs/implementations/llm.md):
  memory, planning, long-horizon: per-turn credit assignment over several model calls (step-level advantages,
    turn-level rewards, a memory rewritten between calls) -- verl / verl-agent (GiGPO) train these;
  perception: a custom vision encoder feeding prefix embeddings -- TRL supports only hub VLM processors.
Their environments are still available to GRPOTrainer as reward functions in a single-completion form
(open-loop plans, whole key sequences, full-context answers, a picture as text): `trl_rewards.py`.
Departures from the handwritten run: TRL samples with `model.generate`, decays no learning rate (constant
schedule here), and has no DAPO dynamic-sampling filter.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import importlib
import io
import json
import os
import sys
import tempfile
import time

import torch

from reference_impl.core import autocast, pick_device, seed_everything
from reference_impl.hf import build_model, build_tokenizer, policy_record
from reference_impl.registry import take_flag

def grpo_args(cfg, device, out_dir: str, steps: int, prompts: int, group: int, max_len: int, **extra):
    """A GRPOConfig that mirrors the handwritten update: `prompts` x `group` completions per optimiser step, one
    pass over them (num_iterations=1), AdamW with torch's defaults, grad clip 1, and the script's --lr-schedule
    (linear decay to 0 for reasoning; constant where a script has no such flag)."""
    from trl import GRPOConfig

    loss = getattr(cfg, "loss", "grpo")
    # transformers >= 5.2x renamed gradient_checkpointing to activation_checkpointing
    ckpt = "activation_checkpointing" if "activation_checkpointing" in GRPOConfig.__dataclass_fields__ else "gradient_checkpointing"
    extra.setdefault(ckpt, device.type == "cuda" and cfg.gradient_checkpointing)
    return GRPOConfig(
        output_dir=out_dir, max_steps=steps, per_device_train_batch_size=prompts * group, num_generations=group,
        gradient_accumulation_steps=1, steps_per_generation=1, num_iterations=1,
        learning_rate=cfg.lr, lr_scheduler_type=getattr(cfg, "lr_schedule", "constant"), warmup_steps=0, weight_decay=0.01, max_grad_norm=1.0,
        loss_type=loss, scale_rewards="none" if loss == "dr_grpo" else "group",
        beta=getattr(cfg, "kl_coef", 0.0), epsilon=getattr(cfg, "eps_low", getattr(cfg, "eps", 0.2)),
        epsilon_high=getattr(cfg, "eps_high", None), temperature=1.0, top_k=0, top_p=1.0,
        max_completion_length=max_len, use_cpu=device.type == "cpu", bf16=device.type == "cuda",
        report_to="none", save_strategy="no", logging_steps=max(1, steps // 10), disable_tqdm=True,
        seed=cfg.seed, data_seed=cfg.seed, remove_unused_columns=False, dataloader_num_workers=0,
        ddp_find_unused_parameters=False, **extra)


def make_trainer(policy, tok, rewards, dataset, args, **kwargs):
    from trl import GRPOTrainer

    os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
    tok.hf.padding_side = "left"
    return GRPOTrainer(model=policy.hf, reward_funcs=rewards, args=args, train_dataset=dataset,
                       processing_class=tok.hf, **kwargs)


def eval_every(every: int, measure, curve: list):
    """A TrainerCallback appending {"step", **measure()} to `curve` every `every` optimiser steps and at the last."""
    from transformers import TrainerCallback

    class EvalEvery(TrainerCallback):
        def on_step_end(self, args, state, control, **kwargs):
            if state.global_step % every == 0 or state.global_step == state.max_steps:
                curve.append({"step": state.global_step, **measure()})

    return EvalEvery()


def text_prompt(tok, ids: list[int]) -> str:
    """The prompt as text that TRL's tokenizer call turns back into exactly `ids` (checked)."""
    text = tok.decode(ids)
    back = list(tok.hf(text=text, add_special_tokens=True)["input_ids"])
    if back != list(ids):
        raise SystemExit(f"trl engine: the prompt {text!r} tokenises differently through the tokenizer "
                         f"({back}) than in the warm-up ({ids}); TRL would train on other tokens")
    return text


# ---------------------------------------------------------------------------------------------------- reasoning
def arithmetic_reward(env):
    """A TRL reward function: each completion's text stepped through the arithmetic environment."""

    def arithmetic_reward(completions, operands, **_):
        out = []
        for text, ops in zip(completions, operands):
            env.reset(options={"operands": ops})
            out.append(env.step(text)[1])
        return out

    return arithmetic_reward


def reasoning(cfg, device, tok, policy, gen, out_dir):
    from datasets import Dataset

    from reference_impl.capabilities import reasoning as R
    from reference_impl.core import collate
    from reference_impl.envs.reasoning import ArithmeticEnv

    env = ArithmeticEnv(n_operands=cfg.n_operands, max_operand=cfg.max_operand, max_response_len=cfg.max_new_tokens)
    train, held = R.split_questions(cfg)  # the script's split: training questions and held-out ones
    eval_qs = held[: cfg.eval_questions]
    opt = torch.optim.AdamW(policy.parameters(), lr=cfg.warmup_lr)
    for _ in range(cfg.warmup_steps):  # the script's warm-up on the imperfect teacher
        qs = R.draw(train, 64, gen)
        batch = collate(R.demos(tok, qs, [R.teacher(q, cfg, gen) for q in qs]), tok.pad_id, device=device)
        R.sft_step(policy, opt, batch, device)

    def measure():
        return {"accuracy": R.evaluate(policy, tok, env, eval_qs, cfg, device)["accuracy"]}

    qs = R.draw(train, cfg.rl_steps * cfg.prompts_per_step, gen)
    data = Dataset.from_list([{"prompt": text_prompt(tok, [tok.bos_id] + tok.encode(R.question_text(q))),
                               "operands": q} for q in qs])
    args = grpo_args(cfg, device, out_dir, cfg.rl_steps, cfg.prompts_per_step, cfg.group_size, cfg.max_new_tokens)
    return measure, [arithmetic_reward(env)], data, args, {}


# ---------------------------------------------------------------------------------------------- self-improvement
def self_improvement(cfg, device, tok, policy, gen, out_dir):
    from datasets import Dataset

    from reference_impl.capabilities import self_improvement as S
    from reference_impl.envs.self_improvement import UnlabeledArithmeticEnv

    env = UnlabeledArithmeticEnv(max_operand=cfg.max_operand, max_votes=cfg.group_size)
    train_qs, test_qs = S.split_questions(cfg)  # labelled warm-up questions, unlabelled test questions
    S.warmup(policy, tok, cfg, train_qs, gen, device)  # the script's own warm-up on the noisy teacher

    def measure():
        return S.evaluate(policy, tok, env, test_qs, cfg, device)

    G = cfg.group_size

    def majority_vote_reward(prompts, completions, operands, **_):
        """Rows arrive as consecutive groups of G completions of one prompt; each group votes (no label)."""
        out = []
        for g in range(0, len(completions), G):
            if len(set(prompts[g:g + G])) != 1:
                raise RuntimeError("trl engine: a group of completions spans several prompts")
            env.reset(options={"operands": operands[g]})
            out.extend(env.step(",".join(completions[g:g + G]))[4]["vote_rewards"])
        return out

    pick = torch.randint(len(test_qs), (cfg.rl_steps * cfg.prompts_per_step,), generator=gen).tolist()
    data = Dataset.from_list([{"prompt": text_prompt(tok, S.prompt_ids(tok, test_qs[i])), "operands": test_qs[i]}
                              for i in pick])
    args = grpo_args(cfg, device, out_dir, cfg.rl_steps, cfg.prompts_per_step, G, cfg.max_new_tokens)
    return measure, [majority_vote_reward], data, args, {}


# ------------------------------------------------------------------------------------------------------ tool-use
def tool_use(cfg, device, tok, policy, gen, out_dir):
    from datasets import Dataset

    from reference_impl.capabilities import tool_use as T
    from reference_impl.core import collate

    train, eval_qs = T.split_questions(cfg)  # training and held-out factor pairs
    warm_pairs, rl_pairs = T.warmup_and_rl_pairs(cfg, train)  # the script's cut: RL asks questions the warm-up never showed
    T.warmup(policy, tok, cfg, warm_pairs, gen, device)  # the script's warm-up: a correct teacher that rarely calls the tool

    def measure():
        return T.evaluate(policy, tok, eval_qs, cfg, device, tools_enabled=True, gen=gen)

    G = cfg.group_size

    def calculator_rollout(prompts, trainer):
        """TRL's rollout hook: our multi-turn episodes with the calculator, ENV tokens marked by env_mask = 0."""
        qs = [[int(x) for x in p.rstrip("?").split("*")] for p in prompts[::G]]  # TRL repeats each prompt G times
        bufs, rewards, _, _ = T.rollout(policy, tok, qs, G, cfg, device, tools_enabled=True)
        prompt_ids, completion_ids, env_mask, logprobs = [], [], [], []
        for b in bufs:
            n = b.roles.index(1) if 1 in b.roles else len(b.ids)  # first POLICY token ends the prompt
            prompt_ids.append(b.ids[:n])
            completion_ids.append(b.ids[n:])
            env_mask.append([int(r == 1) for r in b.roles[n:]])
            logprobs.append([0.0] * (len(b.ids) - n))  # unused without vLLM importance correction
        return {"prompt_ids": prompt_ids, "completion_ids": completion_ids, "logprobs": logprobs,
                "env_mask": env_mask, "env_reward": rewards.tolist()}

    def calculator_reward(completions, env_reward, **_):
        return list(env_reward)

    qs = T.draw(rl_pairs, cfg.rl_steps * cfg.prompts_per_step, gen)
    data = Dataset.from_list([{"prompt": f"{a}*{b}?"} for a, b in qs])  # the question; the rollout parses it
    args = grpo_args(cfg, device, out_dir, cfg.rl_steps, cfg.prompts_per_step, G, cfg.segment_tokens * (cfg.max_calls + 1))
    return measure, [calculator_reward], data, args, {"rollout_func": calculator_rollout}


# ---------------------------------------------------------------------------------- pretrained: text tasks
def text_task(cfg, device, tok, policy, gen, out_dir, task: str, source: str, length: int):
    from datasets import Dataset

    from reference_impl.core import generate, pad_sequences
    from reference_impl.envs import text_tasks

    train = text_tasks.load(task, "train", cfg.rl_steps * cfg.prompts_per_step, source)
    test = text_tasks.load(task, "test", 64 if cfg.quick else 200, source)
    columns = [k for k in train[0] if k != "prompt"]

    @torch.no_grad()
    def measure():
        correct = []
        for i in range(0, len(test), 32):
            rows = test[i:i + 32]
            ids, mask = pad_sequences([tok.chat([{"role": "user", "content": r["prompt"]}]) for r in rows],
                                      tok.pad_id, side="left", device=device)
            with autocast(device):
                ro = generate(policy, ids, mask, length, stop_ids=[tok.eos_id], pad_id=tok.pad_id)
            for r, resp, m in zip(rows, ro.responses.tolist(), ro.response_mask.tolist()):
                text = tok.decode([t for t, keep in zip(resp, m) if keep], skip_special=True)
                correct.append(text_tasks.reward(task, text, r)[1])
        return {"accuracy": sum(correct) / len(correct)}

    def task_reward(completions, **cols):
        texts = [c[-1]["content"] if isinstance(c, list) else c for c in completions]  # chat or plain completions
        return [text_tasks.reward(task, t, {k: cols[k][i] for k in columns})[0] for i, t in enumerate(texts)]

    task_reward.__name__ = f"{task}_reward"
    data = Dataset.from_list([{"prompt": [{"role": "user", "content": r["prompt"]}], **{k: r[k] for k in columns}}
                              for r in train])
    args = grpo_args(cfg, device, out_dir, cfg.rl_steps, cfg.prompts_per_step, cfg.group_size, length)
    return measure, [task_reward], data, args, {}


# ------------------------------------------------------------------------------ pretrained: search tool use
def search_rollout(policy, tok, env, items: list[int], length: int, device):
    """Multi-turn episodes on `SearchEnv` questions `items`: generate until "</search>" or eos; a search gets
    its <information> appended as ENV tokens and generation resumes. Returns TokenBuffers and rewards."""
    from reference_impl.core import ENV, POLICY, PROMPT, TokenBuffer, generate, pad_sequences

    bufs, envs = [], []
    for q in items:
        e = copy.copy(env)  # a shallow copy shares the corpus and keeps its own episode state
        obs, _ = e.reset(options={"question": q})
        envs.append(e)
        bufs.append(TokenBuffer().add(tok.chat([{"role": "user", "content": obs}]), PROMPT))
    rewards, active, stop = [0.0] * len(items), list(range(len(items))), tok.stop_on(["</search>"])
    for _ in range(env.max_searches + 1):
        if not active:
            break
        ids, mask = pad_sequences([bufs[i].ids for i in active], tok.pad_id, side="left", device=device)
        with autocast(device):
            ro = generate(policy, ids, mask, length, stop_ids=[tok.eos_id], stopping=stop, pad_id=tok.pad_id)
        still = []
        for row, i in enumerate(active):
            seg = [t for t, m in zip(ro.responses[row].tolist(), ro.response_mask[row].tolist()) if m]
            bufs[i].add(seg, POLICY)
            _, r, done, _, info = envs[i].step(tok.decode(seg, skip_special=True))
            rewards[i] += r
            if not done and seg and seg[-1] != tok.eos_id:
                bufs[i].add(tok.encode(info["appended"]), ENV)
                still.append(i)
        active = still
    return bufs, rewards


def search_task(cfg, device, tok, policy, gen, out_dir, length: int):
    from datasets import Dataset

    from reference_impl.envs.search import SearchEnv

    env = SearchEnv()
    order = torch.randperm(len(env.questions), generator=torch.Generator().manual_seed(0)).tolist()
    test, train = order[: len(order) // 5], order[len(order) // 5:]  # the corpus holds every fact; questions split
    test = test[: 32 if cfg.quick else len(test)]
    index = {env.questions[q]["question"]: q for q in range(len(env.questions))}
    G = cfg.group_size

    @torch.no_grad()
    def measure():
        _, rewards = search_rollout(policy, tok, env, test, length, device)
        return {"accuracy": sum(r > 0 for r in rewards) / len(rewards)}

    def search_rollout_func(prompts, trainer):
        items = [index[p[-1]["content"].split(" Search with")[0] if isinstance(p, list) else p] for p in prompts[::G]]
        bufs, rewards = search_rollout(policy, tok, env, [q for q in items for _ in range(G)], length, device)
        out = {"prompt_ids": [], "completion_ids": [], "logprobs": [], "env_mask": [], "env_reward": rewards}
        for b in bufs:
            n = b.roles.index(1) if 1 in b.roles else len(b.ids)  # the first POLICY token ends the prompt
            out["prompt_ids"].append(b.ids[:n])
            out["completion_ids"].append(b.ids[n:])
            out["env_mask"].append([int(r == 1) for r in b.roles[n:]])
            out["logprobs"].append([0.0] * (len(b.ids) - n))
        return out

    def search_reward(completions, env_reward, **_):
        return list(env_reward)

    picks = torch.randint(len(train), (cfg.rl_steps * cfg.prompts_per_step,), generator=gen).tolist()
    data = Dataset.from_list([{"prompt": env.questions[train[i]]["question"]} for i in picks])
    args = grpo_args(cfg, device, out_dir, cfg.rl_steps, cfg.prompts_per_step, G, length * (env.max_searches + 1))
    return measure, [search_reward], data, args, {"rollout_func": search_rollout_func}


TASKS = {"reasoning": reasoning, "self-improvement": self_improvement, "tool-use": tool_use}
MODULES = {"reasoning": "reasoning", "self-improvement": "self_improvement", "tool-use": "tool_use"}


def main(capability: str, argv: list[str] | None = None) -> int:
    if capability not in TASKS:
        print(f"rl-atlas run: --engine trl covers {', '.join(TASKS)}; {capability} needs multi-turn credit assignment "
              "or a custom encoder that TRL's GRPOTrainer does not express (see docs/implementations/llm.md)",
              file=sys.stderr)
        return 2
    script = importlib.import_module(f"reference_impl.capabilities.{MODULES[capability]}")
    argv = list(argv or [])
    task, argv = take_flag(argv, "--task", "toy")
    source, argv = take_flag(argv, "--data", "hub")
    length, argv = take_flag(argv, "--completion-tokens", "")
    vllm, argv = take_flag(argv, "--vllm", "")
    policy, argv = take_flag(argv, "--policy", "hf")
    if policy != "hf":
        raise SystemExit("--engine trl trains Hugging Face models: use --policy hf (the default with this engine)")
    if task != "toy" and (capability, task) not in (("reasoning", "countdown"), ("reasoning", "gsm8k"),
                                                     ("tool-use", "search")):
        raise SystemExit("--task countdown | gsm8k goes with reasoning, --task search with tool-use "
                         "(the toy task is the default)")
    if vllm not in ("", "colocate", "server"):
        raise SystemExit("--vllm must be colocate or server")
    cfg = script.parse_config(argv + ["--policy", "hf"])  # the script's own --policy hf settings (its warm-up too)
    torch.set_num_threads(cfg.threads)
    seed_everything(cfg.seed)
    device = pick_device(cfg.device)
    start = time.time()
    gen = torch.Generator().manual_seed(cfg.seed)
    tok = build_tokenizer(cfg, script.CHARSET if task == "toy" else None)  # free text: the tokenizer's own BPE
    policy = build_model(cfg, tok, n_layer=cfg.n_layer, n_embd=cfg.n_embd, block_size=64 if task == "toy" else 1024).to(device)
    with tempfile.TemporaryDirectory(prefix="rl-atlas-trl-") as out_dir:
        length = int(length or (24 if cfg.quick else 512))
        if task == "toy":
            measure, rewards, data, args, extra = TASKS[capability](cfg, device, tok, policy, gen, out_dir)
        elif task == "search":
            measure, rewards, data, args, extra = search_task(cfg, device, tok, policy, gen, out_dir, length)
        else:
            measure, rewards, data, args, extra = text_task(cfg, device, tok, policy, gen, out_dir, task, source, length)
        if vllm:
            args.use_vllm, args.vllm_mode = True, vllm
        before = measure()
        curve = [{"step": 0, **before}]
        trainer = make_trainer(policy, tok, rewards, data, args, **extra)
        trainer.add_callback(eval_every(cfg.eval_every, measure, curve))
        t0 = time.time()
        with contextlib.redirect_stdout(io.StringIO()):  # TRL's log lines; our JSON line is the only output
            trainer.train()
        train_seconds = time.time() - t0
    policy.train()
    key = next(iter(before))
    result = {
        "capability": capability, "engine": "trl", "task": task, **policy_record(cfg),
        "metric": f"{key} (the script's evaluate)" if task == "toy" else f"sampled {key} on held-out {task} problems",
        "before": before[key], "after": curve[-1][key], "steps": cfg.rl_steps, "seed": cfg.seed, "device": str(device),
        "seconds": round(time.time() - start, 1), "seconds_per_update": round(train_seconds / cfg.rl_steps, 3),
        "tokens_per_second": round(trainer.state.num_input_tokens_seen / train_seconds, 1),
        "curve": [{k: round(v, 4) if isinstance(v, float) else v for k, v in p.items()} for p in curve],
    }
    if device.type == "cuda":
        result["peak_memory_mb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun / accelerate launch: one JSON line
        print(json.dumps(result))
    return 0


if __name__ == "__main__":  # accelerate launch / torchrun -m reference_impl.engines.trl_engine CAPABILITY [flags]
    sys.exit(main(sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else main("", []))
