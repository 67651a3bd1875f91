"""The package's layers, read from the source: arrows point down, and heavy libraries load lazily.

* core (the modules directly in ``ptcourse/``, except ``cli``/``__main__``) imports only torch and the
  standard library, and never ``ptcourse.toy`` or ``ptcourse.course``;
* ``ptcourse.toy`` imports the core (and torch, the standard library), never ``ptcourse.course``;
* ``ptcourse.course`` imports the core and the toy, and matplotlib / ipywidgets only inside functions
  (except ``viz``, the pictures module, which is only ever imported on purpose);
* ``ptcourse/__init__.py`` and ``ptcourse/course/__init__.py`` load nothing beyond the core eagerly.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "ptcourse"
STDLIB = set(sys.stdlib_module_names) | {"__future__"}
ENTRY = {"cli.py", "__main__.py"}  # the command line sits above every layer and imports lazily


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def imports(path: Path, top_level_only: bool = False, name: str | None = None) -> set[str]:
    """Absolute names of everything `path` (module `name`) imports, relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    name = name or module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = list(ast.walk(tree))
    if top_level_only:  # module level, including under `if` / `try`, but not inside functions
        nodes = [n for stmt in tree.body for n in ast.walk(stmt) if not _in_function(stmt, n)]
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found.update(f"{mod}.{a.name}" for a in node.names)  # `from ptcourse import toy`
    return found


def _in_function(stmt: ast.AST, node: ast.AST) -> bool:
    if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return True
    for child in ast.walk(stmt):
        if child is not stmt and isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(n is node for n in ast.walk(child)):
                return True
    return False


def layer(name: str) -> str:
    if name.startswith("ptcourse.toy"):
        return "toy"
    if name.startswith("ptcourse.course"):
        return "course"
    if name in ("ptcourse.cli", "ptcourse.__main__"):
        return "entry"
    return "core"


def sources(which: str) -> list[Path]:
    return [p for p in sorted(PKG.rglob("*.py")) if layer(module_name(p)) == which]


def _ptcourse_layer(name: str) -> str | None:
    """The layer of an imported `ptcourse...` name (attribute imports of the top package count as core)."""
    if name == "ptcourse" or not name.startswith("ptcourse."):
        return "core" if name == "ptcourse" else None
    sub = name.split(".")[1]
    if sub in ("toy", "course", "cli", "__main__"):
        return layer(f"ptcourse.{sub}")
    if sub in ("check", "dials", "doctor", "glue", "student", "viz", "widgets"):
        return "course"  # the short aliases of course modules
    return "core"


def violations(
    path: Path, allowed_layers: set[str], allowed_third_party: set[str], name: str | None = None
) -> list[str]:
    """One line per import of `path` that leaves the allowed layers or third-party packages."""
    bad = []
    who = name or module_name(path)
    for name in sorted(imports(path, name=who)):
        top = name.split(".")[0]
        if top == "ptcourse":
            lay = _ptcourse_layer(name)
            if lay not in allowed_layers:
                bad.append(f"{who} imports {name} ({lay} layer)")
        elif top not in STDLIB and top not in allowed_third_party:
            bad.append(f"{who} imports {name}")
    return bad


def test_layers_exist():
    """`ptcourse/` holds the core flat, plus the `toy` and `course` subpackages."""
    assert (PKG / "toy" / "__init__.py").is_file() and (PKG / "course" / "__init__.py").is_file()
    assert len(sources("core")) >= 7 and sources("toy") and sources("course")


@pytest.mark.parametrize("path", sources("core"), ids=lambda p: p.name)
def test_core_imports_only_torch_and_the_standard_library(path):
    """A core module imports torch, the standard library and other core modules only."""
    assert violations(path, {"core"}, {"torch"}) == []


@pytest.mark.parametrize("path", sources("toy"), ids=lambda p: p.name)
def test_toy_imports_only_the_core(path):
    """A toy-world module imports torch, the standard library, the core and the toy, never the course."""
    assert violations(path, {"core", "toy"}, {"torch"}) == []


@pytest.mark.parametrize("path", sources("course"), ids=lambda p: p.name)
def test_course_never_imports_the_command_line(path):
    """A course module may use the core and the toy, and never imports the command line above it."""
    assert not [v for v in violations(path, {"core", "toy", "course"}, set()) if "entry layer" in v]


