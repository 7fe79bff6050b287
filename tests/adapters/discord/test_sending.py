"""What Parley posts on Discord and how (adapters/discord/sending.py): a rate-limited send waited
out, reactions in Unicode or by a server emoji's name. The real discord.py client against the
loopback fake, the real core."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from facilitator.actions import React
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from tests.fakes.discord_api import FakeDiscord
from tests.support import until
from tests.support.discord import ANN, GENERAL, answers


async def test_reactions_take_unicode_or_a_servers_emoji_by_name(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    said = await fake.dispatch_message(GENERAL, fake.users[ANN], "we won!")
    where = ConversationRef("discord", str(GENERAL))
    await bot.perform(React(where, said["id"], "🎉"))
    await bot.perform(React(where, said["id"], ":party:"))
    await until(lambda: len(fake.calls_of("PUT", "/channels/{id}/messages/{id}/reactions/*/@me")) == 2)
    emojis = [call["path"] for call in fake.calls_of("PUT", "/channels/{id}/messages/{id}/reactions/*/@me")]
    assert all(path.startswith(f"/channels/{GENERAL}/messages/{said['id']}/reactions/") for path in emojis)
    assert "party" in emojis[1] and "1440000000000000001" in emojis[1]
    assert fake.reactions[(GENERAL, int(said["id"]))] == ["🎉", "party:1440000000000000001"]


async def test_a_rate_limited_send_is_waited_out(
    fake: FakeDiscord, bot: DiscordAdapter, facilitator: Facilitator
) -> None:
    fake.fail_next("POST /channels/{channel_id}/messages", retry_after=0.5)
    await fake.dispatch_message(GENERAL, fake.users[ANN], f"<@{fake.bot_id}> hi", mentions=[fake.bot_user])
    await until(lambda: answers(fake))
    await facilitator.idle()
    assert [text.strip() for text in answers(fake)] == ["Hello from the fake model."]
    assert len(fake.calls_of("POST", "/channels/{id}/messages")) == 2  # refused once, then sent
