"""What the benchmarks share: running one gipr command as a user would, timed."""

from __future__ import annotations

import subprocess
import sys
import time


def run(*args: str) -> float:
    """Run ``gipr ARGS`` in a fresh interpreter; print its last output line; return the wall time.
    Exit codes 0 and 1 (findings) are results; anything else stops the benchmark."""
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "gipr.cli", *args], capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if p.returncode not in (0, 1):
        sys.exit(f"gipr {' '.join(args)} failed ({p.returncode}):\n{p.stderr}")
    print("   ", p.stdout.strip().splitlines()[-1] if p.stdout.strip() else "")
    return dt
