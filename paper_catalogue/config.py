"""site_src/site.toml -> a validated SiteConfig; errors name the file and, for TOML, the line."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from .diagnostics import BuildError
from .models import SiteConfig


def load_site_config(path: Path, base_url: str | None = None) -> SiteConfig:
    """Read the site config (defaults when the file is absent); `base_url` overrides the file's."""
    data: dict = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise BuildError(f"{path}: {error}") from None
    if base_url is not None:
        data["base_url"] = base_url
    try:
        return SiteConfig.model_validate(data)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(map(str, item['loc'])) or 'site'}: {item['msg']}" for item in error.errors()
        )
        raise BuildError(f"{path}: {problems}") from None
