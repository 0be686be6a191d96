"""User-facing strings: zh (source of truth) and en catalogs, one TOML file per feature."""

from __future__ import annotations

import functools
import html
import string
import tomllib
from importlib import resources
from typing import Any

LANGUAGES = ("zh", "en")


def _flatten(prefix: str, table: dict[str, Any], out: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict):
            _flatten(name, value, out)
        else:
            out[name] = str(value)


def load_catalog(lang: str) -> dict[str, str]:
    """Returns every key of LANG's catalog files (bot/locales/LANG/*.toml), flattened.

    The files are package data, so they are parsed once per process (building the Application
    asks for them several times); each caller gets its own copy.
    """
    return dict(_parsed_catalog(lang))


@functools.cache
def _parsed_catalog(lang: str) -> dict[str, str]:
    catalog: dict[str, str] = {}
    folder = resources.files("bot") / "locales" / lang
    for file in sorted(folder.iterdir(), key=lambda f: f.name):
        if file.name.endswith(".toml"):
            _flatten("", tomllib.loads(file.read_text(encoding="utf-8")), catalog)
    return catalog


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


class Texts:
    """Looks up KEY in the user's language and fills it with HTML-escaped parameters."""

    def __init__(self, default: str = "zh"):
        self.default = default
        self.catalogs = {lang: load_catalog(lang) for lang in LANGUAGES}

    def __call__(self, key: str, lang: str | None = None, /, **params: Any) -> str:
        catalog = self.catalogs.get(lang or self.default) or self.catalogs[self.default]
        template = catalog.get(key) or self.catalogs["zh"][key]
        safe = {
            name: value if isinstance(value, Raw) else html.escape(str(value), quote=False)
            for name, value in params.items()
        }
        return template.format(**safe)

    def has(self, key: str) -> bool:
        return key in self.catalogs["zh"]

    def all_values(self, key: str) -> set[str]:
        """Returns KEY's text in every language (to match reply-keyboard buttons)."""
        return {catalog[key] for catalog in self.catalogs.values() if key in catalog}


def plural_key(key: str, n: float) -> str:
    """Returns KEY_one for exactly one of something, else KEY: the catalogs hold both forms.

    English needs "1 hour" but "2 hours"; Chinese says both the same way, so its two keys match.
    """
    return f"{key}_one" if n == 1 else key


class Raw(str):
    """A parameter that is already HTML (a nested text from the catalog); not escaped again."""


def pick_language(telegram_code: str | None, default: str = "zh") -> str:
    """Returns 'en' when Telegram says English, else the default (zh first)."""
    if telegram_code and telegram_code.lower().startswith("en"):
        return "en"
    return default
