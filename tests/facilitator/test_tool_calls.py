"""The tools offered with an answer, through the real openai client and the loopback model:
a reaction instead of words, an image created and posted, and what a vision model is shown."""

from __future__ import annotations

import base64
import io

from PIL import Image

from facilitator.actions import React, SendImage
from facilitator.chat import Attachment, ConversationRef, Member, Message, utcnow
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import CommandReceived, MessageReceived
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply, png
from tests.fakes.recording_adapter import RecordingAdapter

GROUP = ConversationRef("test", "g1")
ALICE = Member("test", "alice", "Alice", "alice", avatar_url="test-file:alice.png")
BOB = Member("test", "bob", "Bob", "bob", avatar_url="https://example.com/bob.png")


def said(
    number: int, text: str, author: Member = ALICE, *, to_ai: bool = True, **extra: object
) -> MessageReceived:
    return MessageReceived(Message(f"m{number}", GROUP, author, text, mentions_ai=to_ai, **extra))  # type: ignore[arg-type]


def react(emoji: object) -> Reply:
    return Reply(text="", tool_calls=[{"name": "react", "arguments": {"emoji": emoji}}])


async def test_the_model_can_react_instead_of_replying(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    fake_model.script(react("🙏"))
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(said(1, "@parley thanks, that worked!"), adapter)
    await core.idle()
    assert [a for a in adapter.actions if isinstance(a, React)] == [React(GROUP, "m1", "🙏")]
    assert adapter.texts == []  # nothing written: the reaction said it
    assert fake_model.received[0].tools == ["react"]
    assert (await store.usage("test", "alice", utcnow().date())).replies == 1


async def test_a_reply_with_a_reaction_does_both(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    fake_model.script(
        Reply(text="Ha, good one.", tool_calls=[{"name": "react", "arguments": {"emoji": "😂"}}])
    )
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    await core.handle(said(1, "@parley why did the chicken cross the road"), adapter)
    await core.idle()
    assert adapter.texts == ["Ha, good one."]
    assert React(GROUP, "m1", "😂") in adapter.actions


async def test_a_malformed_reaction_is_not_carried_out_and_the_member_hears_back(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    fake_model.script(
        Reply(text="", tool_calls=[{"name": "react", "arguments": "{not json"}]),
        react("not an emoji at all"),
        Reply(text="", tool_calls=[{"name": "launch_rockets", "arguments": {}}]),
    )
    core = Facilitator(FacilitatorConfig(), store, model)
    adapter = RecordingAdapter()
    for number in range(3):
        await core.handle(said(number, "@parley hm"), adapter)
        await core.idle()
    assert not any(isinstance(a, React) for a in adapter.actions)
    assert adapter.texts == ["Sorry, my model couldn't answer that one."] * 3


async def test_reactions_can_be_switched_off(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(reactions=False), store, model)
    await core.handle(said(1, "@parley hi"), RecordingAdapter())
    await core.idle()
    assert "tools" not in fake_model.received[0].body


async def test_an_image_the_model_creates_is_posted_and_counted_for_the_asker(
    store: SqliteStore, fake_model: FakeOpenAI
) -> None:
    model = OpenAIChatModel(
        ModelConfig(
            base_url=fake_model.base_url, api_key="k", model="m", image_model="fake-image", max_retries=0
        )
    )
    fake_model.script(
        Reply(
            text="Here you go!",
            tool_calls=[{"name": "create_image", "arguments": {"prompt": "a cat in a hat"}}],
        )
    )
    core = Facilitator(FacilitatorConfig(image_generation=True), store, model)
    adapter = RecordingAdapter()
    await core.handle(said(1, "@parley draw a cat in a hat"), adapter)
    await core.idle()
    await model.close()
    assert fake_model.received[0].tools == ["react", "create_image"]
    assert fake_model.image_requests[0]["prompt"] == "a cat in a hat"
    [image] = [a for a in adapter.actions if isinstance(a, SendImage)]
    assert image.data.startswith(b"\x89PNG") and image.reply_to == "m1"
    assert image.caption == "🎨 a cat in a hat"
    assert adapter.texts == ["Here you go!", "🎨 a cat in a hat"]
    usage = await store.usage("test", "alice", utcnow().date())
    assert usage.images == 1
    await core.handle(CommandReceived(GROUP, ALICE, "usage", message_id="c1"), adapter)
    await core.idle()
    assert "1 answer and made 1 image" in adapter.texts[-1]


async def test_a_refused_image_is_said_to_the_asker(store: SqliteStore, fake_model: FakeOpenAI) -> None:
    model = OpenAIChatModel(
        ModelConfig(base_url=fake_model.base_url, api_key="k", model="m", image_model="img")
    )
    fake_model.image_status = 400
    fake_model.script(Reply(text="", tool_calls=[{"name": "create_image", "arguments": {"prompt": "x"}}]))
    core = Facilitator(FacilitatorConfig(image_generation=True), store, model)
    adapter = RecordingAdapter()
    await core.handle(said(1, "@parley draw x"), adapter)
    await core.idle()
    await model.close()
    assert adapter.texts == ["Sorry, I couldn't make that image."]


def _photo(width: int, height: int) -> bytes:
    return png(width, height, (10, 120, 200))


def _decoded(url: str) -> Image.Image:
    assert url.startswith("data:image/jpeg;base64,")
    return Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1])))


