"""Regenerate the protobuf and gRPC Python code of the wire contract.

Usage (from the repository)::

    python -m marketsim.wire.generate            # rewrite marketsim/wire/v1/market_pb2*.py(i)
    python -m marketsim.wire.generate --out DIR  # write DIR/marketsim/wire/v1/... instead

The protos are compiled with ``-I protos``, so the generated modules import each other as
``marketsim.wire.v1.<module>``. The output depends on the exact ``grpcio-tools`` version, which
is why the dev extra pins it and a test checks that the committed files are up to date.
"""

from __future__ import annotations

import argparse
from importlib.resources import files
from pathlib import Path

from grpc_tools import protoc

REPO_ROOT = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO_ROOT / "protos"
#: Protos with services (they also get gRPC stubs) and protos of messages only.
SERVICE_PROTOS = ("marketsim/wire/v1/market.proto",)
MESSAGE_PROTOS = ("marketsim/wire/v1/journal.proto",)
PROTO_FILES = SERVICE_PROTOS + MESSAGE_PROTOS


def generate(out_dir: Path = REPO_ROOT) -> None:
    """Compile ``PROTO_FILES`` into ``out_dir``, under their package path.

    Raises ``RuntimeError`` if protoc reports an error (it prints the details to stderr).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    well_known_protos = files("grpc_tools") / "_proto"
    common = ["grpc_tools.protoc", f"-I{PROTO_ROOT}", f"-I{well_known_protos}"]
    outputs = [f"--python_out={out_dir}", f"--pyi_out={out_dir}"]
    for protos, extra in ((SERVICE_PROTOS, [f"--grpc_python_out={out_dir}"]), (MESSAGE_PROTOS, [])):
        if protoc.main([*common, *outputs, *extra, *protos]) != 0:
            raise RuntimeError(f"protoc failed on {', '.join(protos)}")


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point: ``python -m marketsim.wire.generate [--out DIR]``."""
    parser = argparse.ArgumentParser(
        prog="python -m marketsim.wire.generate", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=REPO_ROOT,
        help="root directory to write the package tree into (default: the repository)",
    )
    generate(parser.parse_args(argv).out)


if __name__ == "__main__":
    main()
