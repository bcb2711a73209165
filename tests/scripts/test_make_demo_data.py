"""The shipped demo files are exactly what the generator writes from its lexicon."""

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "src" / "shoprel" / "data" / "demo"


def test_generator_rewrites_the_shipped_demo_files_byte_for_byte(tmp_path):
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_demo_data.py"), "--out-dir",
                    str(tmp_path)], check=True, capture_output=True, timeout=120)
    for name in ("qc_demo.jsonl", "qi_demo.jsonl", "README.md"):
        assert (tmp_path / name).read_bytes() == (SHIPPED / name).read_bytes(), name
