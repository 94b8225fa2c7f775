"""What mujun keeps on this machine between runs (the records' columnar copies, a copy's
digests, the plans of runs' statements): where it lives, and how a small document is kept
whole. All of it can be made again, so a keeping that fails keeps nothing and says nothing."""

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any


def cache_folder(env: str, name: str) -> Path:
    """The folder ``env`` names, else ``name`` in mujun's part of the user's cache folder."""
    return Path(
        os.environ.get(env)
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "mujun", name)
    )


def keep_json(target: Path, document: Any) -> None:
    """Keep ``document`` as JSON at ``target``: written whole under a name of its own, then
    renamed, so that a reader never finds half of it. Where it cannot be written, nothing is
    kept."""
    with contextlib.suppress(OSError):
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(
            prefix=".keeping-", suffix=f"-{target.name}", dir=target.parent
        )
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as written:
                json.dump(document, written)
            Path(temporary).replace(target)
        finally:
            Path(temporary).unlink(missing_ok=True)
