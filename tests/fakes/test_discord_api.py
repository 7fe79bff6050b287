"""The Discord fake against the real discord.py client: if discord.py logs in, connects, reads what
the fake dispatches and gets what it expects from the REST answers — and raises what it would raise
against Discord — adapter tests built on the fake mean something."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import discord
import pytest
import yarl
from discord import app_commands

from tests.fakes.discord_api import FakeDiscord, Intent, Perm, pointed_at
from tests.fakes.openai_server import png
from tests.support import until

GUILD, GENERAL, QUIET = 1_310_000_000_000_000_001, 1_310_000_000_000_000_011, 1_310_000_000_000_000_012
ANN, BOB = 1_320_000_000_000_000_001, 1_320_000_000_000_000_002
PARLEY_EMOJI = 1_340_000_000_000_000_001


def build(fake: FakeDiscord) -> FakeDiscord:
    ann = fake.user(ANN, "ann", "Ann Lee")
    bob = fake.user(BOB, "bob")
    guild = fake.guild(GUILD, "Parley Test", owner_id=ann)
    fake.text_channel(guild, GENERAL, "general", topic="everything")
    everyone = guild["roles"][0]
    fake.text_channel(
        guild, QUIET, "quiet", permission_overwrites=[fake.overwrite(everyone, deny=Perm.SEND_MESSAGES)]
    )
    fake.member(guild, ann, nick="Annie", admin=True)
    fake.member(guild, bob)
    fake.emoji(guild, PARLEY_EMOJI, "parley")
    return fake


@pytest.fixture(autouse=True)
def discord_logs_no_error(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """discord.py logs what it could not parse (a GUILD_CREATE it dropped, a failing handler)
    instead of raising: such a record fails the test."""
    caplog.set_level(logging.INFO, logger="discord")
    yield
    errors = [r for r in caplog.records if r.name.startswith("discord") and r.levelno >= logging.ERROR]
    assert not errors, [r.getMessage() for r in errors]


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    server = await build(FakeDiscord()).start()
    with pointed_at(server):
        yield server
    await server.stop()


class Recorder(discord.Client):
    """A client that remembers what discord.py handed it."""

    def __init__(self, **options: Any) -> None:
        intents = options.pop(
            "intents", discord.Intents.default() | discord.Intents(message_content=True, members=True)
        )
        super().__init__(intents=intents, chunk_guilds_at_startup=False, guild_ready_timeout=0.05, **options)
        self.events: list[tuple[str, Any]] = []

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """discord.py sleeps 5 s before every identify but the first; the fake needs no such pause."""

    def note(self, name: str, value: Any) -> None:
        self.events.append((name, value))

    def of(self, name: str) -> list[Any]:
        return [value for kind, value in self.events if kind == name]

    async def on_message(self, message: discord.Message) -> None:
        self.note("message", message)

    async def on_message_edit(self, before: discord.Message, after: discord.Message) -> None:
        self.note("edit", after)

    async def on_thread_create(self, thread: discord.Thread) -> None:
        self.note("thread", thread)

    async def on_resumed(self) -> None:
        self.note("resumed", None)

    async def on_member_update(self, before: discord.Member, after: discord.Member) -> None:
        self.note("member_update", after)


async def running(client: discord.Client, fake: FakeDiscord) -> asyncio.Task[None]:
    task = asyncio.create_task(client.start(fake.token))
    ready = asyncio.create_task(client.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=10, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        if task in done:
            task.result()  # raises what start() raised
        raise TimeoutError("the client did not become ready")
    return task


@pytest.fixture
async def client(fake: FakeDiscord) -> AsyncIterator[Recorder]:
    bot = Recorder()
    task = await running(bot, fake)
    yield bot
    await bot.close()
    await asyncio.wait_for(task, 5)


async def test_login_and_ready_show_the_configured_guild(fake: FakeDiscord, client: Recorder) -> None:
    assert client.user is not None and client.user.id == fake.bot_id and client.user.bot
    assert client.application_id == fake.application_id
    guild = client.get_guild(GUILD)
    assert guild is not None and guild.name == "Parley Test" and guild.owner_id == ANN
    assert {c.name for c in guild.text_channels} == {"general", "quiet"}
    ann = guild.get_member(ANN)
    assert ann is not None and ann.nick == "Annie" and ann.guild_permissions.administrator
    assert guild.get_member(BOB) is not None and guild.me is not None
    quiet = guild.get_channel(QUIET)
    assert isinstance(quiet, discord.TextChannel)
    assert not quiet.permissions_for(guild.me).send_messages
    assert guild.get_channel(GENERAL).permissions_for(guild.me).send_messages  # type: ignore[union-attr]
    identify = fake.gateway.identifies[0]
    assert identify["intents"] & Intent.MESSAGE_CONTENT and identify["intents"] & Intent.GUILD_MEMBERS
    assert fake.gateway.connections[0]["query"] == {"v": "10", "encoding": "json", "compress": "zlib-stream"}
    assert [c["path"] for c in fake.calls[:2]] == ["/users/@me", "/oauth2/applications/@me"]


async def test_wrong_token_is_refused(fake: FakeDiscord) -> None:
    bot = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await bot.login("not.the.token")
    await bot.close()


async def test_member_message_reaches_on_message_with_content(fake: FakeDiscord, client: Recorder) -> None:
    sent = await fake.dispatch_message(GENERAL, ANN, f"<@{fake.bot_id}> hello there")
    assert sent["member"]["nick"] == "Annie" and sent["guild_id"] == str(GUILD)
    assert sent["mentions"][0]["id"] == str(fake.bot_id) and "member" in sent["mentions"][0]
    [message] = await until(lambda: client.of("message"))
    assert message.content == f"<@{fake.bot_id}> hello there"
    assert message.author.id == ANN and isinstance(message.author, discord.Member)
    assert client.user in message.mentions and message.channel.id == GENERAL


async def test_without_the_content_intent_guild_messages_arrive_empty(fake: FakeDiscord) -> None:
    bot = Recorder(intents=discord.Intents.default())
    task = await running(bot, fake)
    try:
        await fake.dispatch_message(GENERAL, ANN, "just chatting")
        await fake.dispatch_message(GENERAL, ANN, f"<@{fake.bot_id}> you there?")
        messages = await until(lambda: len(bot.of("message")) == 2 and bot.of("message"))
        assert [m.content for m in messages] == ["", f"<@{fake.bot_id}> you there?"]
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


async def test_send_edit_delete_show_what_members_see(fake: FakeDiscord, client: Recorder) -> None:
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    question = await fake.dispatch_message(GENERAL, ANN, "what's up?")
    first = await channel.send(
        "Thinking…", reference=discord.MessageReference(message_id=int(question["id"]), channel_id=GENERAL)
    )
    assert first.reference is not None and first.reference.message_id == int(question["id"])
    await first.edit(content="All good.")
    second = await channel.send("scratch that")
    await second.delete()
    assert fake.channel_messages(GENERAL) == ["All good."]
    [edit] = fake.calls_of("PATCH", "/channels/{channel_id}/messages/{message_id}")
    assert edit["json"]["content"] == "All good."
    posted = fake.calls_of("POST", f"/channels/{GENERAL}/messages")
    assert str(posted[0]["json"]["message_reference"]["message_id"]) == question["id"]
    # The bot hears its own message back over the gateway, as on Discord.
    await until(lambda: any(m.author.id == fake.bot_id for m in client.of("message")))


async def test_message_rules_answer_as_discord_does(fake: FakeDiscord, client: Recorder) -> None:
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001)
    assert too_long.value.status == 400 and too_long.value.code == 50035
    assert "content" in str(too_long.value)
    with pytest.raises(discord.HTTPException) as empty:
        await client.http.send_message(GENERAL, params=discord.http.handle_message_parameters(content=""))
    assert empty.value.code == 50006
    quiet = client.get_channel(QUIET)
    assert isinstance(quiet, discord.TextChannel)
    with pytest.raises(discord.Forbidden) as forbidden:
        await quiet.send("hi")
    assert forbidden.value.code == 50013
    with pytest.raises(discord.NotFound):
        await channel.fetch_message(1)
    assert fake.channel_messages(GENERAL) == []


async def test_allowed_mentions_decide_who_is_pinged(fake: FakeDiscord, client: Recorder) -> None:
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    quiet = await channel.send(f"<@{ANN}> @everyone", allowed_mentions=discord.AllowedMentions.none())
    assert quiet.mentions == [] and not quiet.mention_everyone
    loud = await channel.send(f"<@{ANN}> look")
    assert [user.id for user in loud.mentions] == [ANN]


async def test_reaction_typing_and_thread(fake: FakeDiscord, client: Recorder) -> None:
    question = await fake.dispatch_message(GENERAL, BOB, "can we talk in a thread?")
    [message] = await until(lambda: client.of("message"))
    await message.add_reaction("👀")
    guild = client.get_guild(GUILD)
    assert guild is not None and [e.name for e in guild.emojis] == ["parley"]
    await message.add_reaction(guild.emojis[0])
    await message.channel.typing()
    thread = await message.create_thread(name="Bob's question")
    assert thread.id == int(question["id"]) and thread.parent_id == GENERAL
    assert fake.reactions[(GENERAL, int(question["id"]))] == ["👀", f"parley:{PARLEY_EMOJI}"]
    assert [r["count"] for r in fake.message(GENERAL, question["id"])["reactions"]] == [1, 1]  # type: ignore[index]
    assert fake.typing == [GENERAL]
    [created] = await until(lambda: client.of("thread"))
    assert created.id == thread.id and created.name == "Bob's question"
    await thread.add_user(discord.Object(BOB))
    assert BOB in fake.thread_members[thread.id]
    await thread.send("Sure.")
    assert fake.channel_messages(thread.id) == ["Sure."]
    with pytest.raises(discord.HTTPException) as unknown_emoji:
        await message.add_reaction("notanemoji")
    assert unknown_emoji.value.code == 10014


async def test_private_threads_follow_discords_rules(fake: FakeDiscord, client: Recorder) -> None:
    general, quiet = client.get_channel(GENERAL), client.get_channel(QUIET)
    assert isinstance(general, discord.TextChannel) and isinstance(quiet, discord.TextChannel)
    thread = await general.create_thread(name="just us", type=discord.ChannelType.private_thread)
    assert thread.type is discord.ChannelType.private_thread and thread.parent_id == GENERAL
    [created] = await until(lambda: client.of("thread"))
    assert created.id == thread.id and created.is_private() and created.invitable
    assert [c["json"]["type"] for c in fake.calls_of("POST", "/channels/{channel_id}/threads")] == [12]
    await thread.add_user(discord.Object(BOB))
    await thread.add_user(discord.Object(BOB))  # already a member: 204 all the same
    assert fake.thread_members[thread.id] == {fake.bot_id, BOB}
    assert sorted(member.id for member in await thread.fetch_members()) == sorted([fake.bot_id, BOB])
    with pytest.raises(discord.NotFound) as stranger:
        await thread.add_user(discord.Object(1_320_000_000_000_000_099))
    assert stranger.value.code == 10007  # Unknown Member: not in the server
    closed = await general.create_thread(
        name="moderated", type=discord.ChannelType.private_thread, invitable=False
    )
    with pytest.raises(discord.Forbidden) as not_invitable:  # only moderators add people there
        await closed.add_user(discord.Object(BOB))
    assert not_invitable.value.code == 50013
    fake.channels[thread.id]["thread_metadata"]["archived"] = True
    with pytest.raises(discord.HTTPException) as archived:
        await thread.add_user(discord.Object(ANN))
    assert archived.value.code == 50083
    hidden = fake.thread(GENERAL, "Ann's own", owner=fake.users[ANN], type=12)
    with pytest.raises(discord.Forbidden) as unseen:  # neither a member nor a moderator
        await client.fetch_channel(int(hidden["id"]))
    assert unseen.value.code == 50001
    everyone = fake.guilds[GUILD]["roles"][0]
    bot_role = next(role for role in fake.guilds[GUILD]["roles"] if role["managed"])
    fake.channels[QUIET]["permission_overwrites"] += [
        fake.overwrite(everyone, deny=Perm.CREATE_PRIVATE_THREADS),
        fake.overwrite(bot_role, deny=Perm.CREATE_PRIVATE_THREADS),
    ]
    with pytest.raises(discord.Forbidden) as refused:
        await quiet.create_thread(name="nope", type=discord.ChannelType.private_thread)
    assert refused.value.code == 50013
    with pytest.raises(discord.HTTPException) as bad_duration:
        await general.create_thread(name="x", auto_archive_duration=30)  # type: ignore[arg-type]
    assert bad_duration.value.code == 50035


async def test_a_rate_limited_send_is_waited_out(fake: FakeDiscord, client: Recorder) -> None:
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    fake.fail_next("POST /channels/{channel_id}/messages", retry_after=0.2)
    started = asyncio.get_running_loop().time()
    await channel.send("patience")
    assert asyncio.get_running_loop().time() - started >= 0.2
    assert len(fake.calls_of("POST", "/channels/{channel_id}/messages")) == 2
    assert fake.channel_messages(GENERAL) == ["patience"]


async def test_resume_replays_what_was_missed(fake: FakeDiscord, client: Recorder) -> None:
    await fake.gateway_reconnect(resume=True, hold=True)
    await fake.dispatch_message(GENERAL, ANN, "sent while you were away")
    fake.release_gateway()
    [message] = await until(lambda: client.of("message"))
    assert message.content == "sent while you were away"
    await until(lambda: client.of("resumed"))
    [resume] = fake.gateway.resumes
    assert fake.gateway.session is not None and resume["session_id"] == fake.gateway.session.id
    assert resume["seq"] >= 2  # READY and the GUILD_CREATE came before
    assert fake.gateway.connections[-1]["path"] == "/gateway-resume"
    assert len(fake.gateway.identifies) == 1


async def test_replaying_a_seen_dispatch_delivers_it_twice(fake: FakeDiscord, client: Recorder) -> None:
    sent = await fake.dispatch_message(GENERAL, ANN, "once")
    await until(lambda: client.of("message"))
    await fake.gateway_reconnect(resume=True, replay_after=fake.seq_of(sent) - 1)
    messages = await until(lambda: len(client.of("message")) == 2 and client.of("message"))
    assert messages[0].id == messages[1].id  # an adapter has to deduplicate on the message id


async def test_invalid_session_makes_the_client_identify_again(fake: FakeDiscord, client: Recorder) -> None:
    await fake.gateway_invalid_session(resumable=False)
    await until(lambda: len(fake.gateway.identifies) == 2)
    await fake.dispatch_message(GENERAL, ANN, "new session")
    [message] = await until(lambda: client.of("message"))
    assert message.content == "new session"


async def test_missing_privileged_intent_fails_the_connection(fake: FakeDiscord) -> None:
    fake.privileged_intents = Intent.GUILD_MEMBERS  # message content not enabled in the portal
    bot = Recorder()
    try:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await asyncio.wait_for(bot.start(fake.token), 10)
    finally:
        await bot.close()
    assert fake.gateway.identifies == [] and fake.gateway.session is None


async def test_member_chunks_and_updates(fake: FakeDiscord, client: Recorder) -> None:
    guild = client.get_guild(GUILD)
    assert guild is not None
    members = await guild.chunk()
    assert {m.id for m in members} >= {ANN, BOB, fake.bot_id}
    assert fake.gateway.member_requests[0]["guild_id"] == GUILD
    role = fake.role(GUILD, 1_330_000_000_000_000_001, "helpers")
    await fake.dispatch_member_update(GUILD, BOB, nick="Bobby")
    [updated] = await until(lambda: client.of("member_update"))
    assert updated.nick == "Bobby"
    fetched = await guild.fetch_member(BOB)
    assert fetched.nick == "Bobby" and role["id"] not in [str(r.id) for r in fetched.roles]


async def test_compressed_frames_are_understood() -> None:
    server = await build(FakeDiscord(compress_frames=True)).start()
    try:
        with pointed_at(server):
            bot = Recorder()
            task = await running(bot, server)
            await server.dispatch_message(GENERAL, ANN, "zipped")
            [message] = await until(lambda: bot.of("message"))
            assert message.content == "zipped"
            await bot.close()
            await asyncio.wait_for(task, 5)
    finally:
        await server.stop()


def command_tree(bot: discord.Client) -> app_commands.CommandTree[Any]:
    tree: app_commands.CommandTree[Any] = app_commands.CommandTree(bot)
    parley = app_commands.Group(name="parley", description="Talk to Parley")

    @parley.command(name="help", description="What Parley can do")
    async def help_command(interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message("I summarise and answer.", ephemeral=True)

    @parley.command(name="ask", description="Ask Parley")
    async def ask(interaction: discord.Interaction[Any], question: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.edit_original_response(content=f"You asked: {question}")

    tree.add_command(parley)
    return tree


async def test_commands_sync_and_interactions_are_answered(fake: FakeDiscord, client: Recorder) -> None:
    tree = command_tree(client)
    synced = await tree.sync()
    assert [command.name for command in synced] == ["parley"]
    [stored] = fake.commands[None]
    assert {option["name"] for option in stored["options"]} == {"help", "ask"}
    assert fake.calls_of("PUT", "/applications/{application_id}/commands")

    await fake.dispatch_interaction(GUILD, GENERAL, ANN, "parley", "help")
    [response] = await until(lambda: fake.interaction_responses)
    assert response["type"] == 4 and response["data"]["flags"] & 64 and response["ephemeral"]
    assert fake.ephemeral_messages(GENERAL) == ["I summarise and answer."]
    assert fake.channel_messages(GENERAL) == []

    await fake.dispatch_interaction(GUILD, GENERAL, BOB, "parley", "ask", {"question": "why?"})
    await until(lambda: any(f["method"] == "PATCH" for f in fake.followups))
    assert fake.interaction_responses[-1]["type"] == 5
    assert fake.channel_messages(GENERAL) == ["You asked: why?"]


async def test_interaction_callbacks_follow_discords_rules(fake: FakeDiscord, client: Recorder) -> None:
    interaction = await fake.dispatch_interaction(GUILD, GENERAL, ANN, "parley", "help")
    url = f"{fake.rest_base}/interactions/{interaction['id']}/{interaction['token']}/callback"
    async with aiohttp.ClientSession() as http:
        async with http.post(url, json={"type": 4, "data": {"content": "Hello!"}}) as first:
            assert first.status == 204
        async with http.post(url, json={"type": 4, "data": {"content": "Again"}}) as again:
            assert again.status == 400 and again.headers["Content-Type"] == "application/json"
            assert (await again.json())["code"] == 40060
        fake.interaction_deadline = 0.0  # Discord gives 3 s
        late = await fake.dispatch_interaction(GUILD, GENERAL, ANN, "parley", "help")
        late_url = f"{fake.rest_base}/interactions/{late['id']}/{late['token']}/callback"
        async with http.post(late_url, json={"type": 4, "data": {"content": "Too late"}}) as expired:
            assert expired.status == 404 and (await expired.json())["code"] == 10062
    assert fake.channel_messages(GENERAL) == ["Hello!"]  # not ephemeral: members see it
    await until(lambda: any(m.content == "Hello!" for m in client.of("message")))


async def test_unknown_events_are_ignored(fake: FakeDiscord, client: Recorder) -> None:
    await fake.dispatch_raw({"t": "SOMETHING_NEW", "d": {"anything": 1}})
    await fake.dispatch_message(GENERAL, ANN, "still here")
    [message] = await until(lambda: client.of("message"))
    assert message.content == "still here"


async def test_a_malformed_message_event_stops_discord_py(fake: FakeDiscord) -> None:
    """discord.py does not guard its parsers: an adapter has to survive start() raising."""
    bot = Recorder()
    task = await running(bot, fake)
    try:
        await fake.dispatch_raw({"t": "MESSAGE_CREATE", "d": {"id": "1", "channel_id": str(GENERAL)}})
        with pytest.raises(KeyError):
            await asyncio.wait_for(task, 5)
    finally:
        await bot.close()


async def test_an_auto_sharded_client_asks_for_the_gateway(fake: FakeDiscord) -> None:
    bot = discord.AutoShardedClient(
        intents=discord.Intents.default(), chunk_guilds_at_startup=False, guild_ready_timeout=0.05
    )
    task = await running(bot, fake)
    try:
        assert fake.calls_of("GET", "/gateway/bot")
        assert fake.gateway.identifies[0]["shard"] == [0, 1]
        assert bot.get_guild(GUILD) is not None
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


class QuickShards(discord.AutoShardedClient):
    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """No 5 s between the shards' identifies: the fake has no identify rate limit."""


