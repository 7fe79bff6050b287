"""The Telegram fake against the real python-telegram-bot: if PTB accepts what the fake answers and
raises what it would raise against Telegram, adapter tests built on the fake mean something."""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    ReactionTypeEmoji,
    ReplyParameters,
    Update,
)
from telegram.constants import ReactionEmoji
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from tests.fakes.openai_server import png
from tests.fakes.telegram_api import REACTION_EMOJI, FakeTelegram, jpeg
from tests.fakes.telegram_html import EntityParseError, parse_html
from tests.support import until

GROUP = -1001234567890


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


def bot_for(fake: FakeTelegram, token: str | None = None) -> Bot:
    return Bot(token or fake.token, base_url=fake.base_url, base_file_url=fake.base_file_url)


@pytest.fixture
async def bot(fake: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(fake) as client:
        yield client


@pytest.fixture
def people(fake: FakeTelegram) -> dict[str, Any]:
    ann = fake.user(1001, "Ann", "Lee", username="ann_lee")
    bob = fake.user(1002, "Bob")
    return {"ann": ann, "bob": bob, "group": fake.group(GROUP, "Book club", supergroup=True)}


async def test_get_me_returns_the_configured_bot(fake: FakeTelegram, bot: Bot) -> None:
    assert bot.username == "parley_test_bot"
    assert bot.first_name == "Parley"
    assert bot.id == fake.bot_id
    assert bot.bot.is_bot and bot.bot.can_join_groups and bot.bot.can_read_all_group_messages
    assert bot.bot.supports_inline_queries is False
    assert fake.calls[0][0] == "getMe"


def app_for(fake: FakeTelegram) -> Application[Any, Any, Any, Any, Any, Any]:
    """An Application wired to the fake, the way Parley's Telegram adapter builds one."""
    return (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.base_file_url)
        .build()
    )


async def test_application_builder_points_at_the_fake(fake: FakeTelegram) -> None:
    async with app_for(fake) as app:
        assert app.bot.username == "parley_test_bot"


async def test_a_wrong_token_is_unauthorized(fake: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        await bot_for(fake, "999:wrong").initialize()
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{fake.base_url}999:wrong/getMe") as response,
    ):
        assert response.status == 401
        assert await response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


