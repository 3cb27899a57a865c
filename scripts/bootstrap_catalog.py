#!/usr/bin/env python3
"""One-off import that produced the first draft of `catalog/papers/` from the two sources.

Kept for provenance: it shows how every derived field (sections, tables, capabilities, tasks,
sub-categories, reward types) was computed from the survey text, so a reviewer can check the rules.
The YAML records are the source of truth after curation; this script refuses to overwrite them
unless `--force` is given, and then writes to a scratch folder you name.

    python scripts/bootstrap_catalog.py --sources ../shared/sources --out /tmp/draft
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import defaultdict
from pathlib import Path

import yaml

# --- where in the survey each capability, task and sub-category is discussed -------------------------
# Sections that carry a capability or task term.
SECTION_TERMS = {
    "3.1": ("capability", "planning"),
    "3.2": ("capability", "tool-use"),
    "3.3": ("capability", "memory"),
    "3.4": ("capability", "self-improvement"),
    "3.5": ("capability", "reasoning"),
    "3.6": ("capability", "perception"),
    "3.7": ("capability", "long-horizon"),
    "4.1": ("task", "search"),
    "4.2": ("task", "code"),
    "4.3": ("task", "math"),
    "4.4": ("task", "gui"),
    "4.5": ("task", "vision"),
    "4.6": ("task", "embodied"),
    "4.7": ("task", "multi-agent"),
    "4.8": ("task", "other"),
}
TABLE_TERMS = {
    3: ("capability", "memory"),
    4: ("task", "search"),
    5: ("task", "code"),
    6: ("task", "math"),
    7: ("task", "gui"),
    8: ("task", "multi-agent"),
}
# Paragraph leads (start of a line in survey.md) that open a sub-category; it holds until the next lead
# or the next heading. A lead of None closes the current sub-category (an introduction paragraph).
PARAGRAPH_LEADS = [
    ("RL as an External Guide for Planning", "planning-external-guide"),
    ("RL as an Internal Driver of Planning", "planning-internal-driver"),
    ("Prospective: The Synthesis of Deliberation", "planning-deliberation-intuition"),
    ("ReAct-style Tool Calling", "tool-use-react-style"),
    ("Tool-integrated RL", "tool-use-tool-integrated-rl"),
    ("Prospective: Long-horizon TIR", "tool-use-long-horizon-tir"),
    ("RL in RAG-style Memory", "memory-rag-style"),
    ("RL for Token-level Memory", "memory-token-level"),
    ("Prospective: RL for Structured Memory", "memory-structured"),
    ("RL for Verbal Self-correction", "self-improvement-verbal-self-correction"),
    ("RL for Internalizing Self-correction", "self-improvement-internalized-self-correction"),
    ("RL for Iterative Self-training", "self-improvement-iterative-self-training"),
    ("Prospective: Meta Evolution", "self-improvement-meta-evolution"),
    ("Fast Reasoning", "reasoning-fast"),
    ("Slow Reasoning", "reasoning-slow"),
    ("Prospective: Integrating Slow Reasoning", "reasoning-fast-slow-integration"),
    ("From Passive Perception", "perception-passive-to-active"),
    ("Grounding-Driven Active Perception", "perception-grounding-driven"),
    ("Tool-Driven Active Perception", "perception-tool-driven"),
    ("Generation-Driven Active Perception", "perception-generation-driven"),
    ("Audio.", "perception-audio"),
    ("For long-horizon interactions", "long-horizon-process-supervision"),
    ("Search from the external Internet", "search-external"),
    ("Search from LLM internal knowledge", "search-internal"),
    ("Vanilla VLM-based GUI Agents", "gui-rl-free"),
    ("Supervised Fine-Tuning (SFT) with Static", "gui-rl-free"),
    ("Image Tasks.", "vision-image"),
    ("Video Tasks.", "vision-video"),
    ("3D Vision Tasks.", "vision-3d"),
    ("RL in VLA Navigation Agent", "embodied-navigation"),
    ("RL in VLA Manipulation Agent", "embodied-manipulation"),
    ("A central challenge in RL for VLA", None),
    ("Early static and hand-designed MAS", "multi-agent-rl-free"),
    ("RL-Free Multi-Agent Evolution", "multi-agent-rl-free"),
    ("RL-Based Multi-Agent Training", "multi-agent-rl-training"),
    ("TextGame.", "other-text-games"),
    ("Table. SkyRL", "other-table-sql"),
    ("Time Series.", "other-time-series"),
    ("TimeMaster", "other-time-series"),
    ("General QA.", "other-general-qa"),
    ("Social.", "other-social"),
]
# Subsections that are sub-categories in their own right.
SECTION_SUBCATS = {
    "4.1.2": "search-closed-source",
    "4.2.1": "code-generation",
    "4.2.2": "code-iterative-refinement",
    "4.2.3": "code-software-engineering",
    "4.3.1": "math-informal",
    "4.3.2": "math-formal",
    "4.4.1": "gui-rl-free",
    "4.4.2": "gui-static-rl",
    "4.4.3": "gui-interactive-rl",
}
# Row-group headers of the survey's tables.
TABLE_GROUPS = {
    "RAG-style Memory": "memory-rag-style",
    "Token-level Memory": "memory-token-level",
    "Structured Memory": "memory-structured",
    "Closed Source Methods": "search-closed-source",
    "RL for Code Generation": "code-generation",
    "RL for Iterative Code Refinement": "code-iterative-refinement",
    "RL for Automated Software Engineering (SWE)": "code-software-engineering",
    "RL for Informal Mathematical Reasoning": "math-informal",
    "RL for Formal Mathematical Reasoning": "math-formal",
    "RL-free GUI Agents": "gui-rl-free",
    "RL-Free Multi-Agent Systems (not exhaustive)": "multi-agent-rl-free",
    "RL-Based Multi-Agent Training": "multi-agent-rl-training",
}
REWARD_LEADS = {"Outcome reward RL": "outcome", "Process reward RL": "process", "Hybrid reward RL": "hybrid"}

VENUES = [
    (r"International Conference on Learning Representations|\bICLR\b", "ICLR"),
    (r"Neural Information Processing Systems|\bNeurIPS\b|\bNIPS\b", "NeurIPS"),
    (r"International Conference on Machine Learning|\bICML\b", "ICML"),
    (r"Association for Computational Linguistics: EMNLP|Findings of the Association for Computational Linguistics: EMNLP|Findings of EMNLP", "Findings of EMNLP"),
    (r"Findings of the Association for Computational Linguistics: ACL|Findings of ACL", "Findings of ACL"),
    (r"Findings of the Association for Computational Linguistics: NAACL", "Findings of NAACL"),
    (r"Empirical Methods in Natural Language Processing|\bEMNLP\b", "EMNLP"),
    (r"North American Chapter|\bNAACL\b", "NAACL"),
    (r"International Conference on Computational Linguistics|\bCOLING\b", "COLING"),
    (r"Annual Meeting of the Association for Computational Linguistics|\bACL\b", "ACL"),
    (r"Conference on Language Modeling|\bCOLM\b", "COLM"),
    (r"Computer Vision and Pattern Recognition|\bCVPR\b", "CVPR"),
    (r"International Conference on Computer Vision|\bICCV\b", "ICCV"),
    (r"European Conference on Computer Vision|\bECCV\b", "ECCV"),
    (r"AAAI", "AAAI"),
    (r"International Joint Conference on Artificial Intelligence|\bIJCAI\b", "IJCAI"),
    (r"Conference on Robot Learning|\bCoRL\b", "CoRL"),
    (r"Transactions on Machine Learning Research|\bTMLR\b", "TMLR"),
    (r"Journal of Machine Learning Research|\bJMLR\b", "JMLR"),
    (r"Transactions on Neural Networks and Learning Systems", "IEEE TNNLS"),
    (r"Artificial Intelligence and Statistics|\bAISTATS\b", "AISTATS"),
    (r"\bNature\b", "Nature"),
    (r"\bScience\b", "Science"),
    (r"European Conference on Computer Systems|EuroSys", "EuroSys"),
    (r"Machine Learning and Systems|MLSys", "MLSys"),
    (r"Knowledge Discovery and Data Mining|\bKDD\b", "KDD"),
    (r"SIGIR", "SIGIR"),
    (r"Web Conference|\bWWW\b", "WWW"),
]

SMALL = {"a", "an", "the", "and", "or", "but", "nor", "for", "of", "on", "in", "to", "at", "by", "via", "with", "from", "as", "vs", "vs.", "into", "over", "per", "without", "through", "beyond", "under", "is", "are", "be", "do"}
ACRONYMS = {w.lower(): w for w in (
    "LLM LLMs RL RLHF RLAIF RLVR GRPO PPO DPO SFT GUI GUIs VLM VLMs MLLM MLLMs LVLM LVLMs AI AGI QA MCTS CoT "
    "API APIs SQL ReAct MDP MDPs POMDP KL VQA TTS ASR LoRA GPT GPT-4 GPT-4o o1 o3 R1 3D 2D OS UI UIs ML MoE "
    "SWE RAG NLP VLA VLAs SOTA MARL PRM PRMs ORM ORMs OpenAI DeepSeek Qwen Llama LLaMA LLaVA Lean HTML IoU "
    "DeepSeek-R1 DeepSeek-V3 DeepSeekMath WebShop ALFWorld ScienceWorld TextWorld WebArena OSWorld AndroidWorld "
    "SWE-bench SWE-Gym MiniWoB AlphaZero AlphaGo AlphaProof Atari Minecraft StarCraft Android Python Isabelle "
    "Coq Monte Carlo Bayesian Markov Kahneman-Tversky MuZero BERT T5 CodeT5 GitHub Wikipedia Transformer Transformers"
).split()}


GREEK = {"α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "τ": "tau", "μ": "mu", "π": "pi", "λ": "lambda",
         "∇": "nabla", "+": " plus ", "²": "2"}


def clean_name(name: str) -> str:
    """Undo LaTeX and OCR spacing in a method name: '$\\beta$ -DPO' -> 'β-DPO'."""
    for tex, ch in (("\\beta", "β"), ("\\alpha", "α"), ("\\tau", "τ"), ("\\mu", "μ"), ("\\nabla", "∇"), ("\\dagger", "")):
        name = name.replace(tex, ch)
    name = re.sub(r"[${}]", "", name)
    name = re.sub(r"\s+-", "-", name).replace("^2", "²").strip()
    return name


def slug(text: str, max_words: int = 6) -> str:
    for ch, word in GREEK.items():
        text = text.replace(ch, f" {word} " if ch != "+" else word)
    text = re.sub(r"(plus\s*){2}", "plusplus ", text)
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return "-".join(s.split("-")[:max_words])


def title_case(title: str, names: list[str]) -> str:
    """Best-effort reversal of the bibliography's lower-casing; curators review every title afterwards."""
    for name in sorted(names, key=len, reverse=True):
        title = re.sub(r"(?<![A-Za-z0-9])" + re.escape(name) + r"(?![A-Za-z0-9])", lambda _m, _n=name: _n, title, flags=re.I)
    words = title.split(" ")
    out = []
    after_colon = True
    for w in words:
        core = w.strip("():,;?!\"'")
        low = core.lower()
        if core and any(c.isupper() for c in core[1:]):
            out.append(w)  # already mixed case: leave it
        elif low in ACRONYMS:
            out.append(w.replace(core, ACRONYMS[low]))
        elif "-" in core and all(p.lower() in ACRONYMS or p.isdigit() for p in core.split("-") if p):
            out.append(w.replace(core, "-".join(ACRONYMS.get(p.lower(), p) for p in core.split("-"))))
        elif low in SMALL and not after_colon:
            out.append(w.lower())
        else:
            out.append(re.sub(r"^([^A-Za-z]*)([a-z])", lambda m: m.group(1) + m.group(2).upper(), w) if core else w)
            out[-1] = "-".join(p[:1].upper() + p[1:] if p and p[0].isalpha() and p.lower() not in SMALL else p for p in out[-1].split("-"))
        after_colon = w.endswith(":") or w.endswith("?")
    return " ".join(out)


