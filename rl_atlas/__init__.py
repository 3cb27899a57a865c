"""Agentic RL Atlas: a validated catalog of agentic-RL works, with query, export and graph tools."""

from .catalog import Catalog, load_catalog
from .problems import CODES, Problem

__version__ = "0.1.0"
__all__ = ["CODES", "Catalog", "Problem", "load_catalog", "__version__"]
