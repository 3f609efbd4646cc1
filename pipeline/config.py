"""Project paths, the run configuration and release metadata.

Scope: where the project's contract lives (schemas, vocabularies), the run configuration
(:func:`load_settings`: sources, the editors' corrections file, outputs, Dagster instance, executor,
schedule, sensor, webhook),
resolved the same way by the ``atlas`` command and the Dagster code location — flags, then
``ATLAS_*`` environment variables, then ``[tool.atlas.settings]`` in ``pyproject.toml``, then
defaults — and the release metadata read from ``[tool.atlas]`` in ``pyproject.toml``. ``schemas/``, ``vocabularies/`` and
``pyproject.toml`` are edited at the top of the repository; the wheel carries a copy of them in
``pipeline/contract/`` (``[tool.hatch.build.targets.wheel.force-include]``), which an installed
package reads. It must not parse profiles, validate or
write anything; the licence and publisher are never invented here, only read.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent  # the repository, in a source checkout
# The data contract: the copy inside an installed wheel, else the repository's own folders.
CONTRACT_DIR = PACKAGE_DIR / "contract" if (PACKAGE_DIR / "contract" / "schemas").is_dir() else PROJECT_ROOT
SCHEMAS_DIR = CONTRACT_DIR / "schemas"
VOCABULARIES_DIR = CONTRACT_DIR / "vocabularies"
PYPROJECT = CONTRACT_DIR / "pyproject.toml"
DEFAULT_SOURCES = Path("sources")
DEFAULT_OUTPUTS = Path("outputs")
# The editors' corrections file's name in a sources folder (its default place): never a profile source.
CORRECTIONS_NAME = "corrections.yaml"


@dataclass(frozen=True)
class ReleaseConfig:
    """Dataset-level metadata for ``datapackage.json`` and the release README."""

    name: str
    title: str
    description: str
    homepage: str | None = None
    keywords: tuple[str, ...] = ()
    licenses: tuple[dict, ...] = ()
    sources: tuple[dict, ...] = ()
    contributors: tuple[dict, ...] = ()
    extra: dict = field(default_factory=dict)


@cache
def release_config(pyproject: Path = PYPROJECT) -> ReleaseConfig:
    """Read ``[tool.atlas]``; raise ``ValueError`` naming the file when it is missing or has no licence."""
    data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    atlas = data.get("tool", {}).get("atlas")
    if not atlas:
        raise ValueError(f"{pyproject}: no [tool.atlas] table with the release metadata")
    if not atlas.get("licenses"):
        raise ValueError(f"{pyproject}: [tool.atlas] names no licence; a release needs one")
    known = {"name", "title", "description", "homepage", "keywords", "licenses", "sources", "contributors"}
    return ReleaseConfig(
        name=atlas["name"],
        title=atlas["title"],
        description=atlas["description"],
        homepage=atlas.get("homepage"),
        keywords=tuple(atlas.get("keywords", ())),
        licenses=tuple(atlas.get("licenses", ())),
        sources=tuple(atlas.get("sources", ())),
        contributors=tuple(atlas.get("contributors", ())),
        extra={k: v for k, v in atlas.items() if k not in known},
    )


# -- the run configuration ---------------------------------------------------------------------------

SETTINGS_TABLE = "settings"  # [tool.atlas.settings] in pyproject.toml
INSTANCE_KINDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its environment variable, default (``None``: derived from others) and meaning."""

    name: str
    env: tuple[str, ...]
    default: str | int | None
    help: str
    kind: type = str  # str, Path or int


