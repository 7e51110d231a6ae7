"""The built wheel installs `rules/*.py` as `errlint.rules.*` and nothing as a top-level `rules`.

Builds the wheel, installs it into a fresh virtualenv (dependencies from the index, as in CI),
and from a directory outside the checkout imports every `errlint.rules.*` module, checks that the
set equals `rules/*.py`, that `import rules` fails, and that the flake8 entry point loads
(STYLE.md (a): editable installs hide a missing sub-package; only the wheel shows it).
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK = r"""
import importlib, json, pkgutil, sys
import errlint.rules as package
names = sorted(m.name for m in pkgutil.iter_modules(package.__path__))
for name in names:
    importlib.import_module(f"errlint.rules.{name}")
try:
    import rules
    top = getattr(rules, "__file__", "namespace")
except ImportError:
    top = None
from importlib.metadata import entry_points
eps = [ep for ep in entry_points(group="flake8.extension") if ep.name == "XH"]
plugin = eps[0].load() if eps else None
print(json.dumps({"modules": names, "top": top, "plugin": getattr(plugin, "__name__", None),
                  "file": package.__file__}))
"""


@pytest.mark.slow
def test_wheel_installs_rules_as_errlint_rules(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    # `python -m build` (isolated: fetches setuptools from the index); `pip wheel` as a fallback.
    build = subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    if build.returncode != 0:
        build = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(dist), str(ROOT)],
            capture_output=True,
            text=True,
            check=False,
        )
    assert build.returncode == 0, build.stdout[-2000:] + build.stderr[-2000:]
    wheels = list(dist.glob("errlint-*.whl"))
    assert len(wheels) == 1
    env = tmp_path / "venv"
    venv.create(env, with_pip=True, system_site_packages=False)
    python = env / ("Scripts" if sys.platform == "win32" else "bin") / "python"
    # Dependencies come from the index (CI); fall back to this environment's site-packages.
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", str(wheels[0]), "flake8"], capture_output=True, text=True, check=False)
    if install.returncode != 0:
        site = next(p for p in sys.path if p.endswith("site-packages"))
        (Path(subprocess.check_output([str(python), "-c", "import site; print(site.getsitepackages()[0])"], text=True).strip()) / "host.pth").write_text(site + "\n")
        install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheels[0])], capture_output=True, text=True, check=False)
    assert install.returncode == 0, install.stderr[-2000:]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    run = subprocess.run([str(python), "-c", CHECK], cwd=outside, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout)
    expected = sorted(p.stem for p in (ROOT / "rules").glob("*.py") if p.stem != "__init__")
    assert report["modules"] == expected
    assert report["top"] is None, f"a top-level `rules` is importable: {report['top']}"
    assert report["plugin"] == "Plugin"
    assert str(env) in report["file"] and str(ROOT) not in report["file"]
