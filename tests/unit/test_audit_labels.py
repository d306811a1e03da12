"""Every action code the system records has a German label for the Protokoll.

The codes are found in the source: string literals passed after a `ctx` (as in
`audit.record(ctx, "case_file.read")` or `require_case_file(ctx, id, …, "case_file.read")`),
as `action=`, assigned to `action`, or given to the audit functions directly.
"""

from __future__ import annotations

import ast
import pathlib
import re

import eakte
from eakte.web.audit_labels import ACTION_LABELS, action_for

SOURCE = pathlib.Path(eakte.__file__).parent
CODE = re.compile(r"^[a-z_]+(\.[a-z_]+)*$")
AUDIT_FUNCTIONS = {"record", "deny", "not_found", "record_in_case_file"}
# Literals the scan meets in such calls that are not actions (`what` of refuse_own, a log field).
NOT_ACTIONS = {"account", "memberships", "actor"}


def _is_ctx(node: ast.expr) -> bool:
    return (isinstance(node, ast.Name) and node.id == "ctx") or (
        isinstance(node, ast.Attribute) and node.attr == "ctx"
    )


def _candidates(tree: ast.AST) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            if node.args and _is_ctx(node.args[0]):
                found += node.args[1:]
            elif name in AUDIT_FUNCTIONS and len(node.args) > 1:
                found.append(node.args[1])
            found += [k.value for k in node.keywords if k.arg == "action"]
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "action" for target in node.targets
        ):
            found.append(node.value)
    return found


def recorded_actions() -> set[str]:
    codes = set()
    for path in SOURCE.rglob("*.py"):
        for node in _candidates(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and CODE.match(str(node.value)):
                codes.add(str(node.value))
    return codes - NOT_ACTIONS


def test_every_recorded_action_has_a_german_label() -> None:
    codes = recorded_actions()
    assert len(codes) > 60  # the scan still finds the use cases
    assert {"case_file.read", "document.download", "auth.token", "demo.load", "search"} <= codes
    assert sorted(codes - set(ACTION_LABELS)) == []


def test_no_label_is_left_for_a_code_nobody_records() -> None:
    assert sorted(set(ACTION_LABELS) - recorded_actions()) == []


def test_labels_are_unique_so_a_label_names_one_action() -> None:
    labels = [label.casefold() for label in ACTION_LABELS.values()]
    assert len(labels) == len(set(labels))
    assert action_for("akte gelesen") == "case_file.read"
    assert action_for("case_file.read") == "case_file.read"
    assert action_for("Akte gelsen") is None
