"""The import direction, enforced: import-linter's contracts of pyproject.toml hold on the code base, and
they do catch a source importing another source or the shared layer importing a source (on a copy)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from parkplatform.config import REPO_ROOT
from parkplatform.sources import sources

PACKAGES = ("benchmarks", "park", "simulators", "report", "expectations", "extractors", "parkplatform")
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint_imports(root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_import_graph_has_no_upward_or_cross_source_edges():
    completed = _lint_imports(REPO_ROOT)
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "2 kept, 0 broken" in completed.stdout


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("code")
    for package in PACKAGES:
        shutil.copytree(REPO_ROOT / package, root / package, ignore=shutil.ignore_patterns("__pycache__", ".venv"))
    shutil.copy(REPO_ROOT / "pyproject.toml", root / "pyproject.toml")
    return root


@pytest.mark.parametrize(
    ("module", "line", "broken"),
    [
        ("extractors/crm/peek.py", "from extractors.world_bank import extract\n", "A source never imports another"),
        (
            "parkplatform/peek.py",
            "def later():\n    from extractors.crm import extract\n",
            "parkplatform is not allowed",
        ),
        ("extractors/crm/peek.py", "from simulators import crm\n", "extractors is not allowed to import simulators"),
    ],
)
def test_the_contracts_catch_a_wrong_import(copy_of_the_code: Path, module: str, line: str, broken: str):
    path = copy_of_the_code / module
    path.write_text(line, encoding="utf-8")
    try:
        completed = _lint_imports(copy_of_the_code)
    finally:
        path.unlink()
    assert completed.returncode != 0
    assert broken in completed.stdout and module.removesuffix(".py").replace("/", ".") in completed.stdout


def test_every_source_is_a_package_of_its_own_declaring_its_tables():
    packages = {spec.extract.split(".")[1] for spec in sources()}
    assert packages == {path.parent.name for path in (REPO_ROOT / "extractors").glob("*/__init__.py")}
    for spec in sources():
        package = spec.extract.split(":")[0].rsplit(".", 1)[0]
        assert spec.normalise.startswith((package, "parkplatform.")), spec.name
        assert spec.contracts[0].table == f"raw.{spec.name}"
