"""Where tierscope finds its database, its config files, its spool and the receiver's token, and how much memory it
uses: one declaration.

Each setting comes from a command-line option when one is given, else from the environment (``TIERSCOPE_DB``,
``TIERSCOPE_PRICES``, ``TIERSCOPE_ROUTING``, ``TIERSCOPE_BUDGETS``, ``TIERSCOPE_SPOOL``, ``TIERSCOPE_TOKEN``,
``TIERSCOPE_MEMORY_LIMIT``; an empty variable counts as unset), else from the defaults below. The default config
files ship inside the package, so an installed tierscope works from any folder.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PRICES = PACKAGE_DIR / "config" / "prices.yaml"
DEFAULT_ROUTING = PACKAGE_DIR / "config" / "routing.yaml"
SAMPLE_LOGS = PACKAGE_DIR / "sample_logs"
DEFAULT_DB = "tierscope.duckdb"
# DuckDB's memory limit for every tierscope process: its operators spill to <db file>.tmp beyond it, so an ingest or
# rebuild of any size stays within it
DEFAULT_MEMORY_LIMIT = "2GB"
MEMORY_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIERSCOPE_", env_ignore_empty=True, frozen=True)

    db: str = DEFAULT_DB
    prices: Path = DEFAULT_PRICES
    routing: Path = DEFAULT_ROUTING
    # None: no budgets (none ship: a limit is a decision of the team that pays)
    budgets: Path | None = None
    # None: <db file>.spool next to the database
    spool: Path | None = None
    token: str | None = None
    # checked where it is used (memory_size), so that a bad value is one line naming it
    memory_limit: str = DEFAULT_MEMORY_LIMIT


def memory_size(value: str) -> str:
    """A memory size as DuckDB takes it (2GB, 512MB, 1.5GiB); a ValueError saying what is expected otherwise."""
    if not MEMORY_SIZE.fullmatch(value.strip()):
        raise ValueError(f"{value!r} is not a memory size: expected a size such as 2GB, 512MB or 1.5GiB")
    return value.strip()


def settings(**given: object) -> Settings:
    """The settings with the given values (command-line options; None = not given) over the environment's."""
    return Settings(**{name: value for name, value in given.items() if value is not None})  # type: ignore[arg-type]