async def test_raw_envelopes_json_bodies_and_unknown_methods(
    fake: FakeTelegram, people: dict[str, Any]
) -> None:
    url = f"{fake.base_url}{fake.token}"
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{url}/sendMessage", json={"chat_id": GROUP, "text": "42"}) as response:
            body = await response.json()
        assert body["ok"] is True and body["result"]["text"] == "42"
        async with session.post(
            f"{url}/sendMessage", data={"chat_id": str(GROUP), "text": "true"}
        ) as response:
            assert (await response.json())["result"]["text"] == "true"  # text stays text
        async with session.post(f"{url}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    assert fake.calls_of("sendMessage")[0] == {"chat_id": GROUP, "text": "42"}


async def test_send_message_replies_in_a_forum_thread(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(1001, "Ann")
    forum = fake.group(-1009, "Forum", forum=True)
    question = fake.push_message(forum, ann, "What are we reading?", thread_id=7)["message"]
    sent = await bot.send_message(
        forum["id"],
        "Dune.",
        message_thread_id=7,
        reply_parameters=ReplyParameters(message_id=question["message_id"]),
    )
    assert sent.text == "Dune." and sent.message_id == question["message_id"] + 1
    assert sent.from_user is not None and sent.from_user.id == fake.bot_id and sent.from_user.is_bot
    assert sent.chat.type == "supergroup" and sent.chat.is_forum
    assert sent.message_thread_id == 7 and sent.is_topic_message
    assert sent.reply_to_message is not None and sent.reply_to_message.text == "What are we reading?"
    assert sent.reply_to_message.from_user is not None and sent.reply_to_message.from_user.first_name == "Ann"
    assert fake.messages[forum["id"]] == {sent.message_id: "Dune."}
    assert [m["text"] for m in fake.sent(forum["id"])] == ["Dune."]


async def test_replying_to_an_unknown_message_fails(bot: Bot, people: dict[str, Any]) -> None:
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_message(GROUP, "hi", reply_parameters=ReplyParameters(message_id=999))
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-5, "hi")
    with pytest.raises(Forbidden, match=r"can't initiate conversation"):
        await bot.send_message(people["bob"]["id"], "hi")  # Bob never pressed Start


async def test_html_is_parsed_into_entities(bot: Bot, people: dict[str, Any]) -> None:
    html = (
        '<b>Bold</b> &amp; <i>it</i> <a href="https://example.org/?a=1&amp;b=2">link</a> '
        "&#128512; <tg-spoiler>x</tg-spoiler>"
    )
    sent = await bot.send_message(GROUP, html, parse_mode="HTML")
    assert sent.text == "Bold & it link 😀 x"
    assert [e.type for e in sent.entities] == ["bold", "italic", "text_link", "spoiler"]
    assert sent.entities[2].url == "https://example.org/?a=1&b=2"
    assert sent.entities[3].offset == len("Bold & it link ") + 3  # the emoji is two UTF-16 units
    assert sent.text_html.startswith("<b>Bold</b> &amp; <i>it</i>")


@pytest.mark.parametrize(
    "html",
    [
        "<b>never closed",
        "line<br>break",
        "a < b",
        "Tom & Jerry",
        "<b>crossed</i>",
        "</b>",
        "&nbsp;",
        '<span class="other">x</span>',
        "<unknown>x</unknown>",
        "<b",
    ],
)
async def test_bad_html_is_rejected_like_telegram(bot: Bot, people: dict[str, Any], html: str) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(GROUP, html, parse_mode="HTML")


def test_html_parser_details() -> None:
    assert parse_html('<pre><code class="language-python">x = 1</code></pre>') == (
        "x = 1",
        [{"type": "pre", "offset": 0, "length": 5, "language": "python"}],
    )
    assert parse_html("<blockquote expandable>q</blockquote> a > b")[1][0]["type"] == "expandable_blockquote"
    assert parse_html("<B>x</B><strong>y</strong>")[1] == [
        {"type": "bold", "offset": 0, "length": 1},
        {"type": "bold", "offset": 1, "length": 1},
    ]
    with pytest.raises(EntityParseError, match=r"(?i)byte offset 6"):
        parse_html("ééa < b")  # offsets are in UTF-8 bytes, as Telegram reports them


async def test_text_limits(bot: Bot, people: dict[str, Any]) -> None:
    assert (await bot.send_message(GROUP, "x" * 4096)).text == "x" * 4096
    assert await bot.send_message(GROUP, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # tags are free
    for too_long in ("x" * 4097, "😀" * 2049):  # 2049 emoji are 4098 UTF-16 units
        with pytest.raises(BadRequest, match=r"(?i)too long"):
            await bot.send_message(GROUP, too_long)
    for empty in ("", "   \n", "<b></b>"):
        with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
            await bot.send_message(GROUP, empty, parse_mode="HTML")
    assert (await bot.send_message(GROUP, "  padded \n")).text == "padded"  # Telegram trims


async def test_edits_change_what_members_see(fake: FakeTelegram, bot: Bot, people: dict[str, Any]) -> None:
    first = await bot.send_message(GROUP, "Thinking")
    edited = await bot.edit_message_text(
        "Thinking about <i>Dune</i>", GROUP, first.message_id, parse_mode="HTML"
    )
    assert isinstance(edited, type(first)) and edited.edit_date is not None
    assert fake.messages[GROUP][first.message_id] == "Thinking about Dune"
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text("Thinking about <i>Dune</i>", GROUP, first.message_id, parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", GROUP, 999)
    member = fake.push_message(GROUP, people["ann"], "mine")["message"]
    with pytest.raises(BadRequest, match=r"(?i)can't be edited"):
        await bot.edit_message_text("x", GROUP, member["message_id"])
    assert [m["text"] for m in fake.sent(GROUP)] == ["Thinking", "Thinking about Dune"]


async def test_flood_control_raises_retry_after(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22 deprecates the int form of retry_after
    fake.fail_next("sendMessage", retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(GROUP, "too fast")
    assert caught.value.retry_after == dt.timedelta(seconds=3)
    assert (await bot.send_message(GROUP, "later")).text == "later"  # only the next call failed
    fake.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user", times=2)
    for _ in range(2):
        with pytest.raises(Forbidden, match=r"(?i)blocked"):
            await bot.send_message(GROUP, "hello?")
    async with aiohttp.ClientSession() as session:
        fake.fail_next("getMe", retry_after=5)
        async with session.post(f"{fake.base_url}{fake.token}/getMe") as response:
            assert response.status == 429
            assert await response.json() == {
                "ok": False,
                "error_code": 429,
                "description": "Too Many Requests: retry after 5",
                "parameters": {"retry_after": 5},
            }


async def test_offsets_acknowledge_updates_for_good(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any]
) -> None:
    first = fake.push_message(GROUP, people["ann"], "one")
    second = fake.push_message(GROUP, people["bob"], "two")
    updates = await bot.get_updates()
    assert [u.update_id for u in updates] == [first["update_id"], second["update_id"]]
    assert len(await bot.get_updates()) == 2  # not acknowledged yet: sent again
    assert [u.update_id for u in await bot.get_updates(offset=second["update_id"])] == [second["update_id"]]
    third = fake.push_message(GROUP, people["ann"], "three")
    assert [u.update_id for u in await bot.get_updates(offset=0)] == [second["update_id"], third["update_id"]]
    assert await bot.get_updates(offset=third["update_id"] + 1) == ()
    assert await bot.get_updates(offset=0) == ()  # the first never comes back
    assert fake.pending_updates() == []
    fake.push_message(GROUP, people["ann"], "four")
    fake.push_message(GROUP, people["ann"], "five")
    assert [u.message.text for u in await bot.get_updates(limit=1)] == ["four"]  # type: ignore[union-attr]
    assert [u.message.text for u in await bot.get_updates(offset=-1)] == ["five"]  # type: ignore[union-attr]


async def test_long_polling_wakes_when_an_update_arrives(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any]
) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert time.monotonic() - started >= 0.9  # it did wait
    waiting = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    assert not waiting.done()
    started = time.monotonic()
    pushed = fake.push_message(GROUP, people["ann"], "wake up")
    updates = await asyncio.wait_for(waiting, 3)
    assert time.monotonic() - started < 2
    assert [u.update_id for u in updates] == [pushed["update_id"]]


async def test_a_second_poller_terminates_the_first(fake: FakeTelegram, bot: Bot) -> None:
    waiting = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.2)
    async with bot_for(fake) as second_instance:  # PTB polls over one connection per Bot
        assert await second_instance.get_updates() == ()
    with pytest.raises(Conflict, match=r"(?i)terminated by other getUpdates request"):
        await asyncio.wait_for(waiting, 3)


async def test_reactions(fake: FakeTelegram, bot: Bot, people: dict[str, Any]) -> None:
    message = fake.push_message(GROUP, people["ann"], "Finished the book!")["message"]
    assert await bot.set_message_reaction(GROUP, message["message_id"], "👍")
    assert await bot.set_message_reaction(GROUP, message["message_id"], ReactionEmoji.HEART_ON_FIRE)
    assert await bot.set_message_reaction(GROUP, message["message_id"], ReactionTypeEmoji("❤️"))
    assert fake.reactions[(GROUP, message["message_id"])] == ["❤️"]
    for invalid in ("🦖", "a", "👍👍"):
        with pytest.raises(BadRequest, match=r"(?i)REACTION_INVALID"):
            await bot.set_message_reaction(GROUP, message["message_id"], invalid)
    with pytest.raises(BadRequest, match=r"(?i)REACTIONS_TOO_MANY"):
        await bot.set_message_reaction(GROUP, message["message_id"], ["👍", "🔥"])
    assert len(REACTION_EMOJI) == 73


async def test_drafts_only_in_private_chats(fake: FakeTelegram, bot: Bot, people: dict[str, Any]) -> None:
    with pytest.raises(BadRequest):
        await bot.send_message_draft(GROUP, 1, "partial")
    private = fake.private_chat(people["ann"])
    assert await bot.send_message_draft(private["id"], 1, "Part")
    assert await bot.send_message_draft(private["id"], 1, "<b>Partial</b> answer", parse_mode="HTML")
    assert [d["text"] for d in fake.drafts[private["id"]]] == ["Part", "Partial answer"]
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message_draft(private["id"], 1, "<b>Partial", parse_mode="HTML")


async def test_chat_information_and_files(fake: FakeTelegram, bot: Bot, people: dict[str, Any]) -> None:
    fake.add_admin(GROUP, people["ann"], creator=True)
    fake.add_admin(GROUP, fake.me)
    fake.member_counts[GROUP] = 12
    admins = await bot.get_chat_administrators(GROUP)
    assert [(a.status, a.user.id) for a in admins] == [("creator", 1001), ("administrator", fake.bot_id)]
    assert await bot.get_chat_member_count(GROUP) == 12
    chat = await bot.get_chat(GROUP)
    assert chat.title == "Book club" and chat.type == "supergroup"
    with pytest.raises(BadRequest, match=r"(?i)no administrators in the private chat"):
        await bot.get_chat_administrators(fake.private_chat(people["bob"])["id"])

    sizes = fake.add_profile_photo(people["ann"], b"\xff\xd8ann's face\xff\xd9")
    photos = await bot.get_user_profile_photos(1001, limit=1)
    assert photos.total_count == 1 and photos.photos[0][-1].file_id == sizes[-1]["file_id"]
    assert (await bot.get_user_profile_photos(1002)).total_count == 0
    file = await bot.get_file(photos.photos[0][-1].file_id)
    assert file.file_path is not None and file.file_path.startswith(fake.base_file_url)
    assert await file.download_as_bytearray() == bytearray(b"\xff\xd8ann's face\xff\xd9")
    document = fake.add_file(b"notes", file_path="documents/notes.txt")
    assert await (await bot.get_file(document["file_id"])).download_as_bytearray() == bytearray(b"notes")
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_commands_actions_and_webhooks(fake: FakeTelegram, bot: Bot, people: dict[str, Any]) -> None:
    assert await bot.set_my_commands([("summary", "Summarise the chat"), ("help", "What I can do")])
    assert [c.command for c in await bot.get_my_commands()] == ["summary", "help"]
    with pytest.raises(BadRequest, match=r"(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([("Bad-Command", "x")])
    assert await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    assert await bot.send_chat_action(GROUP, "typing")
    with pytest.raises(BadRequest):
        await bot.send_chat_action(GROUP, "dancing")

    with pytest.raises(BadRequest, match=r"(?i)HTTPS"):
        await bot.set_webhook("http://example.org/hook")
    assert await bot.set_webhook("https://example.org/hook", secret_token="s3cret")
    assert fake.webhook == {"url": "https://example.org/hook", "secret_token": "s3cret"}
    update = fake.push_message(GROUP, people["ann"], "hello")
    info = await bot.get_webhook_info()
    assert info.url == "https://example.org/hook" and info.pending_update_count == 1
    with pytest.raises(Conflict, match=r"(?i)webhook is active"):
        await bot.get_updates()
    assert fake.pending_updates(acknowledge=True) == [update]
    assert fake.pending_updates() == []
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == ""


async def test_every_builder_makes_updates_ptb_accepts(fake: FakeTelegram, bot: Bot) -> None:
    ann = fake.user(1001, "Ann", "Lee", username="ann_lee")
    bob = fake.user(1002, "Bob", is_bot=False)
    group = fake.group(-4001, "Old group")
    forum = fake.group(-1005, "Forum", forum=True)
    private = fake.private_chat(ann)
    built: list[dict[str, Any]] = []

    command = fake.push_message(group, ann, "/summary@parley_test_bot please, @ann_lee")
    hello = fake.push_message(private, ann, "hello")
    reply = fake.push_message(forum, bob, "in a topic", thread_id=3)
    replied = fake.push_message(forum, ann, "answer", reply_to=reply["message"]["message_id"], thread_id=3)
    photo = fake.push_message(group, bob, photo=True, caption="look @parley_test_bot")
    built += [command, hello, reply, replied, photo, fake.push_edit(hello, "hello again")]
    built.append(fake.push_members_joined(group, [bob], by=ann))
    built.append(fake.push_members_joined(group, [fake.me], by=ann))
    built.append(fake.push_member_left(group, bob))
    old, new = fake.push_migration(group, -1004001, by=ann)
    built += [old, new, fake.push_reaction(private, ann, hello["message"]["message_id"], "👍")]
    built.append(fake.push_member_left(forum, fake.me, by=ann))
    built.append(fake.push_raw({"something_new": {"x": 1}}))

    parsed = [Update.de_json(update, bot) for update in built]
    assert all(isinstance(update, Update) for update in parsed)
    first = parsed[0].message
    assert first is not None and first.from_user is not None and first.from_user.is_bot is False
    assert first.chat.type == "group"
    assert [(e.type, text) for e, text in first.parse_entities().items()] == [
        ("bot_command", "/summary@parley_test_bot"),
        ("mention", "@ann_lee"),
    ]
    assert parsed[3].message is not None and parsed[3].message.reply_to_message is not None
    assert parsed[3].message.reply_to_message.text == "in a topic" and parsed[3].message.is_topic_message
    assert parsed[4].message is not None and parsed[4].message.photo and parsed[4].message.caption_entities
    assert parsed[5].edited_message is not None and parsed[5].edited_message.text == "hello again"
    assert parsed[6].message is not None and parsed[6].message.new_chat_members[0].id == 1002
    joined = [u for u in fake.pending_updates() if "my_chat_member" in u]
    assert Update.de_json(joined[0], bot).my_chat_member.new_chat_member.status == "member"  # type: ignore[union-attr]
    assert parsed[8].message is not None and parsed[8].message.left_chat_member is not None
    assert parsed[9].message is not None and parsed[9].message.migrate_to_chat_id == -1004001
    assert parsed[10].message is not None and parsed[10].message.migrate_from_chat_id == -4001
    reaction = parsed[11].message_reaction
    assert reaction is not None and reaction.new_reaction == (ReactionTypeEmoji("👍"),)
    kicked = parsed[12].my_chat_member
    assert kicked is not None and kicked.new_chat_member.status == "kicked"
    assert parsed[13].update_id > parsed[12].update_id

    with pytest.raises(ChatMigrated) as migrated:
        await bot.send_message(-4001, "still there?")
    assert migrated.value.new_chat_id == -1004001
    with pytest.raises(Forbidden, match=r"(?i)kicked"):
        await bot.send_message(forum["id"], "still there?")


async def test_privacy_mode_hides_ordinary_group_messages() -> None:
    fake = await FakeTelegram(can_read_all_group_messages=False).start()
    try:
        async with bot_for(fake) as bot:
            assert bot.bot.can_read_all_group_messages is False
            ann = fake.user(1001, "Ann")
            group = fake.group(-4001, "Group")
            fake.push_message(group, ann, "just chatting")
            mention = fake.push_message(group, ann, "what do you think, @Parley_Test_Bot?")
            command = fake.push_message(group, ann, "/summary")
            fake.push_message(group, ann, "/summary@other_bot")
            mine = await bot.send_message(group["id"], "I think so.")
            reply = fake.push_message(group, ann, "why?", reply_to=mine.message_id)
            private = fake.push_message(fake.private_chat(ann), ann, "hi")
            seen = [u.update_id for u in await bot.get_updates()]
            assert seen == [u["update_id"] for u in (mention, command, reply, private)]
            fake.add_admin(group, fake.me)  # administrators see everything
            chatter = fake.push_message(group, ann, "more chatting")
            assert [u["update_id"] for u in fake.pending_updates()][-1] == chatter["update_id"]
    finally:
        await fake.stop()


async def test_reactions_reach_only_bots_that_ask_and_administer(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any]
) -> None:
    message = fake.push_message(GROUP, people["ann"], "hi")
    await bot.get_updates(offset=message["update_id"] + 1)
    fake.push_reaction(GROUP, people["bob"], message["message"]["message_id"], "🔥")
    assert await bot.get_updates(allowed_updates=["message", "message_reaction"]) == ()  # not an admin
    fake.add_admin(GROUP, fake.me)
    wanted = fake.push_reaction(GROUP, people["bob"], message["message"]["message_id"], "👍")
    assert await bot.get_updates(allowed_updates=[]) == ()  # the default leaves reactions out
    wanted = fake.push_reaction(GROUP, people["bob"], message["message"]["message_id"], None)
    updates = await bot.get_updates(allowed_updates=["message_reaction"])
    assert [u.update_id for u in updates] == [wanted["update_id"]]
    reaction = updates[0].message_reaction
    assert reaction is not None and reaction.old_reaction == (ReactionTypeEmoji("👍"),)
    assert reaction.new_reaction == ()


async def test_an_application_polls_and_answers(fake: FakeTelegram) -> None:
    """The whole SDK stack: Application, Updater's long polling, handlers, and the reply."""
    ann = fake.user(1001, "Ann")
    group = fake.group(GROUP, "Book club", supergroup=True)

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"You said: {update.effective_message.text}")

    app = app_for(fake)
    app.add_handler(MessageHandler(filters.TEXT, echo))
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5)
        update = fake.push_message(group, ann, "hello bot")
        await until(lambda: fake.sent(GROUP), what="the echo in the group")
        await app.updater.stop()
        await app.stop()
    reply = fake.sent(GROUP)[0]
    assert reply["text"] == "You said: hello bot"
    assert reply["reply_to_message"]["message_id"] == update["message"]["message_id"]
    assert fake.pending_updates() == []  # the updater's last getUpdates acknowledged it
    assert fake.calls_of("deleteWebhook")


