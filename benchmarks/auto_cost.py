"""Figure 7: what `auto` mode costs and whether it joins in when it should, on replayed groups.

The transcripts are benchmarks/data/rooms/ (index.json; SPLIT.md says how they were written and
split into a tuning half and a held-out half): groups of 3 to 20 of many kinds, in English,
French, Spanish, German and Portuguese, each message labelled `addressed` (it calls the AI by
name) or `calls_for_ai` (nobody addressed the AI, but a thoughtful member would clearly join
in). The earlier two, an evening of friends and a team's working day, are in the tuning half.

The replay runs the real core, store and openai client against the loopback model server, on
the transcript's own clock: each message is handed over at its time, and candidates are decided
when they fall due on that clock. The model judges perfectly: asked to decide, it replies when a
message it is asked about, or one of the three latest, is labelled, and is silent otherwise, so
the figure measures Parley's own part, the gate and the caps. Counted, per transcript: decision
calls per 100 ordinary (unaddressed) messages, against a bot that asks the model about every
message (100); the labelled moments the AI joined in on, unprompted, within five minutes; and
the most unprompted turns given to one moment. The figures are each half's worst transcript.

`python -m benchmarks.auto_cost FILE...` replays any transcript in this format and prints its
figures; `--half tuning` (or `held-out`) replays one half of the corpus.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import rooms
from benchmarks.measure import Figure, figure, progress
from benchmarks.rooms import Transcript
from facilitator.actions import Action, Delivered, SendMessage
from facilitator.auto.gate import Heard, verdict
from facilitator.auto.reading import clear_cache
from facilitator.auto.room import AutoLimits
from facilitator.chat import ConversationRef, Member, Message, Mode
from facilitator.core import Facilitator, FacilitatorConfig
from facilitator.events import MessageReceived
from facilitator.gc_tuning import tune_garbage_collector
from facilitator.llm import ModelConfig, OpenAIChatModel
from facilitator.store.sqlite import SqliteStore
from tests.fakes.openai_server import FakeOpenAI, Reply
from tests.fakes.recording_adapter import RecordingAdapter

START = datetime(2026, 11, 20, 17, 0, tzinfo=UTC).timestamp()
JOIN_AFTER = 300.0  # seconds after a labelled message within which joining in counts
REPLY = "I can help with that."
CALLS_TARGET = 5.0
JOINED_TARGET = 90.0
TURNS_TARGET = 1


def decision(action: str) -> list[dict[str, object]]:
    arguments = {"action": action, "message": REPLY if action == "reply" else "", "reason": "bench"}
    return [{"name": "decide", "arguments": arguments}]


def asked_about(body: dict[str, Any]) -> list[str]:
    """The texts a decision call names as its moment's candidates."""
    system = str(body["messages"][0]["content"])
    lines = [
        line[line.index('{"from":') :]
        for line in system.splitlines()
        if line.startswith("- ") and '{"from":' in line
    ]
    return [str(json.loads(line).get("text")) for line in lines]


def judge(labelled: set[str]) -> Callable[[dict[str, Any]], list[dict[str, object]]]:
    """A model that replies when the moment it reads is one the transcript labels."""

    def decide(body: dict[str, Any]) -> list[dict[str, object]]:
        last = str(body["messages"][-1]["content"]).splitlines()[-3:]  # and the latest words
        latest = {json.loads(line).get("text") for line in last if line.startswith("{")}
        return decision("reply" if (set(asked_about(body)) | latest) & labelled else "silent")

    return decide


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


class TimedAdapter(RecordingAdapter):
    """Notes, on the replay's clock, when the AI joined in unprompted."""

    def __init__(self, clock: Clock, members: int) -> None:
        super().__init__(platform="bench", members=members)
        self.clock = clock
        self.joined: list[float] = []

    async def perform(self, action: Action) -> Delivered | None:
        if isinstance(action, SendMessage) and action.text == REPLY:
            self.joined.append(self.clock.now)
        return await super().perform(action)


