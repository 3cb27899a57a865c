"""Readable labels for the catalog's ids, and links for the sources a fact was read from.

    label(ROLE, "model-report")         -> "Model or product report"
    source_link("survey:§4.1.1")        -> ("survey §4.1.1", "https://arxiv.org/html/2509.02547#S4.SS1.SSS1")
    survey_section_url("4.1")           -> "https://arxiv.org/html/2509.02547#S4.SS1"

Survey anchors follow the ids that arXiv's HTML renderer (LaTeXML) gives sections (`S4.SS1.SSS1`) and
bibliography entries (`bib.bib481`); tables and figures link to the page itself.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

SURVEY_HTML = "https://arxiv.org/html/2509.02547"

ROLE = {"method": "Method", "environment": "Environment or benchmark", "framework": "Framework", "algorithm": "Algorithm",
        "survey": "Survey", "analysis": "Analysis or position paper", "model-report": "Model or product report",
        "background": "Background"}
TRAINING = {"rl": "RL", "sft": "SFT", "preference": "Preference optimisation", "distillation": "Distillation",
            "prompting-only": "Prompting only (no weights change)", "evolution-search": "Evolutionary search"}
INTERACTION = {"single-turn": "Single-turn", "multi-turn": "Multi-turn"}
REWARD = {"outcome": "Outcome reward", "process": "Process reward", "hybrid": "Outcome and process reward"}
PLACEMENT = {"survey": "Placed by the survey", "atlas": "Added by the atlas (not cited by the survey)"}
FRAMEWORK_CATEGORY = {"agentic-rl": "Agentic RL", "rlhf": "RLHF", "general-rl": "General RL"}
FAMILY = {"reinforce": "REINFORCE", "ppo": "PPO", "grpo": "GRPO", "dpo": "DPO"}
KL = {"yes": "yes", "no": "no", "adaptive": "adaptive", "scaled": "scaled"}


def label(table: dict[str, str], value) -> str:
    """The readable label of `value`, or the value itself when the table does not know it."""
    return table.get(value, str(value)) if value is not None else ""


def survey_section_url(section: str) -> str:
    parts = str(section).split(".")
    anchor = ".".join(prefix + n for prefix, n in zip(("S", "SS", "SSS"), parts))
    return f"{SURVEY_HTML}#{anchor}"


def survey_ref_url(ref: int) -> str:
    return f"{SURVEY_HTML}#bib.bib{int(ref)}"


_SURVEY = re.compile(r"^survey:(?:§(?P<sec>[0-9.]+)|table-(?P<table>[0-9]+)|fig-(?P<fig>[0-9]+)|ref-(?P<ref>[0-9]+))$")


def source_link(source: str) -> tuple[str, str | None]:
    """(text, URL or None) for one provenance source (see rl_atlas.schemas.models.SOURCE_PATTERN)."""
    m = _SURVEY.match(source)
    if m:
        if m["sec"]:
            return f"survey §{m['sec']}", survey_section_url(m["sec"])
        if m["table"]:
            return f"survey Table {m['table']}", SURVEY_HTML
        if m["fig"]:
            return f"survey Figure {m['fig']}", SURVEY_HTML
        return f"survey ref. [{m['ref']}]", survey_ref_url(int(m["ref"]))
    if source == "companion-list":
        return "the survey authors' companion list", None
    if source == "atlas":
        return "the atlas's curators", None
    kind, _, rest = source.partition(":")
    if kind == "arxiv":
        return "arXiv abstract", f"https://arxiv.org/abs/{rest}"
    if kind == "arxiv-html":
        return f"arXiv full text v{rest.rsplit('v', 1)[-1]}", f"https://arxiv.org/html/{rest}"
    if kind == "openreview":
        return "OpenReview", f"https://openreview.net/forum?id={rest}"
    if kind in ("readme", "venue", "web"):
        host = urlsplit(rest).netloc or rest
        return {"readme": "README", "venue": "proceedings", "web": host}[kind], rest
    return source, None
