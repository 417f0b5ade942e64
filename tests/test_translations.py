"""The translation catalogues: French complete and faithful, compiled files current, nothing left
unextracted; and amounts shown the way each language writes them.

The catalogues are read with Babel (a dependency already). Extraction needs GNU gettext's
`xgettext`: without it that test is skipped with the reason, and fails with CI=true.
"""

import gettext
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.test import Client
from django.urls import reverse

from ardoise.ledger import services as ledger
from ardoise.shops.models import Shop
from tests.conftest import IN_CI
from tests.factories import key, make_account, make_shop, owner_of

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "locale"
LANGUAGES = ("fr", "en")
# %(name)s, %(count)d, %s, %%, {name}: what Python and Django substitute.
PLACEHOLDER = re.compile(r"%\([^)]+\)[sdif]|%[sdif%]|\{[A-Za-z_][A-Za-z0-9_]*\}")
TAG = re.compile(r"</?[A-Za-z][^>]*>")


def _catalog(language: str, name: str = "django") -> Catalog:
    with open(LOCALE / language / "LC_MESSAGES" / f"{name}.po", "rb") as handle:
        return read_po(handle, locale=language)


def _catalogues() -> list[tuple[str, str]]:
    return [
        (language, path.stem)
        for language in LANGUAGES
        for path in sorted((LOCALE / language / "LC_MESSAGES").glob("*.po"))
    ]


def _entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _forms(message: Message) -> list[str]:
    return list(message.string) if isinstance(message.id, tuple) else [message.string]


def _label(message: Message) -> str:
    msgid = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{message.context} | {msgid}" if message.context else msgid


def _sources(message: Message) -> list[str]:
    """What each translated form must match: msgid for the singular, msgid_plural otherwise."""
    if isinstance(message.id, tuple):
        return [message.id[0]] + [message.id[1]] * (len(message.string) - 1)
    return [message.id]


def _placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text))


def test_the_french_catalogue_declares_french_plurals() -> None:
    catalog = _catalog("fr")

    assert catalog.fuzzy is False
    assert dict(catalog.mime_headers)["Language"] == "fr"
    assert catalog.plural_forms == "nplurals=2; plural=(n > 1);"


@pytest.mark.parametrize("name", sorted({name for _, name in _catalogues()}))
def test_every_french_entry_is_translated_and_none_is_fuzzy(name: str) -> None:
    entries = _entries(_catalog("fr", name))

    untranslated = [_label(m) for m in entries if not all(form.strip() for form in _forms(m))]
    fuzzy = [_label(m) for m in entries if m.fuzzy]
    short_plurals = [_label(m) for m in entries if isinstance(m.id, tuple) and len(m.string) != 2]

    assert len(entries) > 500
    assert untranslated == []
    assert fuzzy == []
    assert short_plurals == []


@pytest.mark.parametrize(("language", "name"), _catalogues())
def test_translations_keep_every_placeholder_and_tag(language: str, name: str) -> None:
    wrong = []
    for message in _entries(_catalog(language, name)):
        for source, form in zip(_sources(message), _forms(message), strict=True):
            if not form:
                continue  # English: the source string is used as it is
            if _placeholders(source) != _placeholders(form):
                wrong.append((_label(message), _placeholders(source), _placeholders(form)))
            if TAG.findall(source) != TAG.findall(form):
                wrong.append((_label(message), TAG.findall(source), TAG.findall(form)))

    assert wrong == []


def test_english_plurals_follow_the_count() -> None:
    from django.utils import translation

    with translation.override("en"):
        one = translation.ngettext("%(counter)s result", "%(counter)s results", 1)
        two = translation.ngettext("%(counter)s result", "%(counter)s results", 2)
    with translation.override("fr"):
        zero = translation.ngettext("%(counter)s result", "%(counter)s results", 0)
        many = translation.ngettext("%(counter)s result", "%(counter)s results", 2)

    assert (one, two) == ("%(counter)s result", "%(counter)s results")
    assert (zero, many) == ("%(counter)s résultat", "%(counter)s résultats")


def _mo_catalog(data: bytes) -> dict[object, str]:
    entries = dict(gettext.GNUTranslations(io.BytesIO(data))._catalog)  # type: ignore[attr-defined]
    entries.pop("", None)  # the header: metadata, compared by the plural test above
    return entries


@pytest.mark.parametrize(("language", "name"), _catalogues())
def test_the_compiled_catalogue_is_up_to_date(language: str, name: str, tmp_path: Path) -> None:
    catalog = _catalog(language, name)
    # Like msgfmt: entries without a translation are left out of the compiled file.
    for message in _entries(catalog):
        if not all(_forms(message)):
            catalog.delete(message.id, context=message.context)
    compiled = tmp_path / f"{name}.mo"
    with open(compiled, "wb") as handle:
        write_mo(handle, catalog)

    committed = (LOCALE / language / "LC_MESSAGES" / f"{name}.mo").read_bytes()

    assert _mo_catalog(committed) == _mo_catalog(compiled.read_bytes()), (
        f"locale/{language}/LC_MESSAGES/{name}.mo is stale: run `make messages`"
    )


def _keys(catalog: Catalog) -> set[tuple[str | None, str]]:
    return {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in _entries(catalog)}


def test_extraction_finds_nothing_missing_from_the_catalogue(tmp_path: Path) -> None:
    if shutil.which("xgettext") is None:
        message = "GNU gettext's xgettext is not installed: cannot extract the messages"
        if IN_CI:
            pytest.fail(message + " (required with CI=true)")
        pytest.skip(message)
    copy = tmp_path / "ardoise-copy"
    for part in ("ardoise", "config"):
        shutil.copytree(ROOT / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    shutil.copytree(LOCALE, copy / "locale")
    environment = {
        **os.environ,
        "DEBUG": "1",
        "ARDOISE_VAR_DIR": str(tmp_path / "var"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    environment.pop("DATABASE_URL", None)

    command = ["makemessages", "-l", "fr", "--no-obsolete", "--no-location"]
    subprocess.run(
        [sys.executable, "manage.py", *command],
        cwd=copy,
        env=environment,
        check=True,
        capture_output=True,
    )

    with open(copy / "locale" / "fr" / "LC_MESSAGES" / "django.po", "rb") as handle:
        extracted = _keys(read_po(handle))
    committed = _keys(_catalog("fr"))
    assert sorted(extracted - committed, key=str) == [], "new messages: run `make messages`"
    assert sorted(committed - extracted, key=str) == [], "stale messages: run `make messages`"


@pytest.fixture
def shop_with_credit(db: None) -> tuple[Shop, str]:
    """A shop, and the Account tab of a customer with 1 234,50 € of prepaid credit."""
    shop = make_shop()
    account = make_account(shop, name="Camille Martin")
    ledger.record_top_up(
        account=account, amount=1234_50, mode="cash", idempotency_key=key(), actor=None
    )
    return shop, reverse("staff:customer_account", args=[account.customer_id])


@pytest.mark.parametrize(
    ("language", "amount"),
    [
        ("fr", "1\u202f234,50\xa0€"),  # narrow no-break space in thousands, no-break before €
        ("en", "€1,234.50"),
    ],
)
def test_a_page_formats_amounts_in_its_language(
    shop_with_credit: tuple[Shop, str], language: str, amount: str
) -> None:
    shop, url = shop_with_credit
    owner = owner_of(shop)
    owner.language = language
    owner.save(update_fields=["language"])
    client = Client()
    client.force_login(owner)

    response = client.get(url)

    assert response["Content-Language"] == language
    assert re.findall(r'id="balance"[^>]*>([^<]*)<', response.content.decode()) == [amount]