async def test_shards_hear_only_their_servers_as_discord_shards_them(fake: FakeDiscord) -> None:
    """GET /gateway/bot recommends two shards; discord.py identifies both, each is sent the
    servers (guild_id >> 22) % 2 gives it, their messages, and DMs on shard 0 alone."""
    other = ((GUILD >> 22) + 1) << 22  # the next shard's server
    fake.text_channel(fake.guild(other, "Other", owner_id=ANN), other + 1, "elsewhere")
    fake.recommended_shards = 2
    bot = QuickShards(
        intents=discord.Intents.default(), chunk_guilds_at_startup=False, guild_ready_timeout=0.05
    )
    heard: list[tuple[int | None, int]] = []

    async def on_message(message: discord.Message) -> None:
        heard.append(
            (message.guild.id if message.guild else None, message.guild.shard_id if message.guild else 0)
        )

    bot.event(on_message)
    task = await running(bot, fake)
    try:
        assert len(fake.calls_of("GET", "/gateway/bot")) == 1  # it asked how many shards to run
        assert sorted(i["shard"] for i in fake.gateway.identifies) == [[0, 2], [1, 2]]
        mine = (GUILD >> 22) % 2
        for shard, guild in ((mine, GUILD), (1 - mine, other)):
            session = fake.gateway.current[(shard, 2)]
            created = [f["d"]["id"] for f in session.log if f["t"] == "GUILD_CREATE"]
            ready = next(f["d"] for f in session.log if f["t"] == "READY")
            assert created == [str(guild)] and [g["id"] for g in ready["guilds"]] == [str(guild)]
            assert ready["shard"] == [shard, 2]
        await fake.dispatch_message(GENERAL, ANN, "on the first")
        await fake.dispatch_message(other + 1, ANN, "on the other")
        await until(lambda: len(heard) == 2)
        assert sorted(heard) == sorted([(GUILD, mine), (other, 1 - mine)])
        sent = await fake.dispatch_message(fake.dm_channel(ANN), ANN, "a DM")
        assert fake.seq_of(sent) and sent in [source for source, _ in fake.gateway.current[(0, 2)].sources]
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


