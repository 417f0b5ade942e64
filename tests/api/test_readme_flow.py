"""The README's till flow with curl, run as written against a live server, so that it stays true.

The section "A till's day with curl" of README.md alternates ```sh blocks (curl commands, run by
bash exactly as they are, with ARDOISE and KEY in the environment as its first block exports
them) and ```http blocks (what curl -si prints: the status line, the headers shown, a blank
line, the body). Each answer must have that status line and those headers, and a body equal to
the one shown (no-break spaces read as spaces), but for the values that differ from run to run
(ids, dates, times), which must only be of the same type. A `<!-- NAME=field -->` comment
after an answer exports that field of its body to the commands that follow (`CUSTOMER=id`).

The key itself is created as the README says, in Settings → API, by the shop's owner, in a shop
that already has a customer of the demo data (`make run`), whom the README's search must not find.
With README_FLOW_PRINT=1 the test prints what the server answered, to update the README.
"""

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from ardoise.shops.models import Shop
from tests.conftest import IN_CI
from tests.factories import client_for, make_account, make_shop, owner_of

README = Path(__file__).resolve().parents[2] / "README.md"
SECTION = "### A till's day with curl"
# Values that change from one run to the next: only their type is compared.
VARYING = {"id", "customer_id", "charge_id", "created_at", "issued_on", "received_on"}
BLOCK = re.compile(r"```(sh|http)\n(.*?)```(?:\s*<!-- (\w+)=(\w+) -->)?", re.DOTALL)


def flow() -> list[tuple[str, str, str | None, str | None]]:
    text = README.read_text()
    start = text.index(SECTION)
    end = text.find("\n## ", start)
    section = text[start : end if end != -1 else None]
    return [match.groups() for match in BLOCK.finditer(section)]  # type: ignore[misc]


def parse_answer(text: str) -> tuple[str, dict[str, str], str]:
    """(status line, headers, body) of what curl -si printed, or of the README's block."""
    head, _, body = text.replace("\r\n", "\n").partition("\n\n")
    status, *lines = head.strip().split("\n")
    headers = {}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status.strip(), headers, body.strip()


def same_shape(shown: Any, got: Any, path: str = "") -> None:
    if isinstance(shown, dict):
        assert isinstance(got, dict), (path, shown, got)
        assert set(got) == set(shown), (path, shown, got)
        for key, value in shown.items():
            if key in VARYING and value is not None:
                assert type(got[key]) is type(value), (f"{path}.{key}", value, got[key])
            else:
                same_shape(value, got[key], f"{path}.{key}")
    elif isinstance(shown, list):
        assert isinstance(got, list), (path, shown, got)
        assert len(got) == len(shown), (path, shown, got)
        for index, (one, other) in enumerate(zip(shown, got, strict=True)):
            same_shape(one, other, f"{path}[{index}]")
    elif isinstance(shown, str):
        assert _spaces(got) == _spaces(shown), (path, shown, got)
    else:
        assert got == shown, (path, shown, got)


def _spaces(text: str) -> str:
    """French messages put no-break spaces before ":" and "€"; the README shows plain ones."""
    return text.replace("\u00a0", " ").replace("\u202f", " ")


@pytest.fixture
def curl() -> str:
    found = shutil.which("curl")
    if found is None:
        message = "curl not found (Debian's `curl`): the README's commands cannot be run"
        if IN_CI:
            pytest.fail(message + ": required with CI=true")
        pytest.skip(message)
    return found


def test_the_readme_till_flow_answers_as_written(live_server: Any, curl: str) -> None:
    shop = make_shop(name="Épicerie du Port")
    # A customer `make run`'s demo data has too: the README's search must find only the new one.
    make_account(shop, name="Aurélien Bernard", company="Bistrot des Halles")
    secret = key_from_settings(shop)
    environment = {
        **os.environ,
        "ARDOISE": f"{live_server.url}/api/v1",
        "KEY": secret,
        "LC_ALL": "C.UTF-8",
    }
    steps = flow()
    kind, exports, _, _ = steps[0]
    assert kind == "sh"
    assert "export ARDOISE=" in exports
    assert "export KEY=" in exports
    printing = os.environ.get("README_FLOW_PRINT") == "1"
    commands = 0
    for (kind, command, _, _), (answer_kind, shown, name, field) in zip(
        steps[1::2], steps[2::2], strict=True
    ):
        assert (kind, answer_kind) == ("sh", "http"), command
        ran = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", command],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        status, headers, body = parse_answer(ran.stdout)
        if printing:
            pretty = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
            print(f"\n$ {command}\n{status}\n{pretty}")
            environment.update({name: str(json.loads(body)[field])} if name else {})
            continue
        want_status, want_headers, want_body = parse_answer(shown)
        assert status == want_status, (command, ran.stdout)
        for header, value in want_headers.items():
            assert headers.get(header) == value, (command, header, headers)
        same_shape(json.loads(want_body), json.loads(body))
        if name is not None:
            environment[name] = str(json.loads(body)[field])
        commands += 1
    assert commands >= 8


def key_from_settings(shop: Shop) -> str:
    """Settings → API → New API key, by the owner: the secret the page shows once."""
    page = client_for(owner_of(shop)).post(
        reverse("api_keys:key_list"),
        {
            "name": "Till 1",
            "scopes": ["customers.view", "customers.edit", "sales.create", "payments.record"],
        },
    )
    assert page.status_code == 200
    found = re.search(rb"<code data-secret>(ard_[A-Za-z0-9_-]{43})</code>", page.content)
    assert found is not None
    return found.group(1).decode()