@pytest.mark.parametrize(
    "path",
    [PKG / "__init__.py", PKG / "course" / "__init__.py", *sources("core"), *sources("toy")]
    + [p for p in sources("course") if p.name not in ("viz.py",)],
    ids=lambda p: module_name(p),
)
def test_heavy_libraries_load_lazily(path):
    """No module but `viz` imports matplotlib, ipywidgets or hypothesis at module level."""
    eager = {n.split(".")[0] for n in imports(path, top_level_only=True)}
    assert not eager & {"matplotlib", "ipywidgets", "hypothesis", "IPython"}, sorted(eager)


def test_checker_finds_a_core_module_importing_the_toy_world(tmp_path):
    """The rule can fail: a core module importing the toy world, the course or matplotlib is reported."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import matplotlib\nfrom .toy import TinyLM\nfrom ptcourse.course import check\n"
    )
    bad = violations(probe, {"core"}, {"torch"}, name="ptcourse.probe")
    assert any("imports matplotlib" in b for b in bad), bad
    assert any("ptcourse.toy (toy layer)" in b for b in bad), bad
    assert any("ptcourse.course (course layer)" in b for b in bad), bad


def test_course_modules_are_attributes_but_not_import_aliases():
    """`ptcourse.check` and `from ptcourse import viz` give the `course/` modules; `import ptcourse.glue`
    does not (no import hook: a module is imported by its real name, `ptcourse.course.glue`)."""
    import importlib

    import ptcourse
    import ptcourse.course.check

    assert ptcourse.check is ptcourse.course.check
    from ptcourse import viz

    assert viz is importlib.import_module("ptcourse.course.viz")
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("ptcourse.glue")
    with pytest.raises(AttributeError):
        ptcourse.no_such_module  # noqa: B018


def _submodules(package: Path) -> list[str]:
    names = [p.stem for p in package.glob("*.py") if p.stem != "__init__"]
    return names + [p.name for p in package.iterdir() if (p / "__init__.py").is_file()]


_KNOWN_CLASHES: dict[str, set[str]] = {}  # none: the core's entropy lives in `spread.py`


@pytest.mark.parametrize(
    "package",
    [
        "ptcourse",
        "ptcourse.toy",
        "ptcourse.course",
        "ptcourse.course.dials",
        "ptcourse.course.check",
    ],
)
def test_no_module_shares_its_name_with_a_function_of_its_package(package):
    """`import ptcourse.toy.X as m` gives the module X: no package attribute named X is something else."""
    import importlib
    import types

    pkg = importlib.import_module(package)
    folder = PKG.parent.joinpath(*package.split("."))
    clashes = [
        name
        for name in _submodules(folder)
        if not isinstance(getattr(pkg, name, None), (types.ModuleType, type(None)))
        and name not in _KNOWN_CLASHES.get(package, set())
    ]
    assert clashes == []


OWNED_HERE = [*sources("toy"), *sorted((PKG / "course" / "dials").glob("*.py"))] + [
    PKG / "cli.py",
    PKG / "course" / "viz.py",
    PKG / "course" / "widgets.py",
]


@pytest.mark.parametrize("path", OWNED_HERE, ids=lambda p: module_name(p))
def test_modules_hold_one_concept_in_at_most_400_lines(path):
    """A module of the toy world, the dials, the pictures or the command line is under 400 lines."""
    assert len(path.read_text().splitlines()) <= 400


def test_course_submodules_load_on_first_use_from_the_folder():
    """``ptcourse.course.<name>`` loads each public module of the folder (the list has no second
    home), and nothing else."""
    import ptcourse.course as course

    files = {p.stem for p in (PKG / "course").glob("*.py") if not p.stem.startswith("_")}
    files |= {p.parent.name for p in (PKG / "course").glob("*/__init__.py")}
    assert course._MODULES == files
    assert all(
        getattr(course, name).__name__ == f"ptcourse.course.{name}" for name in sorted(files)
    )
    with pytest.raises(AttributeError, match="student"):
        course.student  # noqa: B018  (moved to the press)