async def test_an_invalid_shard_is_refused_with_4010(fake: FakeDiscord) -> None:
    url = f"{fake.gateway_url}?v=10&encoding=json"
    identify = {"token": fake.token, "intents": 1, "properties": {}, "shard": [2, 2]}
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.receive_json()  # HELLO
        await ws.send_json({"op": 2, "d": identify})
        closed = await ws.receive()
    assert closed.type == aiohttp.WSMsgType.CLOSE and closed.data == 4010
    assert closed.extra == "Invalid shard." and fake.gateway.identifies == []


async def test_files_go_up_as_multipart_and_come_back_from_the_cdn(
    fake: FakeDiscord, client: Recorder
) -> None:
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    question = await fake.dispatch_message(GENERAL, ANN, "a map?")
    picture = png(40, 30)
    sent = await channel.send(
        "the map",
        file=discord.File(io.BytesIO(picture), filename="map.png", description="a map"),
        reference=discord.MessageReference(message_id=int(question["id"]), channel_id=GENERAL),
    )
    [upload] = fake.uploads
    assert upload["field"] == "files[0]" and upload["filename"] == "map.png" and upload["data"] == picture
    assert upload["content"] == "the map" and upload["message_reference"]["message_id"] == int(question["id"])
    [attachment] = sent.attachments
    assert attachment.filename == "map.png" and attachment.size == len(picture)
    assert attachment.content_type == "image/png" and (attachment.width, attachment.height) == (40, 30)
    assert attachment.description == "a map"
    assert await attachment.read() == picture  # discord.py's own CDN download
    assert "Authorization" not in fake.cdn.requests[-1]["headers"]
    with pytest.raises(discord.HTTPException) as too_long:
        await channel.send("x" * 2001, file=discord.File(io.BytesIO(picture), filename="map.png"))
    assert too_long.value.status == 400 and too_long.value.code == 50035
    with pytest.raises(discord.HTTPException) as too_big:
        await channel.send(file=discord.File(io.BytesIO(bytes(10 * 1024 * 1024 + 1)), filename="big.bin"))
    assert too_big.value.status == 413 and too_big.value.code == 40005
    assert len(fake.uploads) == 1


