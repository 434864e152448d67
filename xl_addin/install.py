"""Install the add-in (Windows/macOS) and build an offline install folder for Windows offices.

``cchc addin install`` wraps ``xlwings addin install --file``. ``cchc bundle --out DIR`` writes
the .xlam (the same bytes as ``dist/``), the report definitions, the Windows wheels of every
dependency for the pinned Python (3.11, 64-bit) — the dependency closure is computed with the
markers evaluated for Windows, which ``pip download --platform`` alone does not do — and the
install, upgrade and uninstall scripts.
"""

from __future__ import annotations

import email.parser
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name, parse_wheel_filename

from .errors import CchcError

PYTHON_VERSION = "3.11"
WINDOWS_PLATFORM = "win_amd64"
REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = Path(__file__).with_name("install_scripts")


def windows_environment() -> dict[str, str]:
    env = default_environment()
    env.update({"os_name": "nt", "sys_platform": "win32", "platform_system": "Windows", "platform_machine": "AMD64",
                "python_version": PYTHON_VERSION, "python_full_version": f"{PYTHON_VERSION}.9",
                "implementation_name": "cpython", "platform_python_implementation": "CPython", "extra": ""})
    return env


def _pip(*args: str) -> None:
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise CchcError("bundle_pip_failed", detail=(result.stderr or result.stdout).strip().splitlines()[-1][:300])


def _wheel_requirements(path: Path) -> list[Requirement]:
    with zipfile.ZipFile(path) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(zf.read(meta_name).decode("utf-8"))
    return [Requirement(r) for r in meta.get_all("Requires-Dist") or []]


def _present(folder: Path) -> dict[str, Path]:
    out = {}
    for wheel in folder.glob("*.whl"):
        name, _version, _build, _tags = parse_wheel_filename(wheel.name)
        out[canonicalize_name(name)] = wheel
    return out


def missing_for_windows(folder: Path) -> list[Requirement]:
    """Requirements of the wheels in ``folder``, evaluated for Windows, that no wheel there satisfies."""
    env = windows_environment()
    present = _present(folder)
    missing = []
    for wheel in present.values():
        for req in _wheel_requirements(wheel):
            if req.marker is not None and not req.marker.evaluate(env):
                continue
            if canonicalize_name(req.name) not in present:
                missing.append(req)
    return missing


def download_windows_wheels(folder: Path, project: Path = REPO_ROOT) -> list[Path]:
    if not (project / "pyproject.toml").is_file():  # an installed wheel: nothing to build ours from
        raise CchcError("bundle_needs_source", file=project)
    folder.mkdir(parents=True, exist_ok=True)
    _pip("wheel", "--no-deps", "--quiet", "-w", str(folder), str(project))
    target = ["--only-binary=:all:", "--platform", WINDOWS_PLATFORM, "--python-version", PYTHON_VERSION,
              "--implementation", "cp", "--abi", "cp" + PYTHON_VERSION.replace(".", ""), "--quiet", "-d", str(folder)]
    ours = next(w for n, w in _present(folder).items() if n == "cchc-report-kit")
    reqs = [str(r) for r in _wheel_requirements(ours) if r.marker is None or r.marker.evaluate(windows_environment())]
    _pip("download", *target, *reqs)
    for _round in range(5):  # close over Windows-only markers pip did not evaluate for the target
        missing = missing_for_windows(folder)
        if not missing:
            break
        _pip("download", *target, *sorted({str(Requirement(f"{r.name}{r.specifier}")) for r in missing}))
    return sorted(folder.glob("*.whl"))


BATCH_SUFFIXES = (".bat",)
TEXT_SUFFIXES = (".txt",)
MESSAGES_FOLDER = "thong-bao"


def _crlf(text: str) -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode("utf-8")


def write_scripts(out: Path) -> list[str]:
    """The batch files (ASCII, CRLF whatever the checkout did), the readme (UTF-8, CRLF) and the
    scripts' messages from the catalogue: ``thong-bao/<code>.txt`` (UTF-8 without BOM, CRLF)."""
    from .errors import catalogue, render

    out.mkdir(parents=True, exist_ok=True)
    names = []
    for script in sorted(SCRIPTS.iterdir()):
        if script.suffix.lower() not in BATCH_SUFFIXES + TEXT_SUFFIXES:
            continue  # messages.yaml: rendered below
        text = script.read_text(encoding="utf-8")
        if script.suffix.lower() in BATCH_SUFFIXES and not text.isascii():
            raise ValueError(f"{script.name} must be ASCII: cmd reads it in the console's code page")
        (out / script.name).write_bytes(_crlf(text))
        names.append(script.name)
    folder = out / MESSAGES_FOLDER
    folder.mkdir(exist_ok=True)
    for code, entry in catalogue().items():
        if not code.startswith("bat_"):
            continue
        text = render(code)
        if not code.startswith("bat_step_"):
            text += "\n→ " + " ".join(entry["action"].split())
        (folder / f"{code}.txt").write_bytes(_crlf(text + "\n"))
    return names


def build_bundle(out: Path) -> dict:
    if not (REPO_ROOT / "pyproject.toml").is_file():  # said before anything is written
        raise CchcError("bundle_needs_source", file=REPO_ROOT)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    addin = build_addin_file(out / "cchc.xlam")
    from .definition.loader import templates_root

    templates = out / "workbook_templates"
    if templates.exists():
        shutil.rmtree(templates)
    shutil.copytree(templates_root(), templates, ignore=shutil.ignore_patterns("__pycache__"))
    scripts = write_scripts(out)
    wheels = download_windows_wheels(out / "wheels")
    return {"addin": addin, "wheels": wheels, "scripts": scripts}


def build_addin_file(out: Path, home: str | None = None) -> Path:
    """``cchc addin build``: the add-in from the VBA and ribbon text shipped with the package (the same
    bytes as ``dist/cchc.xlam`` from ``build_templates.py`` when ``home`` is the default)."""
    from .addin import build_addin

    try:
        return build_addin(Path(out), home=home)
    except (RuntimeError, ValueError, OSError) as exc:  # the add-in writer's own error types
        raise CchcError("addin_build_failed", detail=str(exc)) from None


def install_addin(xlam: Path | None = None, home: str | None = None) -> Path:
    """``cchc addin install``: ``xlwings addin install --file`` with the given add-in, or one built by
    ``cchc addin build`` (so it works from wheels, without a source checkout)."""
    if sys.platform not in ("win32", "darwin"):
        raise CchcError("addin_platform")
    if xlam is not None:
        return _xlwings_install(Path(xlam))
    with tempfile.TemporaryDirectory(prefix="cchc-addin-") as tmp:
        built = build_addin_file(Path(tmp) / "cchc.xlam", home)
        _xlwings_install(built)
    return built


def _xlwings_install(path: Path) -> Path:
    if not path.is_file():
        raise CchcError("file_not_found", file=path)
    result = subprocess.run([sys.executable, "-m", "xlwings.cli", "addin", "install", "--file", str(path)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise CchcError("addin_install_failed", detail=(result.stderr or result.stdout).strip()[-300:])
    return path
