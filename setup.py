"""Build hook: the top-level ``templates/`` and ``migrations/`` (the source folders, where a
contributor edits them) ship inside the installed package as ``idp_extension/templates`` and
``idp_extension/migrations``, where ``idp_extension.resources`` finds them. Metadata is in
setup.cfg."""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

RESOURCE_FOLDERS = ("templates", "migrations")


class BuildWithResources(build_py):
    def run(self):
        super().run()
        root = Path(__file__).resolve().parent
        for name in RESOURCE_FOLDERS:
            shutil.copytree(
                root / name,
                Path(self.build_lib) / "idp_extension" / name,
                dirs_exist_ok=True,
                ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
            )


setup(cmdclass={"build_py": BuildWithResources})
