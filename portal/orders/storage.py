"""Documents are kept in the portal's storage (a folder, or an S3 bucket) by content address."""

from __future__ import annotations


def document_key(sha256: str) -> str:
    return f"documents/{sha256}"
