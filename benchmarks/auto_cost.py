"""Figure 7: what `auto` mode costs, on replayed group conversations.

benchmarks/data/group_transcript.jsonl is an evening of six friends (443 messages), and
held_out_transcript.jsonl a working day of a team channel; both were written for this figure,
by someone who had not seen the gate, with each message labelled `addressed` (it calls the AI by
name) or `calls_for_ai` (nobody addressed the AI, but a thoughtful member would clearly join
in: a question left unanswered, options nobody settles, a factual dispute, a call for a
summary). The gate was tuned on the first; the second was kept aside to check it.

The replay runs the real core, store and openai client against the loopback model server, on
the transcript's own clock: each message is handed over at its time, and candidates are decided
when they fall due on that clock. The model judges perfectly: asked to decide, it replies when a
message it is asked about, or one of the three latest, is labelled, and is silent otherwise, so
the figure measures Parley's own part, the gate and the caps. Counted: decision calls per 100
ordinary (unaddressed) messages, against a bot that asks the model about every message (100);
and the labelled messages the AI joined in on, unprompted, within five minutes (a question is
left to the group for 90 seconds first, and the caps may hold it a little longer). A run where
the model replies to every decision (the dearest case, held back by the caps) is reported too.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.measure import Figure, figure, main, progress
from facilitator.actions import Action, Delivered, SendMessage
from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter

TRANSCRIPT = Path(__file__).parent / "data" / "group_transcript.jsonl"
HELD_OUT = Path(__file__).parent / "data" / "held_out_transcript.jsonl"
START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC).timestamp()
JOIN_AFTER = 300.0  # seconds after a labelled message within which joining in counts
REPLY = "I can help with that."


def decision(action: str) -> list[dict[str, object]]:
    arguments = {"action": action, "message": REPLY if action == "reply" else "", "reason": "bench"}
    return [{"name": "decide", "arguments": arguments}]


def judge(labelled: set[str]) -> Callable[[dict[str, Any]], list[dict[str, object]]]:
    """A model that replies when the moment it reads is one the transcript labels."""

    def decide(body: dict[str, Any]) -> list[dict[str, object]]:
        system = str(body["messages"][0]["content"])
        about = [
            line[line.index('{"from":') :]
            for line in system.splitlines()
            if line.startswith("- ") and '{"from":' in line
        ]
        last = str(body["messages"][-1]["content"]).splitlines()[-3:]  # and the latest words
        texts = {json.loads(line).get("text") for line in (*about, *last) if line.startswith("{")}
        return decision("reply" if texts & labelled else "silent")

    return decide


class TimedAdapter(RecordingAdapter):
    """Notes, on the replay's clock, when the AI joined in unprompted."""

    def __init__(self, clock: Clock) -> None:
        super().__init__(platform="bench", members=6)
        self.clock = clock
        self.joined: list[float] = []

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, SendMessage) and action.text == REPLY:
            self.joined.append(self.clock.now)
        return await super().perform(action)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def transcript(path: Path = TRANSCRIPT) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


async def replay(lines: list[dict[str, object]], always_reply: bool = False) -> dict[str, object]:
    labelled_texts = {str(line["text"]) for line in lines if line["calls_for_ai"]}
    forced = decision("reply") if always_reply else judge(labelled_texts)
    server = await FakeOpenAI(default=Reply(text="Sure.", forced=forced)).start()
    model = OpenAIChatModel(
        ModelConfig(base_url=server.base_url, api_key="bench", model="bench", max_retries=0)
    )
    clock = Clock()
    group = ConversationRef("bench", "friends")
    adapter = TimedAdapter(clock)
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        store = await SqliteStore.open(Path(tmp, "auto.db"))
        core = Facilitator(FacilitatorConfig(default_mode=Mode.AUTO), store, model, clock=clock)
        try:
            for number, line in enumerate(lines):
                at = START + float(line["t"])  # type: ignore[arg-type]
                while (due := core.auto.next_due()) is not None and due <= at:
                    clock.now = due
                    await core.auto.run_due()
                    await core.idle()
                clock.now = at
                author = str(line["from"])
                message_id = f"t{number}"
                message = Message(
                    message_id,
                    group,
                    Member("bench", author.lower(), author),
                    str(line["text"]),
                    sent_at=datetime.fromtimestamp(at, UTC),
                    mentions_ai=bool(line["addressed"]),
                )
                await core.handle(MessageReceived(message), adapter)
                await core.idle()
            clock.now += 3600.0
            await core.auto.run_due()
            await core.idle()
        finally:
            await core.close()
            await store.close()
            await model.close()
            await server.stop()
    decisions = sum(1 for r in server.received if isinstance(r.body.get("tool_choice"), dict))
    joined = adapter.joined
    labelled = [(f"t{n}", START + float(line["t"])) for n, line in enumerate(lines) if line["calls_for_ai"]]  # type: ignore[arg-type]
    met = [mid for mid, at in labelled if any(at <= j <= at + JOIN_AFTER for j in joined)]
    ordinary = sum(1 for line in lines if not line["addressed"])
    return {
        "decisions": decisions,
        "ordinary": ordinary,
        "interventions": len(joined),
        "labelled": len(labelled),
        "joined_labelled": len(met),
        "missed": [lines[int(mid[1:])]["text"] for mid, _ in labelled if mid not in met],
    }


async def measure(quick: bool) -> list[Figure]:
    figures: list[Figure] = []
    for name, label, path in (
        ("auto", "an evening of friends", TRANSCRIPT),
        ("auto_held_out", "a team's working day", HELD_OUT),
    ):
        lines = transcript(path)[: 150 if quick else None]
        progress(f"auto mode: replaying {len(lines)} messages of {label}")
        result = await replay(lines)
        ordinary = int(result["ordinary"])  # type: ignore[call-overload]
        labelled = int(result["labelled"])  # type: ignore[call-overload]
        joined = int(result["joined_labelled"])  # type: ignore[call-overload]
        notes: dict[str, Any] = dict(result)
        figures += [
            figure(
                7,
                f"{name}_calls_per_100",
                f"auto mode, {label}: decision calls per 100 messages",
                [100.0 * int(result["decisions"]) / ordinary],  # type: ignore[call-overload]
                "calls",
                at_most=5.0,
                target="≤ 5 (naive: 100)",
                **notes,
            ),
            figure(
                7,
                f"{name}_joined_share",
                f"auto mode, {label}: labelled moments joined",
                [100.0 * joined / labelled if labelled else 100.0],
                "%",
                at_least=90.0,
                target="≥ 90%",
                joined=joined,
                labelled=labelled,
            ),
        ]
        if name == "auto":
            progress("auto mode: again, with a model that replies whenever it is asked")
            dearest = await replay(lines, always_reply=True)
            figures.append(
                figure(
                    7,
                    "auto_calls_per_100_always_reply",
                    f"auto mode, {label}: a model replying to every decision",
                    [100.0 * int(dearest["decisions"]) / ordinary],  # type: ignore[call-overload]
                    "calls",
                    target="reported (caps hold it)",
                    interventions=dearest["interventions"],
                )
            )
    figures.append(
        figure(
            7,
            "auto_naive_calls_per_100",
            "auto mode: a bot asking about every message",
            [100.0],
            "calls",
            target="for comparison",
        )
    )
    return figures


if __name__ == "__main__":
    main(measure)
