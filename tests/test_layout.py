"""The house's import rule: imports run one way, from the API and the CLI through alerts, search
and ingestion to the store, and the store to nothing of Byline's but settings and problems.

Every import of every module is checked, those inside functions and under ``TYPE_CHECKING``
too: a lazy import is still a dependency.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"

# Each part and the parts it may import besides itself. The package root (``app``: the
# version), settings and the problem types are the ground every part stands on.
GROUND = {"app", "app.settings", "app.problems"}
MAY_IMPORT: dict[str, set[str]] = {
    "ground": set(),
    "store": {"ground"},
    "ingestion": {"ground", "store"},
    "search": {"ground", "store"},
    "alerts": {"ground", "store", "search"},
    "api": {"ground", "store", "search", "ingestion", "alerts"},
    "cli": {"ground", "store", "search", "ingestion", "alerts", "api"},
    "entry": {"cli"},  # app/__main__.py
}


def part_of(module: str) -> str:
    if module == "app" or any(
        module == ground or module.startswith(f"{ground}.") for ground in GROUND - {"app"}
    ):
        return "ground"
    if module == "app.__main__":
        return "entry"
    return module.split(".")[1]


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(path: Path) -> set[str]:
    """The modules of Byline that ``path`` imports, wherever in the file."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # ``from app.store import listing`` imports the module app.store.listing.
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {name for name in found if name == "app" or name.startswith("app.")}


def known(module: str) -> bool:
    relative = Path(*module.split("."))
    return (ROOT / relative).with_suffix(".py").is_file() or (ROOT / relative).is_dir()


MODULES = sorted(APP.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_a_module_imports_only_the_parts_below_it(path: Path) -> None:
    name = module_name(path)
    part = part_of(name)
    allowed = MAY_IMPORT[part] | {part}
    wrong = sorted(
        target for target in imported(path) if known(target) and part_of(target) not in allowed
    )
    assert not wrong, f"{name} ({part}) may import only {sorted(allowed)}, not {wrong}"


def test_every_part_is_declared_and_says_what_it_owns() -> None:
    for package in sorted(path for path in APP.iterdir() if (path / "__init__.py").is_file()):
        assert package.name in MAY_IMPORT, f"app/{package.name} is in no part of the import rule"
        docstring = ast.get_docstring(ast.parse((package / "__init__.py").read_text()))
        assert docstring, f"app/{package.name}/__init__.py says nothing of what it owns"


def test_migrations_import_nothing_from_the_app() -> None:
    # A migration must do the same thing whatever the app's code becomes; only the environment
    # reads the store's tables (for autogenerate) and settings.
    for path in sorted((ROOT / "migrations" / "versions").glob("*.py")):
        assert not imported(path), f"{path.name} imports {sorted(imported(path))}"
    environment = imported(ROOT / "migrations" / "env.py")
    assert all(part_of(name) in {"ground", "store"} for name in environment), environment


def test_the_rule_sees_a_wrong_import(tmp_path: Path) -> None:
    # A store module that imported the API would be caught.
    module = tmp_path / "module.py"
    module.write_text("def f():\n    from app.api.links import article_url\n")
    assert imported(module) == {"app.api.links", "app.api.links.article_url"}
    assert part_of("app.api.links") not in MAY_IMPORT["store"]