async def test_files_are_served_as_the_bot_api_serves_them(fake: FakeTelegram, bot: Bot) -> None:
    picture = jpeg(30, 20)
    sized = fake.add_file(picture, file_path="photos/file_7.jpg")
    unsized = fake.add_file(b"x" * 300, report_size=False)
    found = await bot.get_file(sized["file_id"])
    assert found.file_size == len(picture) and found.file_unique_id == sized["file_unique_id"]
    assert await found.download_as_bytearray() == bytearray(picture)
    assert (await bot.get_file(unsized["file_id"])).file_size is None  # optional in File
    assert fake.downloads == ["photos/file_7.jpg"]

    fake.max_download_bytes = 100  # Telegram's cloud refuses bots files over 20 MB
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(unsized["file_id"])
    fake.max_download_bytes = 20 * 1024 * 1024

    fake.fail_next_download(404)
    with pytest.raises(InvalidToken, match=r"(?i)Not Found"):  # PTB's reading of a 404
        await found.download_as_bytearray()
    async with aiohttp.ClientSession() as session:
        wrong = f"{fake.base_file_url}999:wrong/photos/file_7.jpg"
        async with session.get(wrong) as response:
            assert response.status == 401
        async with session.get(f"{fake.base_file_url}{fake.token}/photos/nothing.jpg") as response:
            assert response.status == 404
            assert (await response.json())["description"] == "Not Found"


