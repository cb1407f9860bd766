"""The README is what operators script against: every setting and command it must name, it does."""

import re
from pathlib import Path

from idp_extension.cli import idp_group
from idp_extension.config import DEFAULTS

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented():
    documented = set(re.findall(r"`(IDP_[A-Z0-9_]+)`", README))
    assert set(DEFAULTS) - documented == set()


def test_every_documented_setting_exists():
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(IDP_[A-Z0-9_]+)`", table))
    assert documented - set(DEFAULTS) == set()


def test_every_command_is_documented_and_exists():
    section = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z-]+)", section, flags=re.M))
    assert documented == set(idp_group.commands)
