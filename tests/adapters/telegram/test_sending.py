"""What Parley posts on Telegram and how (adapters/telegram/sending.py, render.py): a draft
streamed in a private chat, one message growing by paced edits in a group, HTML Telegram takes
(plain text when it refuses), code kept code across parts, flood control waited out, reactions
from Telegram's set. The real python-telegram-bot against the loopback fake, the real core."""

from __future__ import annotations

import asyncio
import itertools
import time

from adapters.telegram.adapter import TelegramAdapter
from facilitator.actions import React
from facilitator.chat import ConversationRef
from facilitator.core import Facilitator
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.telegram_api import FakeTelegram
from tests.support import until
from tests.support.telegram import GROUP_ID, adapter_for, bot_texts, mention


async def test_a_private_chat_streams_a_draft_then_sends_the_message(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    reply = "Here is a longer answer that arrives in many small pieces, one after another."
    fake_model.script(Reply(text=reply, chunk_size=6, chunk_delay=0.03))
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, "tell me something")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    assert bot_texts(telegram, 11) == [reply]
    drafts = telegram.drafts[11]
    assert (
        len(drafts) >= 2
        and reply.startswith(drafts[0]["text"])
        and len(drafts[-1]["text"]) > len(drafts[0]["text"])
    )


async def test_in_a_group_one_message_grows_by_paced_edits(
    telegram: FakeTelegram, facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    adapter = adapter_for(telegram, facilitator, group_edit_seconds=0.4)
    await adapter.start()
    reply = "word " * 60
    fake_model.script(Reply(text=reply, chunk_size=10, chunk_delay=0.05))  # about 1.5 s
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    edited_at: list[float] = []

    async def watch_edits() -> None:
        while True:
            edited_at.extend(
                [time.monotonic()] * (len(telegram.calls_of("editMessageText")) - len(edited_at))
            )
            await asyncio.sleep(0.005)

    watcher = asyncio.ensure_future(watch_edits())
    telegram.push_message(group, alice, f"{mention(telegram)} go on")
    await until(lambda: bot_texts(telegram, GROUP_ID) == [reply.strip()])
    await facilitator.idle()
    watcher.cancel()
    await adapter.stop()
    assert len(telegram.calls_of("sendMessage")) == 1  # one message, growing
    assert len(edited_at) >= 2
    paced = edited_at[:-1]  # the last edit shows the end of the answer at once
    assert all(later - earlier >= 0.35 for earlier, later in itertools.pairwise(paced))


async def test_a_long_answer_is_split_below_the_limit_and_code_stays_code(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    code = "\n".join(f"print({n})" for n in range(900))
    fake_model.script(Reply(text=f"Here you go:\n```python\n{code}\n```", chunk_size=4000))
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, "a long script please")
    await until(lambda: len(bot_texts(telegram, 11)) >= 2)
    await facilitator.idle()
    sent = [call["text"] for call in telegram.calls_of("sendMessage")]
    assert len(sent) >= 2
    assert all(part.startswith("<pre><code") or part.startswith("Here you go") for part in sent)
    assert all(len(text) <= 4096 for text in bot_texts(telegram, 11))
    assert "print(899)" in bot_texts(telegram, 11)[-1]


async def test_formatting_telegram_refuses_is_sent_as_plain_text(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    fake_model.script("Use **bold** wisely.")
    telegram.fail_next("sendMessage", 400, "Bad Request: can't parse entities: unsupported start tag")
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, "hi")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    assert bot_texts(telegram, 11) == ["Use bold wisely."]
    assert "parse_mode" not in telegram.calls_of("sendMessage")[-1]


async def test_flood_control_is_waited_out_and_nothing_is_dropped(
    telegram: FakeTelegram, bot: TelegramAdapter, facilitator: Facilitator
) -> None:
    telegram.fail_next("sendMessage", 429, retry_after=1, times=2)
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    started = time.monotonic()
    telegram.push_message(chat, alice, "hi")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    assert bot_texts(telegram, 11) == ["Hello from the fake model."]
    assert time.monotonic() - started >= 2.0  # waited as long as Telegram asked, twice


async def test_reactions_use_telegrams_set_and_never_fail(
    telegram: FakeTelegram, bot: TelegramAdapter
) -> None:
    alice = telegram.user(11, "Alice")
    group = telegram.group(GROUP_ID, "Trip", supergroup=True)
    said = telegram.push_message(group, alice, "we won!")["message"]["message_id"]
    where = ConversationRef("telegram", str(GROUP_ID))
    await bot.perform(React(where, str(said), "😂"))  # not in Telegram's set: the closest is used
    await bot.perform(React(where, str(said), "🦀"))  # nothing close: skipped
    calls = telegram.calls_of("setMessageReaction")
    assert [c["reaction"] for c in calls] == [[{"type": "emoji", "emoji": "🤣"}]]


async def test_markdown_becomes_telegram_html_and_markup_in_text_stays_text(
    telegram: FakeTelegram, bot: TelegramAdapter, fake_model: FakeOpenAI, facilitator: Facilitator
) -> None:
    fake_model.script("**Plan:** meet at <the station> & bring `a < b` snacks")
    alice = telegram.user(11, "Alice")
    chat = telegram.private_chat(alice)
    telegram.push_message(chat, alice, "plan?")
    await until(lambda: bot_texts(telegram, 11))
    await facilitator.idle()
    sent = telegram.calls_of("sendMessage")[-1]
    assert sent["parse_mode"] == "HTML"
    assert sent["text"] == "<b>Plan:</b> meet at &lt;the station&gt; &amp; bring <code>a &lt; b</code> snacks"
    assert bot_texts(telegram, 11) == ["Plan: meet at <the station> & bring a < b snacks"]
