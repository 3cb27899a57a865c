"""Algorithm records point at the function implementing them, and each objective module names its records."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _module_info(path: Path) -> tuple[set[str], set[str]]:
    tree = ast.parse(path.read_text())
    funcs = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    declared: set[str] = set()
    for n in tree.body:
        if isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("ALGORITHM", "ALGORITHMS") for t in n.targets):
            value = ast.literal_eval(n.value)
            if value is not None:  # `ALGORITHM = None`: a baseline objective with no catalog record (rft.py)
                declared |= {value} if isinstance(value, str) else set(value)
    return funcs, declared


def test_implementation_links_resolve_both_ways(real_catalog):
    linked = [a for a in real_catalog.algorithms.values() if a.implementation]
    assert len(linked) >= 10
    for a in linked:
        path, _, func = a.implementation.partition("::")
        file = ROOT / path
        assert file.is_file(), f"{a.id}: {path} does not exist"
        funcs, declared = _module_info(file)
        if func:
            assert func in funcs, f"{a.id}: {path} defines no function {func}"
        assert a.id in declared, f"{path} does not name the catalog record {a.id!r} in ALGORITHM/ALGORITHMS"


def test_every_objective_module_names_existing_records(real_catalog):
    for file in sorted((ROOT / "reference_impl" / "objectives").glob("*.py")):
        if file.name == "__init__.py":
            continue
        _, declared = _module_info(file)
        if "ALGORITHM = None" in file.read_text():
            continue  # says outright that it implements no catalogued algorithm
        assert declared, f"{file.name} names no catalog algorithm record"
        assert declared <= set(real_catalog.algorithms), f"{file.name}: {declared - set(real_catalog.algorithms)}"


def test_capability_terms_link_to_their_runnable_script(real_catalog):
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT))
    from reference_impl.registry import RUNS

    for cid, term in real_catalog.capabilities.items():
        assert term.implementation, cid
        assert (ROOT / term.implementation).is_file(), term.implementation
        module = RUNS[cid][0]
        assert term.implementation == module.replace(".", "/") + ".py"
        assert importlib.util.find_spec(module) is not None
