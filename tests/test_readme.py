"""The README's set-up commands exist, CI runs its test command, commands are documented."""

from __future__ import annotations

import re
import tomllib

from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_install_and_run_command():
    blocks = _bash_blocks(README)
    assert any("pip install" in b and "eventstudy run events.csv" in b for b in blocks)


def test_install_and_test_command_is_what_ci_runs():
    marker = README.index("<!-- test-command -->")
    block = _bash_blocks(README[marker:])[0]
    assert "pip install" in block and "pytest" in block
    ci = (ROOT / ".ci" / "run").read_text()
    assert "<!-- test-command -->" in ci  # CI extracts and runs exactly that block


def test_console_script_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"]["eventstudy"] == "eventstudy.cli:main"
    assert project["name"] != "eventstudy"  # taken on PyPI by an unrelated project


def test_every_command_is_documented():
    from eventstudy.cli import main

    for name in main.commands:
        assert f"eventstudy {name}" in README, f"command '{name}' is not in the README"


def test_sample_events_file_validates():
    from eventstudy.events import load_events

    events = load_events(ROOT / "events.csv")
    founding = events.set_index("event_id").loc["msft-openai-mou-2025"]
    assert str(founding["day0"].date()) == "2025-09-12"
