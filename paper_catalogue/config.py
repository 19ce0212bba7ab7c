"""site_src/site.toml -> a validated SiteConfig; every error names the file and its line."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from .diagnostics import InputError, error_at
from .models import SiteConfig
from .site_files import key_lines, load_toml


def load_site_config(path: Path, base_url: str | None = None) -> SiteConfig:
    """Read the site config (defaults when the file is absent); `base_url` overrides the file's."""
    data: dict = {}
    text = ""
    if path.exists():
        data, text = load_toml(path)
    if base_url is not None:
        data["base_url"] = base_url
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as error:
        lines = key_lines(text)
        known = ", ".join(SiteConfig.model_fields)
        problems = []
        for item in error.errors():
            key = str(item["loc"][0]) if item["loc"] else ""
            if item["type"] == "extra_forbidden":
                message = f"unknown setting {key!r}; the settings are: {known}"
            else:
                shown = f"{item['input']!r}" if not isinstance(item["input"], dict) else "a table"
                message = f"{key}: {item['msg']} (got {shown})"
            problems.append(error_at(path, lines.get(key), message))
        raise InputError(*sorted(problems)) from None
