"""What the Discord adapter is configured with, and each value's default: the one place it is
written (bot/settings.py reads it for the `[discord]` section). Imports no SDK, so the settings
can read it without loading discord.py.

Shards: Discord splits a bot's servers between `shard_count` gateway sessions: a server belongs
to shard `(guild_id >> 22) % shard_count`, and its events go to that shard's connection only;
direct messages go to shard 0 alone. Several processes can each run some of the shards (one
dyno shards 0-3, the next 4-7), as an operator writes them (`--shards 0-3`, "0,2,5", "3",
`parse_shards`): each shard keeps its own gateway session, resumed after a restart under its
own key (`session_key`), so that two processes never resume each other's.
"""

from __future__ import annotations

import re
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
    # Discord's sharding (see the docstring): 1 is one gateway session for every server, as ever.
    shard_count: int = 1
    shard_ids: tuple[int, ...] | None = None  # the shards this process runs; None: all of them


UNSHARDED_KEY = "gateway"  # the one session of a bot that does not shard (as kept before shards)
_RANGE = re.compile(r"^(\d+)(?:-(\d+))?$")
FORMS = "a range 0-3, a list 0,2,5 or one shard 3"


def shard_of(guild_id: int | str, shard_count: int) -> int:
    """The shard a server's events arrive on (Discord's own formula)."""
    return (int(guild_id) >> 22) % shard_count


def session_key(shard_id: int | None, shard_count: int) -> str:
    """Under which key a shard's gateway session is kept: unsharded, the key it always had (so
    a deployment that starts sharding later, or never, resumes what it kept)."""
    if shard_id is None or shard_count <= 1:
        return UNSHARDED_KEY
    return f"{UNSHARDED_KEY}:{shard_id}"


def parse_shards(text: str, shard_count: int) -> tuple[int, ...]:
    """The shards named by `text` ("0-3", "0,2,5", "3", or a mix: "0-1,5"), sorted, each once.
    Raises ValueError saying what is wrong: a malformed part, a range that goes down, or a
    shard outside 0..shard_count-1."""
    parts = [part.strip() for part in text.split(",")]
    if not text.strip() or any(not part for part in parts):
        raise ValueError(f"{text!r} names no shard: give {FORMS}")
    found: set[int] = set()
    for part in parts:
        matched = _RANGE.match(part)
        if matched is None:
            raise ValueError(f"{part!r} is not a shard number or range: give {FORMS}")
        first = int(matched[1])
        last = int(matched[2]) if matched[2] is not None else first
        if last < first:
            raise ValueError(f"{part!r} goes down: write the range as {last}-{first}")
        if last >= shard_count:
            raise ValueError(
                f"shard {last} is out of range: with discord.shard_count = {shard_count}, "
                f"shards are 0-{shard_count - 1}"
            )
        found.update(range(first, last + 1))
    return tuple(sorted(found))


AUTO = "auto"  # the shards split between the processes sharing a database, a block each


def blocks(shard_count: int, per_process: int | None) -> list[tuple[int, ...]]:
    """The shards cut into blocks of `per_process` (all of them in one block when None), for
    `auto`: each process runs one block, in order of the shards."""
    size = min(per_process or shard_count, shard_count)
    return [tuple(range(start, min(start + size, shard_count))) for start in range(0, shard_count, size)]


def describe(shard_ids: tuple[int, ...], shard_count: int) -> str:
    """As a log line says it: "shards 0-1 of 4", "shards 0,2 of 4", "shard 3 of 4"."""
    if len(shard_ids) == 1:
        return f"shard {shard_ids[0]} of {shard_count}"
    contiguous = list(shard_ids) == list(range(shard_ids[0], shard_ids[-1] + 1))
    named = f"{shard_ids[0]}-{shard_ids[-1]}" if contiguous else ",".join(map(str, shard_ids))
    return f"shards {named} of {shard_count}"