async def test_send_photo_uploads_a_picture_in_a_topic_as_a_reply(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any]
) -> None:
    forum = fake.group(-100777, "Club", forum=True)
    asked = fake.push_message(forum, people["ann"], "draw us something", thread_id=5)["message"]
    picture = png(400, 200)
    sent = await bot.send_photo(
        forum["id"],
        InputFile(picture, filename="fox.png"),
        caption="A fox <in> the snow & sun",
        message_thread_id=5,
        reply_parameters=ReplyParameters(asked["message_id"]),
    )
    assert sent.caption == "A fox <in> the snow & sun" and sent.message_thread_id == 5
    assert sent.reply_to_message is not None and sent.reply_to_message.message_id == asked["message_id"]
    assert (sent.photo[-1].width, sent.photo[-1].height) == (400, 200)
    assert [size.width for size in sent.photo] == [90, 320, 400]
    back = await (await bot.get_file(sent.photo[-1].file_id)).download_as_bytearray()
    assert back == bytearray(picture)  # what was posted can be fetched again
    [posted] = fake.photos
    assert posted["data"] == picture and posted["filename"] == "fox.png"
    assert posted["chat_id"] == forum["id"] and posted["message_thread_id"] == 5
    assert posted["reply_to_message_id"] == asked["message_id"]

    html = await bot.send_photo(GROUP, picture, caption="<b>bold</b> fox", parse_mode="HTML")
    assert html.caption == "bold fox" and html.caption_entities[0].type == "bold"
    gone = ReplyParameters(9999, allow_sending_without_reply=True)
    assert (await bot.send_photo(GROUP, picture, reply_parameters=gone)).reply_to_message is None


