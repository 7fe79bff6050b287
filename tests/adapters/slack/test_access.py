"""What Parley may see on Slack (adapters/slack/access.py): a channel it cannot read whole, for a
missing history scope or no invitation, is named with the fix, also when an admin turns `auto`
on there. The real slack-bolt app and slack-sdk against the loopback fake."""

from __future__ import annotations

from adapters.slack.access import HISTORY_SCOPES, REQUIRED_SCOPES
from facilitator.chat import ConversationRef
from tests.fakes.slack_api import FakeSlack
from tests.fakes.slack_manifest import bot_scopes
from tests.support import until
from tests.support.slack import SlackDriver

CHANNEL = ConversationRef("slack", "C1")


async def test_partial_view_names_the_missing_history_scope_or_the_invitation(room: SlackDriver) -> None:
    fake = room.fake
    fake.channel("C2", "secret-plans", private=True, members=["U1"])
    fake.channel("C3", "announcements", members=["U1"], bot_member=False)
    group = fake.mpim(["U1", "U2"])
    assert await room.adapter.partial_view(CHANNEL) is None
    assert await room.adapter.partial_view(ConversationRef("slack", "C1", "1.0")) is None
    assert await room.adapter.partial_view(ConversationRef("slack", "D1", is_direct=True)) is None
    fake.scopes.remove("channels:history")
    public = await room.adapter.partial_view(CHANNEL)
    assert public is not None and "channels:history" in public and "reinstall" in public
    assert await room.adapter.partial_view(ConversationRef("slack", "C2")) is None  # groups:history is there
    fake.scopes.remove("groups:history")
    fake.scopes.remove("mpim:history")
    private = await room.adapter.partial_view(ConversationRef("slack", "C2"))
    assert private is not None and "groups:history" in private
    mpim = await room.adapter.partial_view(ConversationRef("slack", group["id"]))
    assert mpim is not None and "mpim:history" in mpim
    fake.scopes.append("channels:history")
    outside = await room.adapter.partial_view(ConversationRef("slack", "C3"))
    assert outside is not None and "/invite @Parley" in outside
    fake.members["C2"].remove(fake.bot_user_id)  # removed from a private channel: Slack hides it
    hidden = await room.adapter.partial_view(ConversationRef("slack", "C2"))
    assert hidden is not None and "/invite" in hidden


async def test_auto_mode_tells_the_channel_what_parley_cannot_read(room: SlackDriver) -> None:
    room.fake.scopes.remove("channels:history")
    status, _ = await room.slash(room.fake.slash_command("C1", "UADMIN", "mode auto"))
    assert status == 200
    await until(lambda: room.fake.posted("C1"))
    assert "channels:history" in room.fake.posted("C1")[-1]


def test_the_manifest_asks_for_exactly_the_scopes_parley_needs() -> None:
    """docs/slack-manifest.yml creates the app, and the fake grants what it asks for: the two and
    the adapter's list must agree, or a workspace would refuse what the tests allow."""
    asked = bot_scopes()
    assert sorted(asked) == sorted(REQUIRED_SCOPES) and len(set(asked)) == len(asked)
    assert set(HISTORY_SCOPES.values()) <= set(REQUIRED_SCOPES)  # what partial_view names as missing
    assert tuple(FakeSlack().scopes) == asked
