"""What the Discord adapter is configured with, and each value's default: the one place it is
written (bot/settings.py reads it for the `[discord]` section). Imports no SDK, so the settings
can read it without loading discord.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DISCORD_API = "https://discord.com/api/v10"
DISCORD_CDN = "https://cdn.discordapp.com"
# Over the group size limit: "offer" a thread in the notice, or "create" one from the message.
SizeLimitThread = Literal["offer", "create"]


@dataclass(frozen=True, slots=True)
class DiscordConfig:
    token: str
    mention_role_ids: tuple[str, ...] = ()  # a mention of these roles addresses the AI too
    admin_role_ids: tuple[str, ...] = ()  # besides Manage Server, who may change settings
    edit_seconds: float = 1.0  # a growing answer is edited at most this often per channel
    size_limit_thread: SizeLimitThread = "offer"
    group_channel_id: str | None = None  # where `group` from a DM starts private threads
    ready_timeout: float = 60.0
    guild_ready_timeout: float = 2.0
    api_base_url: str = DISCORD_API
    gateway_url: str | None = None
    cdn_base_url: str = DISCORD_CDN  # where attachments and avatars are downloaded from
    # Discord's sharding (shards.py): 1 is one gateway session for every server, as ever.
    shard_count: int = 1
    shard_ids: tuple[int, ...] | None = None  # the shards this process runs; None: all of them