def clean_url(u: str) -> str:
    u = re.sub(r"\s+", "", u).rstrip(".")
    u = u.replace("http://", "https://")
    return u


def split_authors(s: str) -> list[str]:
    s = s.strip().rstrip(".")
    others = False
    if re.search(r",?\s+et al\.?$", s):
        s = re.sub(r",?\s+et al\.?$", "", s)
        others = True
    s = re.sub(r",?\s+and\s+", ", ", s)
    names = []
    for n in s.split(","):
        n = n.strip()
        if not n or n in (":",):
            continue
        w = n.split()
        if len(w) % 2 == 0 and w[: len(w) // 2] == w[len(w) // 2:]:
            n = " ".join(w[: len(w) // 2])  # OCR doubled the name: "Hongkang Yang Hongkang Yang"
        names.append(n)
    if others:
        names.append("others")
    return names


AUTHOR_END = re.compile(r"(?<![A-Z])(?<!\b[A-Z][a-z])\.\s+(?=[A-Z0-9$\"'\u201c(\[])")


def parse_bib_entry(n: int, text: str) -> dict:
    rec: dict = {"n": n, "raw": text}
    url_m = re.search(r"URL\s+(.+)$", text)
    url = clean_url(url_m.group(1)) if url_m else None
    body = text[: url_m.start()].strip() if url_m else text
    # Authors end at the first period that is not part of an initial ("Y. K. Li").
    parts = re.split(r"(?<=[a-z\u00C0-\u024F\)])\.\s+", body, maxsplit=1)
    if len(parts) == 2 and len(parts[0]) < 1500:
        authors, rest = parts
    else:
        authors, rest = "", body
    rec["authors"] = split_authors(authors)
    # Title: up to ". In ", ". arXiv", ", YEAR." or the next period.
    m = re.match(r"(.+?)(?:\.\s+(?:In\s|arXiv|CoRR|Advances|Proceedings|Transactions|Journal|IEEE|ACM|Available|Nature|Science|Trans|Computational|Findings|Neural|International|Frontiers|Forty|The\s+\w+\s+(?:International|Conference|Annual))|,\s*(?:19|20)\d\d[a-z]?\.|\.\s*$|\.\s+[A-Z])", rest)
    title = (m.group(1) if m else rest).strip().rstrip(".")
    venue_text = rest[len(title):]
    rec["title_raw"] = title
    years = re.findall(r"\b(19[5-9]\d|20[0-3]\d)\b", venue_text) or re.findall(r"\b(19[5-9]\d|20[0-3]\d)\b", rest)
    rec["year"] = int(years[-1]) if years else None
    venue = None
    for pat, name in VENUES:
        if re.search(pat, venue_text):
            venue = name
            break
    if venue is None and re.search(r"arXiv|CoRR", venue_text):
        venue = "arXiv"
    ids: dict = {}
    links: dict = {}
    if url:
        links["paper"] = url
        if m2 := re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5}|[a-z\-]+/\d{7})", url):
            ids["arxiv"] = m2.group(1)
        if m2 := re.search(r"openreview\.net/(?:forum|pdf)\?id=([\w\-]+)", url):
            ids["openreview"] = m2.group(1)
        if m2 := re.search(r"aclanthology\.org/([\w\.\-]+?)/?(?:\.pdf)?$", url):
            ids["acl"] = m2.group(1).removesuffix(".pdf")
        if m2 := re.search(r"doi\.org/(10\.\S+)", url):
            ids["doi"] = m2.group(1)
        if "github.com" in url or "huggingface.co" in url and "/papers/" not in url:
            pass
    if "arxiv" not in ids:
        if m2 := re.search(r"arXiv:\s*(\d{4}\.\d{4,5})", text) or re.search(r"abs/(\d{4}\.\d{4,5})", text):
            ids["arxiv"] = m2.group(1)
    if m2 := re.search(r"doi:\s*(10\.[^\s,]+?)\.?\s", text + " "):
        ids.setdefault("doi", m2.group(1).rstrip("."))
    if "arxiv" in ids:
        ids["arxiv"] = re.sub(r"v\d+$", "", ids["arxiv"])
        links["paper"] = f"https://arxiv.org/abs/{ids['arxiv']}"
        if venue is None:
            venue = "arXiv"
    if m2 := re.search(r"arXiv\.(\d{4}\.\d{4,5})", ids.get("doi", "")):
        ids.setdefault("arxiv", m2.group(1))
    rec["venue"] = venue
    rec["identifiers"] = ids
    rec["links"] = links
    return rec


def parse_bibliography(lines: list[str], start: int) -> dict[int, dict]:
    raw: dict[int, str] = {}
    last = None
    for line in lines[start + 1:]:
        m = re.match(r"^\[(\d+)\]\s+(.*)$", line)
        if m:
            last = int(m.group(1))
            raw[last] = m.group(2).strip()
        elif line.strip() and last is not None:
            raw[last] += " " + line.strip()  # an entry broken over several lines
    return {n: parse_bib_entry(n, text) for n, text in raw.items()}


CITE = re.compile(r"\[(\d+(?:\s*[,\u2013-]\s*\d+)*)\]")


def cites_in(text: str) -> list[int]:
    out = []
    for grp in CITE.findall(text):
        for part in grp.split(","):
            part = part.strip()
            if re.fullmatch(r"\d+\s*[\u2013-]\s*\d+", part):
                a, b = (int(x) for x in re.split(r"[\u2013-]", part))
                if 0 < b - a < 30:
                    out.extend(range(a, b + 1))
                    continue
            if part.isdigit():
                out.append(int(part))
    return [c for c in out if 1 <= c <= 568]


NOT_NAMES = {"LLM", "LLMs", "MLLM", "MLLMs", "LVLM", "LVLMs", "VLM", "VLMs", "RL", "RLHF", "RLVR", "GRPO", "PPO", "DPO",
             "SFT", "MCTS", "CoT", "GUI", "RAG", "MAS", "MARL", "API", "QA", "TTS", "VLA", "VLAs", "AI", "LRM", "LRMs"}
NAME_BEFORE = re.compile(r"([A-Za-z][\w\-\+\.\u03b1-\u03c9]*(?:\s[A-Z][\w\-\+]*)?)\s*\[(\d+)\]")


def parse_tables(line: str) -> list[list[str]]:
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", line):
        cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", tr)]
        colspan = re.search(r'<td colspan="\d+">', tr) is not None
        rows.append(("group" if colspan else "row", cells))
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sources", default="../shared/sources")
    ap.add_argument("--out", required=True, help="folder to write the draft into (papers/ and bootstrap.json)")
    args = ap.parse_args()
    src = Path(args.sources)
    lines = src.joinpath("survey.md").read_text(encoding="utf-8").splitlines()
    ref_start = next(i for i, l in enumerate(lines) if l.startswith("## References"))
    bib = parse_bibliography(lines, ref_start)
    missing = sorted(set(range(1, 569)) - set(bib))
    if missing:
        print("bibliography numbers not parsed:", missing, file=sys.stderr)

    sections = defaultdict(set)
    tables = defaultdict(set)
    caps = defaultdict(set)
    tasks = defaultdict(set)
    subcats = defaultdict(set)
    rewards = defaultdict(set)
    names = defaultdict(set)  # from table cells: reliable
    text_names = defaultdict(set)  # the word right before a citation in running text: a hint only
    base_models = defaultdict(list)
    table_rows = defaultdict(list)  # table number -> [(group, cells, refs)]
    section = "0"
    subcat = None
    reward = None
    caption_table = None
    for i, line in enumerate(lines[:ref_start]):
        h = re.match(r"^#+\s*(\d+(?:\.\d+)*)\.?\s*", line)
        if h:
            section = h.group(1)
            subcat = SECTION_SUBCATS.get(section)
            reward = None
            continue
        cap = re.match(r"^Table (\d+):", line)
        if cap:
            caption_table = int(cap.group(1))
            continue
        if line.startswith("<table>"):
            tno = caption_table
            caption_table = None
            if tno is None:
                continue
            group = None
            for kind, cells in parse_tables(line):
                if kind == "group":
                    group = cells[0] if cells else None
                    continue
                refs = cites_in(cells[0]) if cells else []
                table_rows[tno].append({"group": group, "cells": cells, "refs": refs})
                name = clean_name(re.sub(r"\s*\[[\d,\s]+\]\s*", "", cells[0]).replace("\u2020", "")) if cells else ""
                for r in refs:
                    tables[r].add(tno)
                    if name and len(refs) == 1:
                        names[r].add(name)
                    if tno in TABLE_TERMS:
                        k, t = TABLE_TERMS[tno]
                        (caps if k == "capability" else tasks)[r].add(t)
                    if group in TABLE_GROUPS:
                        subcats[r].add(TABLE_GROUPS[group])
                    if tno == 4 and group == "Open Source Methods" and len(cells) > 1:
                        subcats[r].add({"External": "search-external", "Internal": "search-internal"}.get(cells[1], "search-external"))
                    if tno in (4,) and len(cells) > 2 and cells[2] not in ("-", ""):
                        base_models[r] = [b.strip() for b in cells[2].split(",") if b.strip()]
                    if tno in (5, 6) and len(cells) > 1 and cells[1].lower() in ("outcome", "process", "hybrid"):
                        rewards[r].add(cells[1].lower())
                    if tno == 5 and len(cells) > 2 and cells[2] not in ("-", ""):
                        base_models[r] = [b.strip() for b in cells[2].split(",") if b.strip()]
                    if tno == 7 and len(cells) > 2:
                        if cells[1] == "RL":
                            subcats[r].add({"Static": "gui-static-rl", "Interactive": "gui-interactive-rl"}.get(cells[2], "gui-interactive-rl"))
                        elif group == "RL-free GUI Agents":
                            subcats[r].add("gui-rl-free")
                    if tno == 8 and "collaboration" not in caps[r]:
                        caps[r].add("collaboration")
            continue
        for lead, sc in PARAGRAPH_LEADS:
            if line.startswith(lead):
                subcat = sc
                break
        for lead, rw in REWARD_LEADS.items():
            if line.startswith(lead):
                reward = rw
        refs = cites_in(line)
        if not refs:
            continue
        top = section.split(".")[0]
        key2 = ".".join(section.split(".")[:2])
        for m in NAME_BEFORE.finditer(line):
            word, r = m.group(1).split()[-1], int(m.group(2))
            word = word.rstrip(".,")
            if (re.search(r"[A-Z0-9]", word[1:]) and word[0].isupper() and len(word) > 2
                    and word not in NOT_NAMES and not word.endswith("s") or word in {"VOYAGER"}):
                text_names[r].add(word)
        # Long-horizon paragraph: part (II) is segment-level preference optimisation.
        segments = [(line, subcat)]
        if subcat == "long-horizon-process-supervision" and "(II)" in line:
            a, b = line.split("(II)", 1)
            segments = [(a, subcat), (b, "long-horizon-multi-step-preference")]
        for text, sc in segments:
            for r in cites_in(text):
                if section != "0":
                    sections[r].add(section)
                if key2 in SECTION_TERMS:
                    k, t = SECTION_TERMS[key2]
                    (caps if k == "capability" else tasks)[r].add(t)
                    if sc:
                        subcats[r].add(sc)
                    if reward and top == "4":
                        rewards[r].add(reward)
                if key2 == "4.7":
                    caps[r].add("collaboration")

    out = Path(args.out)
    (out / "papers").mkdir(parents=True, exist_ok=True)
    records = []
    for n, b in sorted(bib.items()):
        records.append({
            "n": n, "bib": b, "sections": sorted(sections[n]), "tables": sorted(tables[n]),
            "capabilities": sorted(caps[n]), "tasks": sorted(tasks[n]), "subcategories": sorted(subcats[n]),
            "rewards": sorted(rewards[n]), "names": sorted(names[n]), "text_names": sorted(text_names[n] - names[n]), "base_models": base_models.get(n, []),
        })
    companion = parse_companion(src.joinpath("companion-list.md").read_text(encoding="utf-8"))
    json.dump({"records": records, "tables": {str(k): v for k, v in table_rows.items()}, "companion": companion},
              open(out / "bootstrap.json", "w"), indent=1)
    papers = build_papers(records, companion)
    for rec in papers:
        with open(out / "papers" / f"{rec['id']}.yaml", "w", encoding="utf-8") as fh:
            yaml.safe_dump(rec, fh, sort_keys=False, allow_unicode=True, width=120)
    print(f"parsed {len(bib)} bibliography entries; wrote {len(papers)} paper records and {out/'bootstrap.json'}")
    return 0


LINK = re.compile(r"\[([^\]]*)\]\(([^)]*)\)")


def parse_companion(text: str) -> list[dict]:
    """Rows of the companion list's tables: section, name, other cells, and typed links."""
    rows = []
    section = None
    header = None
    group = None
    for line in text.splitlines():
        if line.startswith("## "):
            section = line[3:].strip()
            header = None
            continue
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
            continue
        if set("".join(cells)) <= set("-: "):
            continue
        if cells[0].startswith("**") and all(not c for c in cells[1:]):
            group = cells[0].strip("*_ ")
            continue
        links = {}
        for label, url in LINK.findall(" ".join(cells[1:])):
            url = clean_url(url)
            if not url:
                continue
            kind = label.split()[0].lower()
            kind = {"blog": "paper"}.get(kind, kind)
            links.setdefault(kind, url)
        rows.append({"section": section, "group": group, "name": cells[0].strip("*"), "header": header,
                     "cells": cells, "links": links})
    return rows


def arxiv_of(url: str | None) -> str | None:
    if not url:
        return None
    m = re.search(r"arxiv\.org/(?:abs|pdf)/(\d{4}\.\d{4,5})", url)
    return m.group(1) if m else None


def name_key(name: str) -> str:
    return re.sub(r"[^a-z0-9+\u0370-\u03ff]", "", clean_name(name).lower().replace("\u2019", "'"))


# Ids chosen by hand where the automatic choice would be misleading (keyed by bibliography number).
ID_OVERRIDES = {
    2: "deepseekmath", 32: "deepseek-r1", 31: "openai-o1-system-card", 33: "openai-o3", 114: "glm-z1",
    132: "resum", 133: "context-folding", 137: "memory3", 205: "gpt-4v-system-card", 318: "golubev2025-swe-agents",
    319: "openai-codex", 369: "vattikonda2025-web-agents", 468: "l0", 508: "ellm", 509: "smac", 524: "rl-factory",
    527: "agentrl", 537: "stable-baselines3",
}


def norm_title(t: str) -> str:
    return re.sub(r"[^a-z0-9]", "", t.lower())


def build_papers(records: list[dict], companion: list[dict]) -> list[dict]:
    # 1. merge bibliography entries that are the same work: same arXiv id, OpenReview id or title
    parent = {r["n"]: r["n"] for r in records}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    first_with: dict[str, int] = {}
    for r in records:
        b = r["bib"]
        for key in (b["identifiers"].get("arxiv"), b["identifiers"].get("openreview"),
                    "t:" + norm_title(b["title_raw"]) if len(norm_title(b["title_raw"])) > 25 else None):
            if not key:
                continue
            if key in first_with:
                parent[find(r["n"])] = find(first_with[key])
            else:
                first_with[key] = r["n"]
    groups: dict[int, list[dict]] = {}
    for r in records:
        groups.setdefault(find(r["n"]), []).append(r)
    # 2. match companion rows to bibliography groups: by arXiv or OpenReview id or URL, then by name in the survey
    by_key: dict[str, int] = {}
    by_name: dict[str, set] = {}
    for k, g in groups.items():
        for r in g:
            b = r["bib"]
            for key in (b["identifiers"].get("arxiv"), b["identifiers"].get("openreview"), b["links"].get("paper")):
                if key:
                    by_key.setdefault(key, k)
            for nm in r["names"] + r["text_names"]:
                by_name.setdefault(name_key(nm), set()).add(k)
    comp_for: dict[int, list[dict]] = {}
    extra: list[dict] = []
    for row in companion:
        if row["section"] and row["section"].startswith("Citation"):
            continue
        url = row["links"].get("paper")
        orid = re.search(r"openreview\.net/(?:forum|pdf)\?id=([\w\-]+)", url or "")
        key = None
        for cand in (arxiv_of(url), orid.group(1) if orid else None, url):
            if cand and cand in by_key:
                key = by_key[cand]
                break
        if key is None:
            cands = by_name.get(name_key(row["name"]), set())
            if len(cands) == 1:
                key = next(iter(cands))
        if key is None:
            extra.append(row)
        else:
            comp_for.setdefault(key, []).append(row)
    used: set[str] = set()

    def make_id(name: str | None, b: dict) -> str:
        if name:
            base = slug(name)
        else:
            sur = b["authors"][0].split()[-1] if b["authors"] else "anon"
            words = [w for w in re.findall(r"[a-z0-9]+", b["title_raw"].lower()) if w not in SMALL][:2]
            base = slug(f"{sur}{b['year'] or ''} {' '.join(words)}")
        cand = base
        i = 2
        while cand in used:
            cand = f"{base}-{i}"
            i += 1
        used.add(cand)
        return cand

    papers = []
    for key, g in groups.items():
        b = g[0]["bib"]
        names = sorted({n for r in g for n in r["names"]} | {clean_name(c["name"]) for c in comp_for.get(key, [])})
        tnames = sorted({n for r in g for n in r["text_names"]} - set(names))
        comp_names = [clean_name(c["name"]) for c in comp_for.get(key, [])]
        pick = comp_names[0] if comp_names else (names[0] if names else (tnames[0] if len(tnames) == 1 else None))
        names = names + tnames
        override = next((ID_OVERRIDES[r["n"]] for r in g if r["n"] in ID_OVERRIDES), None)
        if override:
            used.add(override)
        pid = override or make_id(pick, b)
        rec = {"id": pid, "type": "paper", "title": title_case(b["title_raw"], names), "authors": b["authors"],
               "year": b["year"], "venue": b["venue"]}
        ids = {k: v for k, v in b["identifiers"].items() if v}
        links = dict(b["links"])
        for c in comp_for.get(key, []):
            for k, v in c["links"].items():
                if k in ("code", "model", "website") and v:
                    links.setdefault(k, v)
        if ids:
            rec["identifiers"] = ids
        if links:
            rec["links"] = links
        if names:
            rec["aliases"] = names
        rec["survey_refs"] = sorted(r["n"] for r in g)
        for fld, src in (("survey_sections", "sections"), ("survey_tables", "tables"), ("capabilities", "capabilities"),
                         ("tasks", "tasks"), ("subcategories", "subcategories")):
            vals = sorted({v for r in g for v in r[src]})
            if vals:
                rec[fld] = vals
        if comp_for.get(key):
            rec["in_companion_list"] = True
        rw = sorted({v for r in g for v in r["rewards"]})
        if len(rw) == 1:
            rec["reward_type"] = rw[0]
        elif len(rw) > 1:
            rec["reward_type"] = "hybrid"
        bm = next((r["base_models"] for r in g if r["base_models"]), None)
        if bm:
            rec["base_models"] = bm
        if len(g) > 1:
            rec["notes"] = f"The bibliography lists this work twice, as [{'] and ['.join(str(r['n']) for r in g)}]; merged into one record."
        if rec["year"] is None:
            rec.pop("year")
        if rec["venue"] is None:
            rec.pop("venue")
        papers.append(rec)
    # 3. works only the companion list names
    seen_extra: dict[str, dict] = {}
    for row in extra:
        k = arxiv_of(row["links"].get("paper")) or row["name"].lower()
        if k in seen_extra:
            for kk, v in row["links"].items():
                seen_extra[k]["links"].setdefault(kk, v)
            continue
        nm = clean_name(row["name"])
        rec = {"id": make_id(nm, {"authors": [], "year": None, "title_raw": nm}), "type": "paper",
               "title": nm, "authors": [], "links": dict(row["links"]), "aliases": [nm],
               "in_companion_list": True,
               "notes": f"Named only by the companion list (section '{row['section']}'); not in the survey's bibliography."}
        ax = arxiv_of(row["links"].get("paper"))
        if ax:
            rec["identifiers"] = {"arxiv": ax}
            rec["links"]["paper"] = f"https://arxiv.org/abs/{ax}"
            rec["venue"] = "arXiv"
        seen_extra[k] = rec
        papers.append(rec)
    return papers


if __name__ == "__main__":
    sys.exit(main())
