"""Regenerate the Python protobuf/gRPC code from ``protos/`` into ``spidergate/v1/``.

One command, ``python tools/gen_protos.py``; ``tests/unit/test_generated_code.py`` runs it
into a temporary folder and fails when the committed output is stale. The generated package
``spidergate`` mirrors the proto package ``spidergate.v1`` so its own imports resolve
without rewriting, and nothing but the gRPC edge imports it.

Besides the messages' ``*_pb2.pyi`` (protoc's own), mypy-protobuf's ``protoc-gen-mypy_grpc``
writes ``*_pb2_grpc.pyi``: without them every stub and servicer base is ``Any`` and mypy
cannot see a wrong request type or a misspelt method at the gRPC edge. Its output depends
on its version, which the dev extras bound.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTOS = ROOT / "protos"
HEADER = (
    '"""Generated protobuf code: do not edit. Regenerate with `python tools/gen_protos.py`."""\n'
)


def _plugin(name: str) -> Path:
    """A protoc plugin installed beside this Python (the venv's ``bin``), which need not
    be on ``PATH`` when the script runs as ``.venv/bin/python tools/gen_protos.py``."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise SystemExit(f"{name} not found beside {sys.executable}: install the dev extras")
    return path


def generate(out_dir: Path) -> list[Path]:
    """Generate into ``out_dir`` (which then holds ``spidergate/v1/*``); return the files."""
    out_dir.mkdir(parents=True, exist_ok=True)
    protos = sorted(str(p.relative_to(PROTOS)) for p in PROTOS.rglob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{PROTOS}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        f"--plugin=protoc-gen-mypy_grpc={_plugin('protoc-gen-mypy_grpc')}",
        f"--mypy_grpc_out={out_dir}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    pkg = out_dir / "spidergate"
    for init in (pkg / "__init__.py", pkg / "v1" / "__init__.py"):
        init.write_text(HEADER)
    return sorted(p for p in pkg.rglob("*") if p.is_file() and p.suffix in {".py", ".pyi"})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT, help="folder that receives spidergate/")
    ns = parser.parse_args()
    target = ns.out / "spidergate"
    if target.exists():
        shutil.rmtree(target)
    files = generate(ns.out)
    print(f"generated {len(files)} files into {target}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
