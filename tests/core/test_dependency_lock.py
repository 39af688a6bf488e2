"""requirements.lock matches pyproject.toml: every dependency (the dev extra included) is pinned inside its
range, with hashes. Fails after a dependency was added to pyproject.toml without `bash scripts/lock.sh`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)")


def read_lock(text: str) -> dict[str, tuple[str, int]]:
    """``{canonical name: (version, number of hashes)}`` of a hash-pinned requirements file."""
    pins: dict[str, tuple[str, int]] = {}
    name = None
    for line in text.splitlines():
        match = _PIN.match(line)
        if match:
            name = canonicalize_name(match.group(1))
            pins[name] = (match.group(3), 0)
        elif name and line.strip().startswith("--hash=sha256:"):
            version, hashes = pins[name]
            pins[name] = (version, hashes + 1)
    return pins


def missing_from_lock(pyproject: dict, pins: dict[str, tuple[str, int]]) -> list[str]:
    """Dependencies of pyproject (main + dev extra) that the lock lacks, pins outside the range or without hashes."""
    project = pyproject["project"]
    problems = []
    for spec in [*project["dependencies"], *project.get("optional-dependencies", {}).get("dev", [])]:
        req = Requirement(spec)
        if req.marker is not None and not req.marker.evaluate({"extra": "dev"}):
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{spec}: not in requirements.lock")
        elif not req.specifier.contains(pin[0], prereleases=True):
            problems.append(f"{spec}: requirements.lock pins {pin[0]}")
        elif pin[1] == 0:
            problems.append(f"{spec}: no hash in requirements.lock")
    return problems


def test_lock_pins_every_dependency_of_pyproject_with_hashes():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = read_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    problems = missing_from_lock(pyproject, pins)
    assert not problems, "run `bash scripts/lock.sh` and commit requirements.lock:\n" + "\n".join(problems)
    assert all(hashes > 0 for _, hashes in pins.values()), "every pin carries --hash lines (pip --require-hashes)"


def test_check_catches_a_dependency_added_without_relocking():
    pyproject = {"project": {"dependencies": ["Django>=5.2,<5.3", "rapidfuzz==3.9.0"],
                             "optional-dependencies": {"dev": ["pytest>=8"]}}}
    lock = ("django==5.2.20 \\\n    --hash=sha256:ab\n"
            "pytest==7.4.0 \\\n    --hash=sha256:cd\n")
    problems = missing_from_lock(pyproject, read_lock(lock))
    assert problems == ["rapidfuzz==3.9.0: not in requirements.lock", "pytest>=8: requirements.lock pins 7.4.0"]


def test_the_install_scripts_use_the_lock_with_hashes():
    env = (ROOT / "scripts" / "_env.sh").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements.lock" in env
    assert "--no-deps -e ." in env