async def test_files_need_the_attach_files_permission(fake: FakeDiscord) -> None:
    everyone = fake.guilds[GUILD]["roles"][0]
    bot_role = next(role for role in fake.guilds[GUILD]["roles"] if role["managed"])
    deny = Perm.ATTACH_FILES
    fake.channels[GENERAL]["permission_overwrites"] = [
        fake.overwrite(everyone, deny=deny),
        fake.overwrite(bot_role, deny=deny),
    ]
    bot = Recorder()
    task = await running(bot, fake)
    try:
        channel = bot.get_channel(GENERAL)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.Forbidden) as forbidden:
            await channel.send(file=discord.File(io.BytesIO(png()), filename="x.png"))
        assert forbidden.value.code == 50013
        await channel.send("words are fine")
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)
    assert fake.uploads == [] and fake.channel_messages(GENERAL) == ["words are fine"]


async def test_a_members_attachment_is_signed_and_their_avatar_served(
    fake: FakeDiscord, client: Recorder, monkeypatch: pytest.MonkeyPatch
) -> None:
    photo = png(64, 48)
    await fake.dispatch_message(
        GENERAL, ANN, "look", attachments=[fake.attachment(GENERAL, "dog.png", photo, "image/png")]
    )
    [message] = await until(lambda: client.of("message"))
    [attachment] = message.attachments
    assert attachment.url.startswith(f"{fake.cdn_base}/attachments/{GENERAL}/{attachment.id}/dog.png?ex=")
    assert {"ex", "is", "hm"} <= set(yarl.URL(attachment.url).query)
    assert await attachment.read() == photo
    async with aiohttp.ClientSession() as http:
        async with http.get(attachment.url.split("?")[0]) as unsigned:
            assert unsigned.status == 404 and await unsigned.text() == "This content is no longer available."
    face = png(32, 32, (0, 0, 255))
    avatar = fake.set_avatar(BOB, face)
    monkeypatch.setattr(discord.Asset, "BASE", fake.cdn_base)
    user = await client.fetch_user(BOB)
    assert user.avatar is not None and user.avatar.key == avatar
    assert await user.avatar.read() == face  # /avatars/<user>/<hash>.png?size=1024, as discord.py asks