async def test_send_photo_refuses_what_telegram_refuses(bot: Bot, people: dict[str, Any]) -> None:
    picture = png(64, 64)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(GROUP, picture, caption="x" * 1025)
    with pytest.raises(BadRequest, match=r"(?i)message caption is too long"):
        await bot.send_photo(GROUP, picture, caption="😀" * 513)  # UTF-16 units are counted
    assert (await bot.send_photo(GROUP, picture, caption="x" * 1024)).caption == "x" * 1024
    with pytest.raises(BadRequest, match=r"(?i)IMAGE_PROCESS_FAILED"):
        await bot.send_photo(GROUP, b"not a picture at all")
    with pytest.raises(BadRequest, match=r"(?i)PHOTO_INVALID_DIMENSIONS"):
        await bot.send_photo(GROUP, png(2000, 40))
    with pytest.raises(BadRequest, match=r"(?i)message to be replied not found"):
        await bot.send_photo(GROUP, picture, reply_parameters=ReplyParameters(9999))
    with pytest.raises(BadRequest, match=r"(?i)wrong file identifier"):
        await bot.send_photo(GROUP, "https://example.invalid/cat.jpg")
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_photo(GROUP, picture, caption="<b>open", parse_mode="HTML")


async def test_inline_keyboards_are_checked_and_returned(bot: Bot, people: dict[str, Any]) -> None:
    link = "https://t.me/parley_test_bot?startgroup=abc"
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Create the group", url=link)]])
    sent = await bot.send_message(GROUP, "Here:", reply_markup=markup)
    assert sent.reply_markup is not None
    assert sent.reply_markup.inline_keyboard[0][0].url == link
    bad = InlineKeyboardMarkup([[InlineKeyboardButton("Open", url="javascript:alert(1)")]])
    with pytest.raises(BadRequest, match=r"(?i)button_url_invalid"):
        await bot.send_message(GROUP, "Here:", reply_markup=bad)
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(
            GROUP, "Here:", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x")]])
        )


