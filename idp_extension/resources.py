"""Folders shipped with the package: templates and migrations.

In a source checkout they are the top-level ``templates/`` and ``migrations/``; a built wheel
maps them into the package (``idp_extension/templates``, ``idp_extension/migrations``, see
setup.cfg), so an installed provider finds them without the checkout.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_ROOT = Path(__file__).resolve().parent
CHECKOUT_ROOT = PACKAGE_ROOT.parent


def resource_folder(name: str) -> Path:
    """``name`` inside the installed package, else the checkout's top-level folder."""
    packaged = PACKAGE_ROOT / name
    return packaged if packaged.is_dir() else CHECKOUT_ROOT / name