async def test_without_the_content_intent_attachments_arrive_empty_too(fake: FakeDiscord) -> None:
    bot = Recorder(intents=discord.Intents.default())
    task = await running(bot, fake)
    try:
        file = fake.attachment(GENERAL, "dog.png", png(), "image/png")
        await fake.dispatch_message(GENERAL, ANN, "look", attachments=[file])
        await fake.dispatch_message(GENERAL, ANN, f"<@{fake.bot_id}> look", attachments=[file])
        messages = await until(lambda: len(bot.of("message")) == 2 and bot.of("message"))
        assert [len(m.attachments) for m in messages] == [0, 1]
    finally:
        await bot.close()
        await asyncio.wait_for(task, 5)


async def test_history_after_a_message_reads_forward_as_discord_pages_it(
    fake: FakeDiscord, client: Recorder
) -> None:
    said = [await fake.dispatch_message(GENERAL, ANN, f"message {n}") for n in range(5)]
    first = int(said[0]["id"])
    page = await client.http.logs_from(GENERAL, 2, after=first)  # the 2 next ones, newest first
    assert [m["content"] for m in page] == ["message 2", "message 1"]
    channel = client.get_channel(GENERAL)
    assert isinstance(channel, discord.TextChannel)
    forward = [
        m.content async for m in channel.history(limit=None, after=discord.Object(first), oldest_first=True)
    ]
    assert forward == [f"message {n}" for n in range(1, 5)]
    with pytest.raises(discord.NotFound):
        await client.http.logs_from(1_399_999_999_999_999_999, 100, after=first)


