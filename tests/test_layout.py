"""`renkei` is one namespace package over three folders that shadow neither stdlib nor graphql-core.

The folders are named platform/ and graphql/: an `__init__.py` in one of them would turn it into a
regular package that wins over the standard library's platform.py or graphql-core whenever the
repository root is on sys.path (as it is for `python -c`, scripts and some tools).
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("platform", "graphql", "workers")

PROBE = """
import json
import platform, graphql
import renkei.config, renkei.graphql, renkei.workers
print(json.dumps({
    "platform": platform.__file__,
    "graphql": graphql.__file__,
    "renkei.config": renkei.config.__file__,
    "renkei.graphql": list(renkei.graphql.__path__),
    "renkei.workers": list(renkei.workers.__path__),
}))
"""


def _resolved(path: str) -> Path:
    return Path(path).resolve()


def test_imports_from_the_repository_root_resolve_to_the_right_modules() -> None:
    # given a fresh interpreter whose sys.path starts with the repository root
    # when it imports the standard library, graphql-core and the three parts of renkei
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=False
    )
    # then each comes from where it belongs
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    paths = sysconfig.get_paths()
    assert _resolved(found["platform"]) == _resolved(paths["stdlib"]) / "platform.py"
    assert _resolved(found["graphql"]) == _resolved(paths["purelib"]) / "graphql" / "__init__.py"
    assert _resolved(found["renkei.config"]) == ROOT / "platform" / "renkei" / "config.py"
    assert [_resolved(p) for p in found["renkei.graphql"]] == [
        ROOT / "graphql" / "renkei" / "graphql"
    ]
    assert [_resolved(p) for p in found["renkei.workers"]] == [
        ROOT / "workers" / "renkei" / "workers"
    ]


def test_no_init_file_turns_a_namespace_folder_into_a_package() -> None:
    folders = [ROOT / f for f in SOURCE_FOLDERS] + [ROOT / f / "renkei" for f in SOURCE_FOLDERS]
    inits = [folder / "__init__.py" for folder in folders if (folder / "__init__.py").exists()]
    inits += list((ROOT / "tests").rglob("__init__.py"))
    assert [str(p.relative_to(ROOT)) for p in inits] == []


def test_no_test_folder_is_named_after_a_shadowed_package() -> None:
    assert [name for name in ("platform", "graphql") if (ROOT / "tests" / name).exists()] == []
