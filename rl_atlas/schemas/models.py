"""The record models. Field descriptions double as the catalog's reference documentation."""

from __future__ import annotations

import datetime as _dt
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

RecordId = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$", max_length=80),
    Field(description="Lower-case, hyphen-separated identifier; equal to the file name without `.yaml`. Never renamed once published."),
]
SectionRef = Annotated[
    str,
    StringConstraints(pattern=r"^[1-7](?:\.[0-9]+){0,2}$"),
    Field(description='A section number of the survey, e.g. "3.3" or "4.2.1".'),
]
Year = Annotated[int, Field(ge=1950, le=2100)]
# Length limits: generous for every real record (the longest today in brackets), small enough to stop abuse.
Name = Annotated[str, StringConstraints(max_length=200)]  # one author or alias (73)
Summary = Annotated[str, StringConstraints(max_length=2000)]  # (323)
Notes = Annotated[str, StringConstraints(max_length=5000)]  # (539)


class _Record(BaseModel):
    """Settings shared by every model: unknown fields are errors, strings are stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=False)


class Identifiers(_Record):
    """Persistent identifiers of a work. Each is checked for its format by `rl-atlas validate`."""

    arxiv: str | None = Field(None, description='arXiv identifier without version or prefix, e.g. "2503.09516" (new style) or "cs/0112017" (old style).')
    doi: str | None = Field(None, description='DOI without the resolver prefix, e.g. "10.1109/TNNLS.2024.3497992".')
    openreview: str | None = Field(None, description="OpenReview forum id, the `id=` part of an openreview.net/forum URL.")
    acl: str | None = Field(None, description='ACL Anthology id, e.g. "2025.coling-main.652".')


class Links(_Record):
    """Where to read, run or download the work. Every link is https."""

    paper: str | None = Field(None, description="The canonical page of the work (abstract page rather than PDF where one exists).")
    code: str | None = Field(None, description="The official source repository, on a code host (GitHub, GitLab, Codeberg, Bitbucket, Hugging Face).")
    model: str | None = Field(None, description="Released weights, usually a Hugging Face model or collection page.")
    website: str | None = Field(None, description="A project page, blog post or documentation site.")
    dataset: str | None = Field(None, description="Released training or evaluation data, usually a Hugging Face dataset page.")


PaperType = Literal["paper", "blog", "model", "system", "book", "website", "dataset"]
RewardType = Literal["outcome", "process", "hybrid"]
Role = Literal["method", "environment", "framework", "algorithm", "survey", "analysis", "model-report", "background"]
Training = Literal["rl", "sft", "preference", "distillation", "prompting-only", "evolution-search"]
Interaction = Literal["single-turn", "multi-turn"]
Placement = Literal["survey", "atlas"]

# Where a fact was read. One of:
#   survey:§4.1.1  survey:table-4  survey:fig-4        the survey's section, table or figure
#   survey:ref-481                                    the survey's bibliography entry [481]
#   companion-list                                    the survey authors' companion list
#   arxiv:2503.09516                                  the arXiv abstract page
#   arxiv-html:2503.09516v3                           the arXiv full text (HTML) of that version
#   openreview:ID                                     an OpenReview forum page
#   readme:https://github.com/owner/repo              the official repository's README
#   venue:https://...                                 the proceedings or journal page
#   web:https://...                                   another page (project page, model card, blog)
#   atlas                                             the atlas's own judgement (e.g. a role or placement)
SOURCE_PATTERN = (
    r"^(survey:(§[1-7](\.[0-9]+){0,2}|table-(10|[1-9])|fig-[0-9]+|ref-[0-9]{1,3})"
    r"|companion-list|atlas"
    r"|arxiv:([0-9]{4}\.[0-9]{4,5}|[a-z-]+(\.[A-Z]{2})?/[0-9]{7})"
    r"|arxiv-html:[0-9]{4}\.[0-9]{4,5}v[0-9]+"
    r"|openreview:[A-Za-z0-9_-]+"
    r"|(readme|venue|web):https://\S+)$"
)
_SOURCE_RE = re.compile(SOURCE_PATTERN)
SOURCE_FORMS = ("survey:§4.1.1, survey:table-4, survey:fig-4, survey:ref-481, companion-list, arxiv:ID, arxiv-html:IDvN, "
                "openreview:ID, readme:https://..., venue:https://..., web:https://..., atlas")
Source = Annotated[str, StringConstraints(max_length=500), Field(description=f"Where a fact was read: one of {SOURCE_FORMS}.")]
# The fields whose provenance is recorded.
PROVENANCE_FIELDS = ("role", "training", "algorithms", "reward_type", "base_models", "environments", "frameworks",
                     "interaction", "links", "venue", "capabilities", "tasks", "subcategories", "title", "authors", "year")

_SIZE = re.compile(r"^[0-9]+(\.[0-9]+)?[BMT](-A[0-9]+(\.[0-9]+)?B)?$")


class BaseModelRef(_Record):
    """A base LLM a work trains or fine-tunes, normalised: `{family: Qwen2.5, size: 7B, variant: Instruct}`."""

    family: str = Field(min_length=1, max_length=60, description='Model family with its version, as its makers write it: "Qwen2.5", "Qwen2.5-VL", "Qwen2.5-Coder", "Llama-3.1", "DeepSeek-R1-Distill-Qwen", "QwQ".')
    size: str | None = Field(None, description='Parameter count: "7B", "0.5B", "30B-A3B" (total and active for a mixture of experts).')
    variant: str | None = Field(None, max_length=60, description='"Base", "Instruct", "Chat", "Zero", ... as the model card names it; empty when the source does not say.')

    @field_validator("size")
    @classmethod
    def _size_form(cls, v: str | None) -> str | None:
        if v is not None and not _SIZE.match(v):
            raise ValueError('size must look like "7B", "0.5B", "350M" or "30B-A3B"')
        return v

    def __str__(self) -> str:
        return "-".join(x for x in (self.family, self.size, self.variant) if x)


class Paper(_Record):
    """Any work the survey or its companion list cites: a paper, a blog post, a model card, a system, a book, a website or a dataset."""

    id: RecordId
    type: PaperType = Field("paper", description="What kind of work this is.")
    title: str = Field(min_length=3, max_length=300, description="Title with its original casing restored (method names and acronyms as their authors write them).")
    authors: list[Name] = Field(default_factory=list, max_length=3000, description='Authors as "Given Family", in order. An "et al." in the source is kept as the last entry "others".')
    year: Year | None = Field(None, description="Year of the version the survey cites.")
    venue: str | None = Field(None, description='Where the work was published: "arXiv" for preprints, otherwise the conference or journal short name (e.g. "NeurIPS", "ICLR", "ACL", "TMLR"); a workshop keeps its full name. Updated when a preprint is accepted.')
    venue_year: Year | None = Field(None, description="Year of the venue (the conference or journal issue) when it differs from `year` or `venue` is not arXiv.")
    identifiers: Identifiers = Field(default_factory=Identifiers)
    links: Links = Field(default_factory=Links)
    aliases: list[Name] = Field(default_factory=list, max_length=50, description='Other names the work goes by, usually its method name ("Search-R1").')
    survey_refs: list[int] = Field(default_factory=list, description="Numbers of the survey's bibliography entries that cite this work (two when the bibliography lists it twice).")
    survey_sections: list[SectionRef] = Field(default_factory=list, description="Sections of the survey whose text cites the work.")
    survey_tables: list[int] = Field(default_factory=list, description="Tables of the survey (1-10) that list the work.")
    survey_cites_as: list[int] = Field(default_factory=list, description="Bibliography numbers the survey attaches to this work although the entry itself describes another work (a mis-citation); the number stays in the other record's survey_refs.")
    survey_figures: list[int] = Field(default_factory=list, description="Figures of the survey that name the work (4: the capability wheel, 6: the tree of domain-specific methods).")
    in_companion_list: bool = Field(False, description="Whether the authors' companion list names the work.")
    capabilities: list[RecordId] = Field(default_factory=list, description="Capability terms, derived from the sections and tables that discuss the work.")
    tasks: list[RecordId] = Field(default_factory=list, description="Task-domain terms, derived from the sections and tables that discuss the work.")
    subcategories: list[RecordId] = Field(default_factory=list, description="Sub-category ids of the capability or task terms above.")
    role: Role | None = Field(None, description="What the work contributes: a method, an environment or benchmark, a framework, an algorithm, a survey, an analysis or position paper, a model or product report, or background (earlier work the field builds on).")
    training: list[Training] = Field(default_factory=list, description="What a method does to its model: rl, sft, preference (DPO-style), distillation, prompting-only (no weights change) or evolution-search.")
    interaction: Interaction | None = Field(None, description="single-turn (one response per episode) or multi-turn (the policy acts, observes the environment and acts again).")
    algorithms: list[RecordId] = Field(default_factory=list, description="Algorithm records the work trains with or introduces, where the sources say so.")
    reward_type: RewardType | None = Field(None, description="Outcome, process or hybrid reward; only for works that train with RL.")
    base_models: list[BaseModelRef] = Field(default_factory=list, description="Base LLMs the work trains or fine-tunes, normalised into family, size and variant.")
    environments: list[RecordId] = Field(default_factory=list, description="Environment and benchmark records the work trains or evaluates on.")
    frameworks: list[RecordId] = Field(default_factory=list, description="Framework records the work is built on.")
    related: list[RecordId] = Field(default_factory=list, description="Other paper records of the same project (a follow-up, a blog post and its report) that legitimately share a code or website link with this one.")
    summary: Summary | None = Field(None, description="One or two sentences, in the project's own words, on what the work does.")
    notes: Notes | None = Field(None, description="Curation notes: where the sources disagreed and what was decided.")
    placement: Placement = Field("survey", description="Who placed the work in the taxonomy: `survey` (its sections, tables and figures) or `atlas` (the atlas's curators, from the paper's own abstract and method, for works the survey does not cite).")
    added: _dt.date | None = Field(None, description="When the record was added to the atlas (ISO date).")
    provenance: dict[str, list[Source]] = Field(default_factory=dict, description="Where each typed fact was read: field name -> sources, e.g. `algorithms: [arxiv-html:2503.09516v3]`.")

    @field_validator("provenance")
    @classmethod
    def _provenance_fields(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        unknown = sorted(set(v) - set(PROVENANCE_FIELDS))
        if unknown:
            raise ValueError(f"provenance for unknown field(s) {', '.join(unknown)}; allowed: {', '.join(PROVENANCE_FIELDS)}")
        bad = [src for sources in v.values() for src in sources if not _SOURCE_RE.match(src)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a source; use one of {SOURCE_FORMS}")
        return v


class Subcategory(_Record):
    """A sub-category of a capability or a task domain."""

    id: RecordId
    name: str
    definition: str = Field(min_length=10, description="What the sub-category covers, in the project's own words.")
    survey_sections: list[SectionRef] = Field(default_factory=list)
    placement: Placement = Field("survey", description="`atlas` for a sub-category the atlas added for works the survey does not cover.")


class TaxonomyTerm(_Record):
    """A capability (what an agent can do) or a task domain (where it is applied), with its sub-categories."""

    id: RecordId
    kind: Literal["capability", "task"]
    name: str
    order: int = Field(0, description="Position in menus and tables.")
    definition: str = Field(min_length=20, description="What the term means, in the project's own words.")
    survey_sections: list[SectionRef] = Field(default_factory=list)
    survey_tables: list[int] = Field(default_factory=list)
    subcategories: list[Subcategory] = Field(default_factory=list)
    implementation: str | None = Field(None, description="Path of the reference implementation of the RL mechanism behind the term, if one exists.")


class Environment(_Record):
    """An environment or benchmark. Title, authors and links live in the paper record it points to."""

    id: RecordId
    name: str
    paper: RecordId = Field(description="The paper record that introduced the environment.")
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    capabilities: list[RecordId] = Field(default_factory=list, description="Capabilities it exercises (the survey's Table 9 marks).")
    tasks: list[RecordId] = Field(default_factory=list, description="Task-domain terms it belongs to.")
    domains: list[str] = Field(default_factory=list, description='The finer task domain as the sources name it ("Web", "SWE", "Text Games").')
    modality: list[Literal["text", "visual", "audio"]] = Field(default_factory=list)
    survey_sections: list[SectionRef] = Field(default_factory=list)
    survey_tables: list[int] = Field(default_factory=list)
    summary: Summary | None = Field(None, description="One or two sentences in the project's own words.")
    notes: Notes | None = None


class Framework(_Record):
    """A training framework. Title, authors and links live in the paper record it points to."""

    id: RecordId
    name: str
    paper: RecordId = Field(description="The paper (or system/website record) that introduced the framework.")
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    category: Literal["agentic-rl", "rlhf", "general-rl"] = Field(description="Group in the survey's Table 10.")
    framework_type: list[str] = Field(default_factory=list, description='Type labels as the sources give them ("Agent RL", "LLM RL", "Multi-agent RL").')
    features: list[str] = Field(default_factory=list, description="Key features, as short labels.")
    survey_sections: list[SectionRef] = Field(default_factory=list)
    survey_tables: list[int] = Field(default_factory=list)
    summary: Summary | None = None
    notes: Notes | None = None


class Algorithm(_Record):
    """An RL or preference-optimisation algorithm: the rows of the survey's Table 2 and the companion list."""

    id: RecordId
    name: str
    paper: RecordId = Field(description="The paper record that introduced the algorithm.")
    aliases: list[Name] = Field(default_factory=list, max_length=50)
    year: Year | None = Field(None, description="Year of the paper that introduced the algorithm (`rl-atlas validate` checks that it equals that record's year).")
    family: Literal["reinforce", "ppo", "dpo", "grpo", "other"] = Field(description="The family of Table 2 the algorithm belongs to; `other` for RL outside those four (value-based methods such as Q-learning or IQL, GFlowNets, evolution strategies).")
    objective_type: str | None = Field(None, description="Table 2's objective type.")
    clip: bool | None = Field(None, description="Whether the policy ratio is clipped.")
    kl_penalty: Literal["yes", "no", "adaptive", "scaled"] | None = Field(None, description="Whether a KL penalty to a reference policy is used.")
    mechanism: str | None = Field(None, description="Key mechanism, as a short label.")
    signal: str | None = Field(None, description="The learning signal, as a short label.")
    derives_from: list[RecordId] = Field(default_factory=list, description="Algorithms this one modifies or extends.")
    survey_tables: list[int] = Field(default_factory=list)
    implementation: str | None = Field(None, description="`path::function` of the reference implementation in this repository, if any.")
    summary: Summary | None = None
    notes: Notes | None = None


KINDS: dict[str, type[_Record]] = {
    "papers": Paper,
    "environments": Environment,
    "frameworks": Framework,
    "algorithms": Algorithm,
    "taxonomy": TaxonomyTerm,
}