async def test_a_startgroup_link_adds_the_bot_then_posts_the_start_command(
    fake: FakeTelegram, bot: Bot, people: dict[str, Any]
) -> None:
    ann = people["ann"]
    group = fake.group(-4002, "New group", member_count=1)
    started = fake.push_added_by_link(group, ann, "tok-EN_42")
    kinds = [next(k for k in update if k != "update_id") for update in fake.pending_updates()]
    assert kinds == ["my_chat_member", "message", "message"]  # added, the service message, /start
    parsed = [Update.de_json(update, bot) for update in fake.pending_updates()]
    assert (
        parsed[0].my_chat_member is not None and parsed[0].my_chat_member.new_chat_member.status == "member"
    )
    assert parsed[1].message is not None and parsed[1].message.new_chat_members[0].id == fake.bot_id
    start = parsed[2].message
    assert start is not None and start.text == "/start@parley_test_bot tok-EN_42"
    assert start.from_user is not None and start.from_user.id == ann["id"]
    assert [e.type for e in start.entities] == ["bot_command"]
    assert started["update_id"] == parsed[2].update_id
    assert fake.member_counts[-4002] == 2
    with pytest.raises(ValueError, match="start parameter"):
        fake.push_added_by_link(group, ann, "x" * 65)
    with pytest.raises(ValueError, match="start parameter"):
        fake.push_added_by_link(group, ann, "no spaces")
