"""`make bench`: run every benchmark module in bench/ (each has main()), or the ones named:
python -m bench [startup inference ...]"""

from __future__ import annotations

import importlib
import pkgutil
import sys

import bench

SKIP = {"common", "__main__", "portability"}  # portability needs qemu-user: `make portability`


def main(names: list[str]) -> int:
    modules = names or sorted(m.name for m in pkgutil.iter_modules(bench.__path__) if m.name not in SKIP)
    for name in modules:
        module = importlib.import_module(f"bench.{name}")
        if hasattr(module, "main"):
            print(f"\n### bench.{name}\n", flush=True)
            module.main()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
