"""The command surface and the documentation keep up with the code: every Makefile target is
listed by `make help`, and README's configuration table names every variable the settings read."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_TARGET = re.compile(r"^([a-z][a-z-]*):(?!=)(.*)$", re.MULTILINE)
_READ = re.compile(r"""(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""")


def _makefile() -> str:
    return (ROOT / "Makefile").read_text()


def test_make_help_lists_every_target_and_phony_names_only_real_ones() -> None:
    text = _makefile()
    targets = {name for name, _ in _TARGET.findall(text)}
    described = {name for name, rest in _TARGET.findall(text) if "## " in rest}
    phony = set(re.search(r"^\.PHONY:(.*)$", text, re.MULTILINE).group(1).split())  # type: ignore[union-attr]

    assert targets - described == set()
    assert phony == targets


def _configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Configuration", 1)[1]
    return section.split("\n## ", 1)[0]


def test_the_readme_configuration_table_names_every_variable_the_settings_read() -> None:
    read = {
        name
        for path in sorted((ROOT / "config").glob("*.py"))
        for name in _READ.findall(path.read_text())
    }
    table = _configuration_table()
    rows = {name for name in re.findall(r"`([A-Z][A-Z0-9_]*)`", table)}

    assert {"SECRET_KEY", "DATABASE_URL", "EMAIL_HOST"} <= read  # the pattern finds the reads
    assert read - rows == set()
