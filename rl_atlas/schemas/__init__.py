"""Pydantic models of the catalog's record kinds.

Every YAML file under `catalog/<kind>/<id>.yaml` is one record of one of these models. The field docstrings
(`description=`) are exported into the JSON Schemas under `schemas/`, so editors with a YAML language server
complete and check records while they are typed (`rl-atlas schema --write`).
"""

from .models import (
    KINDS,
    Algorithm,
    Environment,
    Framework,
    Identifiers,
    Links,
    Paper,
    Subcategory,
    TaxonomyTerm,
)

__all__ = [
    "KINDS",
    "Algorithm",
    "Environment",
    "Framework",
    "Identifiers",
    "Links",
    "Paper",
    "Subcategory",
    "TaxonomyTerm",
]
