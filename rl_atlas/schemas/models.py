"""The record models. Field descriptions double as the catalog's reference documentation."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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


PaperType = Literal["paper", "blog", "model", "system", "book", "website", "dataset"]
RewardType = Literal["outcome", "process", "hybrid"]


class Paper(_Record):
    """Any work the survey or its companion list cites: a paper, a blog post, a model card, a system, a book, a website or a dataset."""

    id: RecordId
    type: PaperType = Field("paper", description="What kind of work this is.")
    title: str = Field(min_length=3, max_length=300, description="Title with its original casing restored (method names and acronyms as their authors write them).")
    authors: list[Name] = Field(default_factory=list, max_length=3000, description='Authors as "Given Family", in order. An "et al." in the source is kept as the last entry "others".')
    year: Year | None = Field(None, description="Year of the version the survey cites.")
    venue: str | None = Field(None, description='Normalised venue: "arXiv" for preprints, otherwise the conference or journal short name (e.g. "NeurIPS", "ICLR", "ACL", "TMLR").')
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
    algorithms: list[RecordId] = Field(default_factory=list, description="Algorithm records the work trains with or introduces, where the sources say so.")
    reward_type: RewardType | None = Field(None, description="Outcome, process or hybrid reward, where the sources say so.")
    base_models: list[str] = Field(default_factory=list, description="Base LLMs the work trains, as the sources list them.")
    environments: list[RecordId] = Field(default_factory=list, description="Environment records the work is evaluated on.")
    frameworks: list[RecordId] = Field(default_factory=list, description="Framework records the work is built on.")
    related: list[RecordId] = Field(default_factory=list, description="Other paper records of the same project (a follow-up, a blog post and its report) that legitimately share a code or website link with this one.")
    summary: Summary | None = Field(None, description="One or two sentences, in the project's own words, on what the work does.")
    notes: Notes | None = Field(None, description="Curation notes: where the sources disagreed and what was decided.")


class Subcategory(_Record):
    """A sub-category of a capability or a task domain."""

    id: RecordId
    name: str
    definition: str = Field(min_length=10, description="What the sub-category covers, in the project's own words.")
    survey_sections: list[SectionRef] = Field(default_factory=list)


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
    year: Year | None = Field(None, description="Year as Table 2 gives it.")
    family: Literal["reinforce", "ppo", "dpo", "grpo"] = Field(description="The family of Table 2 the algorithm belongs to.")
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