async def test_with_vision_the_images_of_the_window_are_shown_downscaled(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(vision=True), store, model)
    adapter = RecordingAdapter(images={"test-file:big.png": _photo(3000, 1500)})
    photo = Attachment("image", url="test-file:big.png", name="beach.png")
    await core.handle(said(1, "look at this", to_ai=False, attachments=(photo,)), adapter)
    await core.handle(said(2, "@parley where was this taken?"), adapter)
    await core.idle()
    [shown] = fake_model.received[0].images
    picture = _decoded(shown)
    assert picture.format == "JPEG" and max(picture.size) == 1024 and picture.size[0] == 2 * picture.size[1]
    assert "test-file:big.png" not in fake_model.received[0].text  # references never reach the model


async def test_without_vision_the_model_is_told_an_image_was_shared(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(vision=False), store, model)
    adapter = RecordingAdapter(images={"test-file:a.png": _photo(10, 10)})
    photo = Attachment("image", url="test-file:a.png", name="beach.png")
    await core.handle(said(1, "@parley what is this?", attachments=(photo,)), adapter)
    await core.idle()
    assert fake_model.received[0].images == [] and adapter.fetched == []
    assert "image beach.png" in fake_model.received[0].text


async def test_an_image_that_cannot_be_had_is_left_out_and_the_answer_comes(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(vision=True), store, model)
    adapter = RecordingAdapter(images={"test-file:junk": b"<html>login</html>"})
    broken = (
        Attachment("image", url="test-file:junk", name="a.png"),
        Attachment("image", url="test-file:gone"),
    )
    await core.handle(said(1, "@parley what is this?", attachments=broken), adapter)
    await core.idle()
    assert fake_model.received[0].images == []
    assert adapter.texts == ["Hello from the fake model."]


async def test_members_photos_are_shown_only_when_asked_about(
    store: SqliteStore, model: OpenAIChatModel, fake_model: FakeOpenAI
) -> None:
    core = Facilitator(FacilitatorConfig(vision=True), store, model)
    adapter = RecordingAdapter(images={"test-file:alice.png": _photo(400, 400)})
    await core.handle(said(1, "hello all", BOB, to_ai=False), adapter)
    await core.handle(said(2, "@parley how are you?"), adapter)
    await core.idle()
    assert fake_model.received[0].images == []
    await core.handle(said(3, "@parley what do our profile pictures say about us?"), adapter)
    await core.idle()
    asked = fake_model.received[1]
    assert len(asked.images) == 1  # Bob's photo is a link he typed: never fetched
    assert "Profile photo of Alice:" in asked.text
    assert adapter.fetched.count("https://example.com/bob.png") == 1  # refused by the adapter
    # For that request only: the next answer is shown no photos.
    await core.handle(said(4, "@parley thanks"), adapter)
    await core.idle()
    assert fake_model.received[2].images == []
