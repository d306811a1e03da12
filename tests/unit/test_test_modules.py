"""No test module imports another: what tests share lives in support modules.

A test module imported elsewhere runs its fixtures and module-level code twice and ties
unrelated suites together; helpers go into tests/helpers.py, tests/town.py or a
suite's support.py.
"""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).resolve().parent.parent


def _is_test_module(dotted: str) -> bool:
    return any(part.startswith("test_") for part in dotted.split("."))


def imported_test_modules(path: Path) -> list[str]:
    """The test modules `path` imports (also inside functions), as `line: module`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = ("." * node.level) + (node.module or "")
            names = [base] if _is_test_module(base) else [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        found += [f"{node.lineno}: {name}" for name in names if _is_test_module(name)]
    return sorted(found, key=lambda entry: int(entry.split(":")[0]))


def test_no_test_module_imports_another_test_module():
    offenders = {
        str(path.relative_to(TESTS.parent)): imports
        for path in sorted(TESTS.rglob("*.py"))
        if (imports := imported_test_modules(path))
    }
    assert offenders == {}, "move the shared helpers into a support module: " + repr(offenders)


def test_the_check_sees_both_kinds_of_import(tmp_path):
    module = tmp_path / "test_example.py"
    module.write_text(
        "from tests.api.test_search import drain\n"
        "def f():\n"
        "    import tests.web.test_sign_in\n"
        "from tests.api import test_documents\n"
        "from tests.api.support import upload\n"
    )
    assert imported_test_modules(module) == [
        "1: tests.api.test_search",
        "3: tests.web.test_sign_in",
        "4: tests.api.test_documents",
    ]
