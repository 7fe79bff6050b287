"""What Parley may see on Discord (adapters/discord/access.py): a channel permission or the
Message Content intent it lacks is named with the fix, and without that intent it still runs,
answering mentions, and tells the admin who turns `auto` on. The real discord.py client against
the loopback fake."""

from __future__ import annotations

from adapters.discord.adapter import DiscordAdapter
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from facilitator.store.sqlite import SqliteStore
from tests.fakes.discord_api import FakeDiscord, Intent, Perm
from tests.fakes.openai_server import FakeOpenAI
from tests.support.discord import ANN, GENERAL, GUILD, DiscordDriver, build
from tests.support.driver import ALICE, TRIP

HERE = ConversationRef("discord", str(GENERAL))


async def test_with_every_permission_and_intent_nothing_is_hidden(
    fake: FakeDiscord, bot: DiscordAdapter
) -> None:
    assert await bot.partial_view(HERE) is None
    dm = fake.dm_channel(ANN)
    assert await bot.partial_view(ConversationRef("discord", dm["id"], is_direct=True)) is None


async def test_without_read_message_history_members_are_told_how_to_fix_it(
    facilitator: Facilitator, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    server = build(FakeDiscord())
    bot_member = server.members[GUILD][server.bot_id]
    server.text_channel(
        GUILD,
        GENERAL + 1,
        "announcements",
        permission_overwrites=[server.overwrite(bot_member, deny=Perm.READ_MESSAGE_HISTORY)],
    )
    server.text_channel(
        GUILD,
        GENERAL + 2,
        "staff",
        permission_overwrites=[server.overwrite(bot_member, deny=Perm.VIEW_CHANNEL)],
    )
    await server.start()
    try:
        async with DiscordDriver(server, fake_model, store).running(core=facilitator) as parley:
            bot = parley.adapter
            history = await bot.partial_view(ConversationRef("discord", str(GENERAL + 1)))
            hidden = await bot.partial_view(ConversationRef("discord", str(GENERAL + 2)))
            assert await bot.partial_view(HERE) is None
    finally:
        await server.stop()
    assert history is not None and "Read Message History" in history and "Permissions" in history
    assert "MESSAGE CONTENT" not in history
    assert hidden is not None and "cannot see this channel" in hidden and "View Channel" in hidden


async def test_without_the_message_content_intent_it_runs_answers_mentions_and_says_why(
    facilitator: Facilitator, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    server = await build(FakeDiscord(privileged_intents=Intent.GUILD_MEMBERS)).start()
    try:
        async with DiscordDriver(server, fake_model, store).running(core=facilitator) as parley:
            view = await parley.adapter.partial_view(HERE)
            dm = ConversationRef("discord", server.dm_channel(ANN)["id"], is_direct=True)
            assert await parley.adapter.partial_view(dm) is None
            await parley.say(TRIP, ALICE, "said without mentioning anyone")
            await parley.ask(TRIP, ALICE, "are you there?")
            await parley.command(TRIP, ALICE, "mode auto")
            await facilitator.idle()
    finally:
        await server.stop()
    assert not server.gateway.identifies[0]["intents"] & Intent.MESSAGE_CONTENT  # not refused: not asked
    [told] = server.interaction_responses  # the admin who turns auto on learns what it will miss
    assert "MESSAGE CONTENT INTENT" in told["data"]["content"]
    assert view is not None and "MESSAGE CONTENT INTENT" in view and "Developer Portal" in view
    [request] = fake_model.received
    assert "are you there?" in request.text and "without mentioning" not in request.text
