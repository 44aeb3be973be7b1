"""The tree sits below members and the capabilities: nothing in `federation` imports
them (models are reached by name, `apps.get_model`, where the policy needs them), and
the demo, which imports everything, lives in its own app above all of them."""

import ast
from pathlib import Path

import federation

# Infrastructure that every layer may use; anything else of `organising` is a
# capability that sits above the tree.
ALLOWED_ORGANISING = {
    "organising.audit",
    "organising.cached",
    "organising.collation",
    "organising.live",
    "organising.web",
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module == "organising":
                names.update(f"organising.{alias.name}" for alias in node.names)
            else:
                names.add(node.module)
    return names


def test_federation_imports_neither_members_nor_capabilities():
    root = Path(federation.__file__).parent
    upward = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "members" or (
                top == "organising"
                and not any(
                    name == allowed or name.startswith(allowed + ".")
                    for allowed in ALLOWED_ORGANISING
                )
            ):
                upward.setdefault(str(path.relative_to(root)), []).append(name)
    assert upward == {}


def test_the_demo_command_lives_above_the_apps_it_seeds():
    from django.core.management import get_commands

    assert get_commands()["seed_demo"] == "organising.demo"