SETTING_SPECS: tuple[SettingSpec, ...] = (
    SettingSpec("sources", ("ATLAS_SOURCES",), "sources", "folder of raw profile files", Path),
    SettingSpec("outputs", ("ATLAS_OUTPUTS",), "outputs", "staging, blocked runs, releases, site, caches", Path),
    SettingSpec(
        "corrections",
        ("ATLAS_CORRECTIONS",),
        None,
        "the editors' corrections file (default <sources>/corrections.yaml; never read as a profile source)",
        Path,
    ),
    SettingSpec(
        "dagster_home", ("ATLAS_DAGSTER_HOME", "DAGSTER_HOME"), None, "the corpus's Dagster instance (default <outputs>/.dagster)", Path
    ),
    SettingSpec("instance", ("ATLAS_INSTANCE",), "sqlite", "instance storage: sqlite (quick start) or postgres (production)"),
    SettingSpec(
        "postgres_url", ("ATLAS_POSTGRES_URL",), "", "postgresql+psycopg2://user:password@host:port/database (one database per corpus)"
    ),
    SettingSpec("cache", ("ATLAS_CACHE",), None, "per-file extraction cache (default <outputs>/.cache; any fsspec URL)"),
    SettingSpec("io_base", ("ATLAS_IO_BASE",), None, "Dagster step outputs (default <outputs>/.io; any fsspec URL)"),
    SettingSpec("executor", ("ATLAS_EXECUTOR",), "in_process", "in_process, multiprocess, k8s or celery"),
    SettingSpec("max_concurrent", ("ATLAS_MAX_CONCURRENT",), None, "steps at once on the multiprocess executor (default: CPUs)", int),
    SettingSpec("schedule_cron", ("ATLAS_SCHEDULE_CRON",), "0 6 * * 1", "cron of the weekly_pipeline schedule"),
    SettingSpec("schedule_timezone", ("ATLAS_SCHEDULE_TIMEZONE",), "Europe/Zurich", "time zone of the schedule"),
    SettingSpec("sensor_interval", ("ATLAS_SENSOR_INTERVAL",), 60, "seconds between two evaluations of the sources_changed sensor", int),
    SettingSpec("webhook_url", ("ATLAS_WEBHOOK_URL",), "", "where a JSON notice of each blocked or failed run is POSTed (empty: none)"),
)
SPECS_BY_NAME = {s.name: s for s in SETTING_SPECS}


class ConfigError(ValueError):
    """A setting has a value that cannot be used; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Settings:
    """The resolved run configuration; ``origins`` says where each value came from."""

    sources: Path
    outputs: Path
    corrections: Path
    dagster_home: Path
    instance: str
    postgres_url: str
    cache: str
    io_base: str
    executor: str
    max_concurrent: int
    schedule_cron: str
    schedule_timezone: str
    sensor_interval: int
    webhook_url: str
    origins: dict[str, str] = field(default_factory=dict, compare=False)

    def env(self) -> dict[str, str]:
        """The configuration as ``ATLAS_*`` variables (plus ``DAGSTER_HOME``), for the Dagster
        processes ``atlas ui`` starts: they resolve exactly these values."""
        out = {spec.env[0]: str(getattr(self, spec.name)) for spec in SETTING_SPECS}
        out["DAGSTER_HOME"] = str(self.dagster_home)
        return out

    def rows(self) -> list[tuple[str, str, str, str]]:
        """(name, value as shown, origin, environment variable) for ``atlas config``."""
        out = []
        for spec in SETTING_SPECS:
            value = str(getattr(self, spec.name))
            if spec.name == "postgres_url":
                value = _mask_password(value)
            out.append((spec.name, value, self.origins.get(spec.name, "default"), spec.env[0]))
        return out

    def folders(self) -> str:
        """The folders a command uses, on one line (every command prints it)."""
        return f"sources {self.sources} · outputs {self.outputs} · instance {self.dagster_home} ({self.instance})"


def _mask_password(url: str) -> str:
    head, sep, tail = url.partition("@")
    if not sep or ":" not in head.split("//", 1)[-1]:
        return url
    scheme, _, userpass = head.rpartition("//")
    user = userpass.split(":", 1)[0]
    return f"{scheme}//{user}:***@{tail}"


def find_pyproject(cwd: Path | None = None) -> Path | None:
    """The ``pyproject.toml`` whose ``[tool.atlas.settings]`` applies: the working directory's, else
    the project's (the checkout, or the copy inside an installed wheel)."""
    local = (cwd or Path.cwd()) / "pyproject.toml"
    for candidate in (local, PYPROJECT):
        if candidate.is_file():
            return candidate
    return None


