"""The README's test command (快速开始, step 2) is what CI runs (.ci/run): the same Debian
packages, `apt-get update` first, `sudo` only when not root (a fresh machine's root has no
sudo), then the same venv + pip + pytest steps.  The root/user switch is run for real."""

from __future__ import annotations

import os
import re
import shlex
import subprocess

import pytest
from kit.paths import REPO

ROOT = REPO
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI = (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def _readme_command() -> str:
    lines = [ln for ln in README.splitlines() if "apt-get install" in ln and not ln.lstrip().startswith("#")]
    assert len(lines) == 1, lines
    return lines[0]


def _ci_packages() -> list[str]:
    m = re.search(r"^APT_PACKAGES=\(([^)]*)\)", CI, re.M)
    assert m
    return m.group(1).split()


def _readme_packages() -> list[str]:
    cmd = _readme_command()
    install = cmd.split("apt-get install", 1)[1].split("&&", 1)[0]
    return [w for w in shlex.split(install) if not w.startswith("-")]


def test_the_package_lists_are_the_same():
    assert _readme_packages() == _ci_packages()
    for pkg in ("libreoffice-calc-nogui", "libreoffice-writer-nogui", "chromium", "chromium-driver", "dovecot-imapd"):
        assert pkg in _ci_packages()


def test_update_first_and_no_bare_sudo():
    cmd = _readme_command()
    assert not re.search(r"(^|&&|;)\s*sudo\s", cmd), cmd
    assert cmd.index("apt-get update") < cmd.index("apt-get install")
    assert CI.index("apt-get update") < CI.index("apt-get install -y")
    # the same venv / install / test steps as CI
    assert cmd.endswith("python3 -m venv .venv && .venv/bin/pip install '.[test,ocr]' && "
                        ".venv/bin/python -m pytest -q -p no:cacheprovider")
    assert ".venv/bin/python -m pip install -q '.[test,ocr]'" in CI
    assert CI.rstrip().endswith(".venv/bin/python -m pytest -q -p no:cacheprovider")


def _switch(**kw) -> str:
    """What the command's `S=$(...)` prefix evaluates to, run by bash."""
    prefix = _readme_command().split(";", 1)[0]
    out = subprocess.run(["bash", "-c", f'{prefix}; printf "[%s]" "$S"'], capture_output=True, text=True,
                         check=True, **kw)
    return out.stdout


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX only (the command is for Debian)")
def test_sudo_only_when_not_root():
    ci_prefix = re.search(r"^\s*(S=\$\(.*?\))", CI, re.M).group(1)
    assert _readme_command().startswith(ci_prefix)
    want = "[]" if os.geteuid() == 0 else "[sudo]"
    assert _switch() == want
    if os.geteuid() == 0:  # and as an ordinary user
        import pwd

        nobody = pwd.getpwnam("nobody")
        assert _switch(user=nobody.pw_uid, group=nobody.pw_gid, extra_groups=[],
                       cwd="/") == "[sudo]"
