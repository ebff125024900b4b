"""The committed generated code matches the protos (regenerated into a temp folder)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_fresh(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_protos.py"), "--out", str(tmp_path)],
        check=True,
        capture_output=True,
    )
    fresh = {
        p.relative_to(tmp_path): p.read_bytes() for p in (tmp_path / "spidergate").rglob("*.py*")
    }
    committed = {
        p.relative_to(ROOT): p.read_bytes()
        for p in (ROOT / "spidergate").rglob("*.py*")
        if "__pycache__" not in p.parts
    }
    assert sorted(map(str, fresh)) == sorted(map(str, committed)), "generated file set differs"
    stale = [str(name) for name, data in fresh.items() if committed[name] != data]
    assert not stale, f"stale generated code, run `python tools/gen_protos.py`: {stale}"


def test_grpc_modules_have_typed_stubs() -> None:
    # Without the *_pb2_grpc.pyi (mypy-protobuf) every stub and servicer base is Any to
    # mypy, and a wrong request type at the gRPC edge goes unseen.
    modules = sorted((ROOT / "spidergate" / "v1").glob("*_pb2_grpc.py"))
    assert modules
    for module in modules:
        typed = module.with_suffix(".pyi")
        assert typed.exists(), f"no {typed.name}: run `python tools/gen_protos.py`"
        for stub in re.findall(r"^class (\w+)Stub\b", module.read_text(), re.MULTILINE):
            assert f"class {stub}AsyncStub(" in typed.read_text(), f"{typed.name}: {stub}"