def _file_settings(pyproject: Path | None) -> dict[str, object]:
    if pyproject is None:
        return {}
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: cannot be read as TOML ({exc})") from None
    table = data.get("tool", {}).get("atlas", {}).get(SETTINGS_TABLE, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{pyproject}: [tool.atlas.{SETTINGS_TABLE}] is not a table")
    unknown = sorted(set(table) - set(SPECS_BY_NAME))
    if unknown:
        raise ConfigError(f"{pyproject}: unknown setting(s) in [tool.atlas.{SETTINGS_TABLE}]: {', '.join(unknown)}")
    return table


def _convert(spec: SettingSpec, raw: object, origin: str, base: Path) -> object:
    if spec.kind is int:
        try:
            value = int(str(raw).strip())
        except ValueError:
            raise ConfigError(f"{spec.name} = {raw!r} ({origin}): expected a whole number") from None
        if value < 1:
            raise ConfigError(f"{spec.name} = {raw!r} ({origin}): must be at least 1")
        return value
    if spec.kind is Path:
        path = Path(str(raw)).expanduser()
        return path if path.is_absolute() else (base / path)
    return str(raw)


def load_settings(
    overrides: Mapping[str, object] | None = None,
    *,
    environ: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Settings:
    """The configuration: ``overrides`` (command-line flags; ``None`` = not given) > environment
    (``ATLAS_*``; ``DAGSTER_HOME`` too) > ``[tool.atlas.settings]`` > defaults. Relative paths are
    taken from the working directory (flags, environment, defaults) or from the pyproject's folder.
    Raises :class:`ConfigError` naming the setting and its origin when a value is unusable."""
    import os

    environ = dict(os.environ if environ is None else environ)
    cwd = (cwd or Path.cwd()).absolute()
    pyproject = find_pyproject(cwd)
    from_file = _file_settings(pyproject)
    values: dict[str, object] = {}
    origins: dict[str, str] = {}
    for spec in SETTING_SPECS:
        given = (overrides or {}).get(spec.name)
        env_name = next((e for e in spec.env if environ.get(e)), None)
        if given is not None and given != "":
            raw, origin, base = given, "flag", cwd
        elif env_name:
            raw, origin, base = environ[env_name], f"environment {env_name}", cwd
        elif spec.name in from_file:
            assert pyproject is not None
            raw, origin, base = from_file[spec.name], f"{pyproject} [tool.atlas.{SETTINGS_TABLE}]", pyproject.parent
        elif spec.default is not None:
            raw, origin, base = spec.default, "default", cwd
        else:
            continue  # derived below
        values[spec.name] = _convert(spec, raw, origin, base)
        origins[spec.name] = origin
    outputs = Path(values["outputs"])  # type: ignore[arg-type]
    values.setdefault("corrections", Path(values["sources"]) / CORRECTIONS_NAME)  # type: ignore[arg-type]
    values.setdefault("dagster_home", outputs / ".dagster")
    values.setdefault("cache", str(outputs / ".cache"))
    values.setdefault("io_base", str(outputs / ".io"))
    values.setdefault("max_concurrent", os.cpu_count() or 2)
    for name in ("dagster_home", "cache", "io_base", "max_concurrent"):
        origins.setdefault(name, "default (from outputs)" if name != "max_concurrent" else "default (CPUs)")
    origins.setdefault("corrections", "default (from sources)")
    settings = Settings(**values, origins=origins)  # type: ignore[arg-type]
    _check(settings)
    return settings


def _check(settings: Settings) -> None:
    if settings.instance not in INSTANCE_KINDS:
        raise ConfigError(
            f"instance = {settings.instance!r} ({settings.origins['instance']}): expected one of {', '.join(INSTANCE_KINDS)}"
        )
    if settings.instance == "postgres" and not settings.postgres_url:
        raise ConfigError("instance = postgres needs postgres_url (ATLAS_POSTGRES_URL or [tool.atlas.settings] postgres_url)")
    if settings.webhook_url and not settings.webhook_url.startswith(("http://", "https://")):
        raise ConfigError(f"webhook_url = {settings.webhook_url!r} ({settings.origins['webhook_url']}): expected an http(s) URL")
