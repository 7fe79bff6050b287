"""The whole spine driven through the shell: typed lines in, what the AI printed out.

The model is the real `openai` client against the loopback server; the store is SQLite on disk.
"""

from __future__ import annotations

from facilitator.chat import ConversationRef
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageDeleted, ReactionAdded
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.support.heard import Heard
from tests.support.shell import Shell

GROUP = ConversationRef("shell", "local")


def ai_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("Parley")]


async def test_answers_a_mention_with_the_whole_conversation_in_view(
    shell: Shell, fake_model: FakeOpenAI
) -> None:
    fake_model.script("How about the museum?")
    out = await shell.say(
        "alice: anyone free on Saturday?",
        "bob: I am, no plans yet",
        "carol: @parley any ideas for a rainy Saturday?",
    )
    assert ai_lines(out) == ["Parley: How about the museum?"]
    assert len(fake_model.received) == 1
    seen = fake_model.received[0].text
    # The unaddressed messages are context too, each with its speaker's name.
    assert '"from":"alice"' in seen and "anyone free on Saturday?" in seen
    assert '"from":"bob"' in seen and '"from":"carol"' in seen


async def test_stays_quiet_when_nobody_addresses_it(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say("alice: hi all", "bob: Parley is slow today", "carol: lunch?")
    assert out == ""
    assert fake_model.received == []


async def test_its_name_as_an_address_and_a_reply_to_it_count(shell: Shell, fake_model: FakeOpenAI) -> None:
    fake_model.script("First answer.", "Second answer.")
    out = await shell.say("alice: Parley, what do you think?", "bob: > and why is that?")
    assert ai_lines(out) == ["Parley: First answer.", "Parley: Second answer."]


async def test_a_burst_of_addressed_messages_gets_one_answer(shell: Shell, fake_model: FakeOpenAI) -> None:
    fake_model.default = Reply(text="One answer for all three.", delay=0.4)
    out = await shell.burst(
        "alice: @parley where should we eat?",
        "alice: @parley somewhere cheap",
        "alice: @parley and vegetarian please",
    )
    assert ai_lines(out) == ["Parley: One answer for all three."]
    last = fake_model.received[-1].text
    assert "somewhere cheap" in last and "vegetarian please" in last


async def test_a_group_over_the_size_limit_hears_why_once(
    store: SqliteStore, model: object, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(size_limit=3), store, model)  # type: ignore[arg-type]
    shell = Shell(core)
    out = await shell.say("/join a", "/join b", "/join c", "/join d", "a: @parley hello?")
    assert ai_lines(out) == [
        "Parley: This conversation has 4 people, and I take part in groups of up to 3, "
        "so I'll stay out of it here. A smaller group or a thread works."
    ]
    assert await shell.say("b: @parley please?", "c: Parley, hello") == ""
    assert fake_model.received == []
    # Once the group is small enough again, it answers (and would explain again if it grew).
    fake_model.script("Back with you.")
    out = await shell.say("/leave d", "a: @parley now?")
    assert ai_lines(out) == ["Parley: Back with you."]
    await core.close()


async def test_no_limit_when_the_size_limit_is_zero(
    store: SqliteStore, model: object, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(size_limit=0), store, model)  # type: ignore[arg-type]
    shell = Shell(core)
    out = await shell.say(*[f"/join m{i}" for i in range(30)], "m1: @parley hi")
    assert ai_lines(out) == ["Parley: Hello from the fake model."]
    await core.close()


async def test_never_answers_a_bot(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say("/bot helperbot", "helperbot: @parley ping", "helperbot: Parley, ping again")
    assert out == ""
    assert fake_model.received == []


async def test_mode_is_for_admins_and_off_silences_it(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say("alice: hello", "bob: /mode off")
    assert ai_lines(out) == ["Parley: Only this group's admins can use `mode`."]
    out = await shell.say("alice: /mode off", "bob: @parley are you there?")
    assert ai_lines(out) == ["Parley: OK: I'll stay silent here and answer only commands."]
    assert fake_model.received == []
    out = await shell.say("bob: /help")
    assert "I'm switched off in this group" in out
    out = await shell.say("alice: /mode mention", "bob: @parley back?")
    assert ai_lines(out)[-1] == "Parley: Hello from the fake model."


async def test_group_instructions_reach_the_model(shell: Shell, fake_model: FakeOpenAI) -> None:
    await shell.say("alice: /instructions Always answer in French.", "bob: @parley hello")
    assert "Always answer in French." in fake_model.received[-1].text
    out = await shell.say("bob: /instructions be rude")
    assert "Only this group's admins" in out
    out = await shell.say("bob: /instructions")  # anyone may read them
    assert "This group's instructions for me:\nAlways answer in French." in out
    await shell.say("alice: /instructions clear", "bob: @parley hello again")
    assert "Always answer in French." not in fake_model.received[-1].text


async def test_a_model_failure_becomes_a_friendly_message_and_the_bot_goes_on(
    shell: Shell, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(Reply(status=500), Reply(status=429, retry_after=0), "I'm back.")
    out = await shell.say("alice: @parley hello?", "alice: @parley still there?", "alice: @parley now?")
    assert ai_lines(out) == [
        "Parley: Sorry, I can't reach my model right now. Please try again in a moment.",
        "Parley: I'm getting too many requests right now. Please ask me again in a minute.",
        "Parley: I'm back.",
    ]
    # The messages that failed are kept all the same.
    texts = [item.text for item in await store.history(GROUP, 10)]
    assert "@parley hello?" in texts and "@parley still there?" in texts


async def test_a_reply_cut_off_by_the_model_says_so(shell: Shell, fake_model: FakeOpenAI) -> None:
    fake_model.script(Reply(text="This answer will not finish", chunk_size=5, drop_after_chunks=2))
    out = await shell.say("alice: @parley tell me a story")
    assert ai_lines(out) == ["Parley: This answe … (my answer was cut off, sorry)"]


async def test_every_message_is_stored_before_the_answer_is_attempted(
    shell: Shell, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    fake_model.script(Reply(status=500))
    await shell.say("alice: unaddressed words", "bob: @parley addressed words")
    stored = await store.history(GROUP, 10)
    assert [(item.speaker, item.text) for item in stored][:2] == [
        ("alice", "unaddressed words"),
        ("bob", "@parley addressed words"),
    ]
    # The request the model got was built from the store, so it holds the addressed message.
    assert "@parley addressed words" in fake_model.received[0].text


async def test_its_own_answers_are_remembered_as_its_turns(shell: Shell, fake_model: FakeOpenAI) -> None:
    fake_model.script("The museum opens at ten.", "Yes, at ten.")
    await shell.say("alice: @parley when does the museum open?", "alice: @parley sure?")
    turns = fake_model.received[-1].messages
    assert {"role": "assistant", "content": "The museum opens at ten."} in turns


async def test_a_direct_chat_answers_everything(facilitator: Facilitator, fake_model: FakeOpenAI) -> None:
    shell = Shell(facilitator, direct=True)
    out = await shell.say("alice: just thinking out loud")
    assert ai_lines(out) == ["Parley: Hello from the fake model."]
    assert "a private chat" in fake_model.received[0].messages[0]["content"]


async def test_profile_names_are_what_the_model_knows(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say("alice: /profile name Alice Liddell")
    assert "I know you as Alice Liddell" in out
    await shell.say("alice: @parley who am I?")
    seen = fake_model.received[-1].text
    assert '"from":"Alice Liddell"' in seen
    assert '"Alice Liddell" (handle "alice")' in fake_model.received[-1].messages[0]["content"]


async def test_reset_sets_earlier_messages_aside(shell: Shell, fake_model: FakeOpenAI) -> None:
    await shell.say(
        "alice: the secret word is pineapple", "alice: /reset", "alice: @parley what was the word?"
    )
    assert "pineapple" not in fake_model.received[-1].text
    assert "what was the word?" in fake_model.received[-1].text


async def test_forget_deletes_the_members_messages(
    shell: Shell, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    await shell.say("alice: my address is 1 Elm St", "bob: nice", "alice: /forget")
    texts = [item.text for item in await store.history(GROUP, 10)]
    assert "my address is 1 Elm St" not in texts and "nice" in texts
    assert await store.profile("shell", "alice") is None


async def test_usage_counts_the_answers_given(shell: Shell, fake_model: FakeOpenAI) -> None:
    await shell.say("alice: @parley one", "alice: @parley two")
    out = await shell.say("alice: /usage")
    assert "I've given you 2 answers" in out
    out = await shell.say("bob: /usage")
    assert "I've given you 0 answers" in out


async def test_an_unknown_command_gets_a_clear_answer(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say("alice: /dance now")
    assert ai_lines(out) == ["Parley: I don't know the command `dance`. Try `help`."]


async def test_a_second_session_on_the_same_database_is_answered(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    first = Shell(facilitator)
    assert ai_lines(await first.say("alice: @parley hello")) == ["Parley: Hello from the fake model."]
    second = Shell(facilitator)  # a new `parley shell` on the same chat and database
    assert ai_lines(await second.say("alice: @parley hello again")) == ["Parley: Hello from the fake model."]


async def test_a_bot_cannot_drive_it_through_commands(shell: Shell, fake_model: FakeOpenAI) -> None:
    out = await shell.say(
        "alice: hi", "/bot spambot", "/admin spambot", "spambot: /mode off", "spambot: /help"
    )
    assert out == ""
    assert ai_lines(await shell.say("alice: @parley still on?")) == ["Parley: Hello from the fake model."]


async def test_the_interactive_shell_answers_each_line_before_reading_the_next(
    facilitator: Facilitator, fake_model: FakeOpenAI
) -> None:
    import io

    fake_model.script("Hi Bob!")
    shell = Shell(facilitator)
    typed = io.StringIO("alice: hello all\nbob: @parley hi\n/quit\nalice: never read\n")
    await shell.adapter.run_interactive(typed)
    out = shell.out.getvalue()
    assert out.splitlines()[1:] == ["Parley: Hi Bob!"]
    assert len(fake_model.received) == 1


async def test_a_question_asked_while_it_is_answering_gets_its_own_answer_after(
    shell: Shell, fake_model: FakeOpenAI
) -> None:
    import asyncio
    import io

    showing = asyncio.Event()

    class Screen(io.StringIO):
        def write(self, text: str) -> int:
            if text == "a ":  # the first chunk of the first answer is on screen
                showing.set()
            return super().write(text)

    shell.out = shell.adapter._out = Screen()
    fake_model.script(Reply(text="a slow first answer", chunk_size=2, chunk_delay=0.05), "second answer")
    await shell.adapter.receive("alice: @parley first question")
    await showing.wait()
    await shell.adapter.receive("bob: @parley second question")
    await shell.core.idle()
    assert ai_lines(shell.out.getvalue()) == ["Parley: a slow first answer", "Parley: second answer"]
    assert "second question" in fake_model.received[-1].text


async def test_reactions_and_edits_are_shown(shell: Shell) -> None:
    from facilitator.actions import EditMessage, React

    await shell.say("alice: what a day")
    message_id = next(i for i, name in shell.adapter.group.authors.items() if name == "alice")
    await shell.adapter.perform(React(GROUP, message_id, "🎉"))
    await shell.adapter.perform(EditMessage(GROUP, "ai1", "fixed text"))
    assert shell.out.getvalue().splitlines() == ["Parley reacted 🎉 to alice", "Parley (edited): fixed text"]


async def test_usage_is_estimated_when_the_server_reports_none(shell: Shell, fake_model: FakeOpenAI) -> None:
    import re

    fake_model.script(Reply(text="an answer of some length", report_usage=False))
    await shell.say("alice: @parley hello there")
    out = await shell.say("alice: /usage")
    tokens = int(re.search(r"using (\d+) tokens", out).group(1))  # type: ignore[union-attr]
    assert tokens > 50  # the system turn alone is more than that


async def test_huge_and_odd_lines_are_stored_and_answered(
    shell: Shell, fake_model: FakeOpenAI, store: SqliteStore
) -> None:
    huge = "@parley " + "blah " * 200_000
    odd = "ctrl \x07\x1b[31m red \u202e rtl \ud83d lone half"
    out = await shell.say(f"alice: {huge}", f"bob: {odd}", "bob: @parley and this?")
    assert ai_lines(out) == ["Parley: Hello from the fake model."] * 2
    seen = fake_model.received[0].text
    assert len(seen) < 20_000  # a single message is cut for the model, not the whole context lost
    stored = [item.text for item in await store.history(GROUP, 10)]
    assert len(stored[0]) == 100_000 and stored[2].startswith("ctrl \x07\x1b[31m red")


async def test_react_and_delete_stand_for_the_platforms_buttons_on_the_ai_s_latest_message(
    shell: Shell, fake_model: FakeOpenAI
) -> None:
    heard = Heard(shell.core)
    shell.adapter._core = heard  # what the core is handed, recorded
    out = await shell.say("alice: /react 👍", "alice: /delete")
    assert "(shell) /react: Parley has said nothing yet" in out
    assert "(shell) /delete: Parley has said nothing yet" in out
    fake_model.script("Sure.")
    await shell.say("alice: @parley hi")
    out = await shell.say("bob: /react", "bob: /react 👎", "/delete")
    assert "(shell) /react needs an emoji" in out and "(shell) Parley's latest message deleted" in out
    reaction, deletion = heard.events[-2:]
    latest = shell.adapter.group.last_ai_message
    assert isinstance(reaction, ReactionAdded) and isinstance(deletion, MessageDeleted)
    assert (reaction.message_id, reaction.member.user_id, reaction.emoji) == (latest, "bob", "👎")
    assert deletion.message_id == latest
