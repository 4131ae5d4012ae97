"""The one import name (DESIGN §10): the wheel holds `makemore_tui` alone, and a user's own `core/`,
`data/` or `tui/` package can sit beside it without shadowing anything.

The wheel is built and installed, without its dependencies, into a fresh venv that sees this
environment's torch and Textual (`--system-site-packages`: nothing is downloaded).
"""

from __future__ import annotations

import json
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
USER_PACKAGES = ("core", "data", "tui")  # names a user's project folder commonly holds


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(REPO)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (built,) = out.glob("makemore_tui-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """A fresh venv holding the wheel; returns its python."""
    root = tmp_path_factory.mktemp("venv")
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(root)
    python = root / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return python


@pytest.fixture
def user_folder(tmp_path) -> Path:
    """A user's project folder with its own core/, data/ and tui/ packages, each saying whose it is."""
    folder = tmp_path / "project"
    for name in USER_PACKAGES:
        (folder / name).mkdir(parents=True)
        (folder / name / "__init__.py").write_text(f"WHOSE = 'the user\\'s {name}'\n")
    return folder


def test_the_wheel_holds_makemore_tui_and_its_dist_info_alone(wheel):
    tops = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert tops == {"makemore_tui", f"{wheel.name.split('-py3')[0]}.dist-info"}
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"makemore_tui/data/names.txt", "makemore_tui/tui/app.tcss", "makemore_tui/__main__.py"} <= names


def test_the_installed_package_is_the_venvs(installed):
    venv_root = installed.parent.parent
    code = "import json, makemore_tui.core as c, makemore_tui as m; print(json.dumps([m.__file__, c.__file__]))"
    result = subprocess.run([str(installed), "-c", code], capture_output=True, text=True, timeout=60, cwd=venv_root)
    assert result.returncode == 0, result.stderr
    for path in json.loads(result.stdout):
        assert Path(path).resolve().is_relative_to(venv_root.resolve()), path


def test_a_users_core_data_and_tui_shadow_nothing(installed, user_folder):
    venv_root = installed.parent.parent.resolve()
    script = user_folder / "check.py"
    script.write_text(
        "import json, core, data, tui\n"
        "import makemore_tui, makemore_tui.core.trainer, makemore_tui.data, makemore_tui.tui.cli\n"
        "print(json.dumps({\n"
        "    'user': [core.WHOSE, data.WHOSE, tui.WHOSE],\n"
        "    'user_files': [core.__file__, data.__file__, tui.__file__],\n"
        "    'ours': [makemore_tui.__file__, makemore_tui.core.trainer.__file__, makemore_tui.data.__file__,\n"
        "             makemore_tui.tui.cli.__file__],\n"
        "}))\n"
    )
    result = subprocess.run([str(installed), str(script)], cwd=user_folder, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["user"] == [f"the user's {name}" for name in USER_PACKAGES]
    for name, path in zip(USER_PACKAGES, found["user_files"]):
        assert Path(path).resolve() == (user_folder / name / "__init__.py").resolve()
    for path in found["ours"]:
        assert Path(path).resolve().is_relative_to(venv_root), path


def test_python_m_makemore_tui_trains_from_a_folder_with_its_own_packages(installed, user_folder):
    log = user_folder / "runs" / "run.jsonl"
    command = [
        str(installed),
        "-m",
        "makemore_tui",
        "--headless",
        "--steps",
        "3",
        "--hidden",
        "8",
        "--run-log",
        str(log),
    ]
    result = subprocess.run(command, cwd=user_folder, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert records[0]["event"] == "run_start" and records[-1]["event"] == "run_end"
    assert records[-1]["reason"] == "finished"


def test_version_from_the_installed_package_and_from_a_checkout(installed, tmp_path):
    from makemore_tui import __version__

    got = subprocess.run(
        [str(installed), "-m", "makemore_tui", "--version"], capture_output=True, text=True, timeout=60
    )
    assert got.returncode == 0 and got.stdout.strip() == f"makemore-tui {__version__}", got.stderr
    # A checkout that is not installed: no site-packages at all (-S), the repository as the working folder.
    plain = subprocess.run(
        [sys.executable, "-S", "-m", "makemore_tui", "--version"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert plain.stdout.strip() == f"makemore-tui {__version__}", plain.stderr


def test_importing_the_package_imports_neither_textual_nor_the_app():
    code = (
        "import sys; sys.modules['textual'] = None\n"  # any import of textual now fails
        "import makemore_tui\n"
        "for name in makemore_tui.__all__:\n"
        "    getattr(makemore_tui, name)\n"
        "loaded = [m for m, module in sys.modules.items() if module is not None]\n"
        "bad = sorted(m for m in loaded if m.split('.')[0] == 'textual' or m.startswith('makemore_tui.tui'))\n"
        "assert not bad, bad\n"
        "print(len(makemore_tui.__all__))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 0, result.stderr
