"""What every command prints: JSON with --json, text for a person otherwise."""

from __future__ import annotations

import json
import sys


def print_result(data: dict, as_json: bool, text: str) -> None:
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(text + "\n")
