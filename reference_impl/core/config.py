"""Command-line flags from a config dataclass, shared by every runnable script.

Each field becomes `--field-name`; its help text is the field's `metadata["help"]` or, failing that, the
docstring written under the attribute. Booleans take `--flag/--no-flag`. A script may pass a `quick`
preset: `--quick` applies it first, and flags given explicitly still win over it.
"""

from __future__ import annotations

import argparse
import ast
import dataclasses
import inspect
import textwrap
import types
import typing


def _attribute_docs(cls) -> dict[str, str]:
    try:
        body = ast.parse(textwrap.dedent(inspect.getsource(cls))).body[0].body
    except (OSError, TypeError):
        return {}
    return {a.target.id: b.value.value for a, b in zip(body, body[1:])
            if isinstance(a, ast.AnnAssign) and isinstance(a.target, ast.Name)
            and isinstance(b, ast.Expr) and isinstance(getattr(b, "value", None), ast.Constant)}


def _base_type(tp):
    """`float | None` -> float; `bool` -> bool."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        return args[0] if len(args) == 1 else str
    return tp


def parse_config(cls, argv: list[str] | None = None, description: str | None = None, quick: dict | None = None,
                 full: dict | None = None, quick_hf: dict | None = None):
    """Build `cls` from command-line flags (see the module docstring). `full` is a preset applied without --quick;
    `quick_hf` is laid over `quick` when the flags also say --policy hf. Flags given explicitly always win."""
    hints = typing.get_type_hints(cls)
    docs = _attribute_docs(cls)
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    for f in dataclasses.fields(cls):
        flag = "--" + f.name.replace("_", "-")
        help_text = f.metadata.get("help") or docs.get(f.name) or " "
        tp = _base_type(hints[f.name])
        if tp is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=None, help=help_text)
        else:
            parser.add_argument(flag, type=tp if tp in (int, float, str) else str, default=None, help=help_text)
    given = {k: v for k, v in vars(parser.parse_args(argv)).items() if v is not None}
    cfg = cls()
    preset = quick if given.get("quick") else full
    if given.get("quick") and quick_hf and given.get("policy") == "hf":
        preset = {**(quick or {}), **quick_hf}
    if preset:
        cfg = dataclasses.replace(cfg, **preset)
    return dataclasses.replace(cfg, **given)