@dataclass
class Result:
    """One transcript's replay."""

    name: str
    half: str
    messages: int
    ordinary: int  # not addressed to the AI
    decisions: int
    interventions: int
    labelled: int
    joined: int
    most_turns: int  # the most unprompted turns within one labelled moment's five minutes
    missed: list[str] = field(default_factory=list)  # labelled, not joined
    silent: list[str] = field(default_factory=list)  # what decisions were asked about in vain

    @property
    def calls_per_100(self) -> float:
        return 100.0 * self.decisions / self.ordinary if self.ordinary else 0.0

    @property
    def joined_share(self) -> float:
        return 100.0 * self.joined / self.labelled if self.labelled else 100.0

    @property
    def met(self) -> bool:
        return (
            self.calls_per_100 <= CALLS_TARGET
            and self.joined_share >= JOINED_TARGET
            and self.most_turns <= TURNS_TARGET
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "half": self.half,
            "messages": self.messages,
            "calls_per_100": round(self.calls_per_100, 2),
            "joined": f"{self.joined}/{self.labelled}",
            "most_turns_per_moment": self.most_turns,
            "interventions": self.interventions,
        }


async def replay(
    lines: Sequence[dict[str, Any]],
    always_reply: bool = False,
    name: str = "",
    half: str = "",
    limits: AutoLimits | None = None,
) -> Result:
    labelled_texts = {str(line["text"]) for line in lines if line["calls_for_ai"]}
    forced = decision("reply") if always_reply else judge(labelled_texts)
    server = await FakeOpenAI(default=Reply(text="Sure.", forced=forced)).start()
    model = OpenAIChatModel(
        ModelConfig(base_url=server.base_url, api_key="bench", model="bench", max_retries=0)
    )
    speakers = len({str(line["from"]) for line in lines})
    clock = Clock()
    group = ConversationRef("bench", "group")
    adapter = TimedAdapter(clock, members=speakers)
    config = FacilitatorConfig(
        default_mode=Mode.AUTO, size_limit=max(20, speakers), auto=limits or AutoLimits()
    )
    with tempfile.TemporaryDirectory(prefix="parley-bench-") as tmp:
        store = await SqliteStore.open(Path(tmp, "auto.db"))
        core = Facilitator(config, store, model, clock=clock)
        try:
            for number, line in enumerate(lines):
                at = START + float(line["t"])
                while (due := core.auto.next_due()) is not None and due <= at:
                    clock.now = due
                    await core.auto.run_due()
                    await core.idle()
                clock.now = at
                author = str(line["from"])
                reply_to = line.get("reply_to")
                message = Message(
                    f"t{number}",
                    group,
                    Member("bench", author.casefold(), author),
                    str(line["text"]),
                    sent_at=datetime.fromtimestamp(at, UTC),
                    mentions_ai=bool(line["addressed"]),
                    reply_to=f"t{reply_to}" if reply_to is not None else None,
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
    asked = [r.body for r in server.received if isinstance(r.body.get("tool_choice"), dict)]
    moments = [
        (number, START + float(line["t"])) for number, line in enumerate(lines) if line["calls_for_ai"]
    ]
    turns: dict[int, int] = {}
    for at in adapter.joined:  # each turn belongs to the latest moment it answers in time
        within = [number for number, said in moments if said <= at <= said + JOIN_AFTER]
        if within:
            turns[within[-1]] = turns.get(within[-1], 0) + 1
    silent = [
        text for body in asked if not (set(asked_about(body)) & labelled_texts) for text in asked_about(body)
    ]
    return Result(
        name=name,
        half=half,
        messages=len(lines),
        ordinary=sum(1 for line in lines if not line["addressed"]),
        decisions=len(asked),
        interventions=len(adapter.joined),
        labelled=len(moments),
        joined=len(turns),
        most_turns=max(turns.values(), default=0),
        missed=[str(lines[number]["text"]) for number, _ in moments if number not in turns],
        silent=silent,
    )


async def replay_all(
    transcripts: Sequence[Transcript], quick: bool = False, limits: AutoLimits | None = None
) -> list[Result]:
    results = []
    for transcript in transcripts:
        lines = transcript.lines()[: 150 if quick else None]
        progress(f"auto mode: replaying {len(lines)} messages of {transcript.name}")
        results.append(await replay(lines, name=transcript.name, half=transcript.half, limits=limits))
    return results


def half_figures(half: str, results: Sequence[Result]) -> list[Figure]:
    """A half's worst transcript for each target, with every transcript's figures beside it."""
    key = "held_out" if half == "held-out" else "tuning"
    label = f"auto mode, {half} half ({len(results)} groups)"
    each = [result.as_json() for result in results]
    met = sum(1 for result in results if result.met)
    return [
        figure(
            7,
            f"auto_{key}_calls_per_100",
            f"{label}: decision calls per 100 messages, worst group",
            [max(result.calls_per_100 for result in results)],
            "calls",
            at_most=CALLS_TARGET,
            target="≤ 5 in every group (naive: 100)",
            transcripts=each,
            groups_meeting_every_target=met,
        ),
        figure(
            7,
            f"auto_{key}_joined_share",
            f"{label}: labelled moments joined, worst group",
            [min(result.joined_share for result in results)],
            "%",
            at_least=JOINED_TARGET,
            target="≥ 90% in every group",
            joined=sum(result.joined for result in results),
            labelled=sum(result.labelled for result in results),
        ),
        figure(
            7,
            f"auto_{key}_turns_per_moment",
            f"{label}: unprompted turns for one moment, most",
            [max(result.most_turns for result in results)],
            "turns",
            at_most=TURNS_TARGET,
            target="≤ 1",
        ),
    ]


def local_stage(transcripts: Sequence[Transcript], runs: int) -> Figure:
    """The gate's own time per message on one core: reading it and its recent past, no model."""
    said = [
        (Heard(str(line["from"]), str(line["from"]), str(line["text"]), float(line["t"])), number)
        for transcript in transcripts
        for number, line in enumerate(transcript.lines())
    ]
    names = {heard.name for heard, _ in said}
    samples = []
    for _ in range(runs):
        clear_cache()  # every message read afresh, as the bot reads new ones
        started = time.process_time()
        for index, (heard, number) in enumerate(said):
            before = [h for h, n in said[max(0, index - 20) : index] if n < number]
            verdict(heard, before, names, ("Parley",))
        samples.append(1e6 * (time.process_time() - started) / len(said))
    return figure(
        7,
        "auto_local_stage_us",
        f"auto mode: the local stage's time per message ({len(said)} messages)",
        samples,
        "µs",
        at_most=1000.0,
        target="≤ 1 ms on one core",
    )


async def measure(quick: bool) -> list[Figure]:
    """The harness's figures: the held-out half first, then the tuning half."""
    figures: list[Figure] = []
    tuning = rooms.corpus("tuning")
    for half in ("held-out", "tuning"):
        figures += half_figures(half, await replay_all(rooms.corpus(half), quick))
    figures.append(local_stage(tuning[:2] if quick else tuning, 1 if quick else 3))
    progress("auto mode: the first tuning group again, with a model that replies whenever asked")
    lines = tuning[0].lines()[: 150 if quick else None]
    dearest = await replay(lines, always_reply=True, name=tuning[0].name)
    figures += [
        figure(
            7,
            "auto_calls_per_100_always_reply",
            f"auto mode, {tuning[0].name}: a model replying to every decision",
            [dearest.calls_per_100],
            "calls",
            target="reported (caps hold it)",
            interventions=dearest.interventions,
        ),
        figure(
            7,
            "auto_naive_calls_per_100",
            "auto mode: a bot asking about every message",
            [100.0],
            "calls",
            target="for comparison",
        ),
    ]
    return figures


def print_results(results: Sequence[Result], show: bool) -> None:
    rows = [("group", "half", "msgs", "calls/100", "joined", "turns/moment", "")]
    for r in results:
        rows.append(
            (
                r.name,
                r.half or "-",
                str(r.messages),
                f"{r.calls_per_100:.2f}",
                f"{r.joined}/{r.labelled} ({r.joined_share:.0f}%)",
                str(r.most_turns),
                "met" if r.met else "MISSED",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    if show:
        for r in results:
            for text in r.missed:
                print(f"{r.name}: missed   {text[:110]!r}")
            for text in r.silent:
                print(f"{r.name}: in vain  {text[:110]!r}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.auto_cost", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("files", nargs="*", help="transcripts to replay (JSON Lines, the benchmark's format)")
    parser.add_argument("--half", choices=(*rooms.HALVES, "all"), help="replay a half of the corpus")
    parser.add_argument("--show", action="store_true", help="print the moments missed and the calls in vain")
    parser.add_argument("--quick", action="store_true", help="the harness's quick run (JSON on stdout)")
    args = parser.parse_args(argv)
    tune_garbage_collector()
    if not args.files and not args.half:
        print(json.dumps([f.as_json() for f in asyncio.run(measure(args.quick))]))
        return
    try:
        chosen = (
            rooms.given(args.files) if args.files else rooms.corpus(None if args.half == "all" else args.half)
        )
        results = asyncio.run(replay_all(chosen))
    except (OSError, ValueError) as exc:
        sys.exit(f"auto_cost: {exc}")
    print_results(results, args.show)


if __name__ == "__main__":
    main()
