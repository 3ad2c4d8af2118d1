"""Where tierscope finds its database, its config files, its spool and the receiver's token: one declaration.

Each setting comes from a command-line option when one is given, else from the environment (``TIERSCOPE_DB``,
``TIERSCOPE_PRICES``, ``TIERSCOPE_ROUTING``, ``TIERSCOPE_BUDGETS``, ``TIERSCOPE_SPOOL``, ``TIERSCOPE_TOKEN``; an empty
variable counts as unset), else from the defaults below. The default config files ship inside the package, so an
installed tierscope works from any folder.
"""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_PRICES = PACKAGE_DIR / "config" / "prices.yaml"
DEFAULT_ROUTING = PACKAGE_DIR / "config" / "routing.yaml"
SAMPLE_LOGS = PACKAGE_DIR / "sample_logs"
DEFAULT_DB = "tierscope.duckdb"


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


def settings(**given: object) -> Settings:
    """The settings with the given values (command-line options; None = not given) over the environment's."""
    return Settings(**{name: value for name, value in given.items() if value is not None})  # type: ignore[arg-type]