async def test_a_clean_close_ends_the_session_and_4000_keeps_it(fake: FakeDiscord) -> None:
    async def identify_then_close(http: aiohttp.ClientSession, code: int) -> str:
        closes = len(fake.gateway.client_closes)
        async with http.ws_connect(fake.gateway_url) as ws:
            await ws.receive_json()  # HELLO
            await ws.send_json({"op": 2, "d": {"token": fake.token, "intents": 1, "properties": {}}})
            ready = await ws.receive_json()
            await ws.close(code=code)
        await until(lambda: len(fake.gateway.client_closes) > closes)
        return str(ready["d"]["session_id"])

    async with aiohttp.ClientSession() as http:
        kept = await identify_then_close(http, 4000)
        ended = await identify_then_close(http, 1000)
    assert fake.gateway.client_closes == [4000, 1000]
    assert kept in fake.gateway.sessions and ended not in fake.gateway.sessions


async def test_the_servers_and_active_threads_can_be_read_back(fake: FakeDiscord, client: Recorder) -> None:
    thread = fake.thread(GENERAL, "plans", owner=ANN)
    guilds = [guild async for guild in client.fetch_guilds()]
    assert [(g.id, g.name) for g in guilds] == [(GUILD, "Parley Test")]
    guild = client.get_guild(GUILD)
    assert guild is not None
    assert [t.id for t in await guild.active_threads()] == [int(thread["id"])]
