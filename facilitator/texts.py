"""Everything the AI says on its own behalf (not the model's words), in one place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta

from facilitator.auto.feedback import Signal
from facilitator.chat import Mode
from facilitator.commands import COMMANDS
from facilitator.quotas import Tier
from facilitator.store.roles import Forgotten, PreviewTurn, Usage

MODEL_FAILED = {
    "rate_limited": "I'm getting too many requests right now. Please ask me again in a minute.",
    "timeout": "Sorry, my model took too long to answer. Please try again in a moment.",
    "unavailable": "Sorry, I can't reach my model right now. Please try again in a moment.",
    "rejected": "Sorry, my model couldn't answer that one.",
}
CUT_OFF = " … (my answer was cut off, sorry)"
HELD_BACK = (
    "OK, I'll stop chiming in: from now on I answer here only when someone addresses me. "
    "An admin can switch me back with `mode auto`."
)
PREVIEW_ON = (
    "OK: I'll try out reading the room here. I decide as in `auto` mode when I could help, but "
    "post nothing unprompted (addressed, I answer as usual); `preview` shows what I would have "
    "said and what it cost, and `mode auto` lets me join in."
)
PREVIEW_IN_DIRECT = "Preview mode is for groups: here, I answer every message."
HELD_BACK_PREVIEW = (
    "OK, I'll stop reading the room: from now on I answer here only when someone addresses me. "
    "An admin can try it again with `mode preview`."
)
MODERATED = "I can't help with that here: this group has strict content rules."
SWITCHED_OFF = "I'm switched off here by the people who run me, so I'm not reading or answering."
GROUP_FAILED = "Sorry, I couldn't start that group. Check the names and try again in a moment."
IMAGE_FAILED = "Sorry, I couldn't make that image."


def image_caption(prompt: str) -> str:
    return "🎨 " + (prompt if len(prompt) <= 200 else prompt[:199] + "…")


RESTARTED = "Sorry, I was restarting and missed this. Could you ask me again?"


def model_failed(kind: str) -> str:
    return MODEL_FAILED.get(kind, MODEL_FAILED["unavailable"])


def help_text(ai_name: str, mode: Mode, is_direct: bool) -> str:
    lines = [f"I'm {ai_name}, an AI in this chat."]
    if is_direct:
        lines.append("Here, I answer every message.")
    elif mode is Mode.OFF:
        lines.append("I'm switched off in this group: I only answer commands.")
    else:
        lines.append(f'I answer when you mention me, reply to me, or start with my name ("{ai_name}, ...").')
        if mode is Mode.PREVIEW:
            lines.append(
                "I'm trying out reading the room here (`mode preview`): I post nothing unprompted, "
                "and `preview` shows what I would have said."
            )
    lines.append("Commands:")
    lines.extend(f"  {spec.usage} — {spec.summary}" for spec in COMMANDS)
    return "\n".join(lines)


def size_notice(count: int, limit: int) -> str:
    return (
        f"This conversation has {count} people, and I take part in groups of up to {limit}, "
        f"so I'll stay out of it here. A smaller group or a thread works."
    )


def first_use(ai_name: str, is_direct: bool, provider: str) -> str:
    where = (
        "our messages here" if is_direct else "this group's recent messages, not only those addressed to me,"
    )
    return (
        f"Hi, I'm {ai_name}, an AI. To answer I read {where} and send them to {provider}. "
        "I keep them for a while to follow the conversation. `usage` shows what you've used, "
        "`forget` deletes what I store about you."
    )


def forgotten(gone: Forgotten) -> str:
    parts = [f"{gone.messages} message{'s' * (gone.messages != 1)}"]
    if gone.direct_chats:
        parts.append("our direct chat (my answers and your instructions there too)")
    if gone.groups:
        parts.append(f"your place in {gone.groups} group{'s' * (gone.groups != 1)}")
    if gone.profile:
        parts.append("your profile")
    if gone.usage_days:
        parts.append(f"{gone.usage_days} day{'s' * (gone.usage_days != 1)} of usage counts")
    if gone.feedback:
        parts.append(f"what you told me of {gone.feedback} unprompted turn{'s' * (gone.feedback != 1)}")
    if gone.quiet:
        parts.append("your `quiet me`")
    return "Done: I deleted " + ", ".join(parts) + ". Nothing else about you is stored."


def usage_text(usage: Usage, tier: Tier | None = None, resets: timedelta | None = None) -> str:
    tokens = usage.prompt_tokens + usage.completion_tokens
    answers = "answer" if usage.replies == 1 else "answers"
    images = "" if not usage.images else f" and made {usage.images} image{'s' * (usage.images != 1)}"
    text = (
        f"Today ({usage.day.isoformat()}, UTC) I've given you {usage.replies} {answers}{images}, "
        f"using {tokens} tokens."
    )
    if tier is not None:
        left = []
        if tier.replies_per_day:
            left.append(f"{max(0, tier.replies_per_day - usage.replies)} of {tier.replies_per_day} answers")
        if tier.tokens_per_day:
            left.append(f"{max(0, tier.tokens_per_day - tokens)} of {tier.tokens_per_day} tokens")
        if left:
            text += f" Your plan ({tier.name}) has {' and '.join(left)} left today."
        else:
            text += f" Your plan ({tier.name}) has no daily limit."
    return text + f" The count resets at midnight UTC{_in(resets)}."


def over_limit(reason: str, resets: timedelta) -> str:
    if reason == "group":
        return (
            "This group has had all its answers for today, so I'll be quiet here until "
            f"midnight UTC{_in(resets)}."
        )
    if reason == "budget":
        return f"I've used up today's budget for answers, so I'll be quiet until midnight UTC{_in(resets)}."
    what = "answers" if reason == "replies" else "tokens"
    return (
        f"You've used today's {what} on your plan, so I won't answer you until midnight UTC{_in(resets)}. "
        "`usage` shows where you stand."
    )


def _in(resets: timedelta | None) -> str:
    if resets is None:
        return ""
    hours, minutes = divmod(int(resets.total_seconds()) // 60, 60)
    return f", in {hours} h {minutes} min" if hours else f", in {minutes} min"


PREVIEW_SHOWN = 10  # the latest would-be turns `preview` lists
PREVIEW_REPLY_SHOWN = 500  # characters of each would-be reply shown
DAY_SECONDS = 86400


def preview_text(turns: Sequence[PreviewTurn], mode: Mode, now: float) -> str:
    """`preview`: the latest turns the AI would have taken unprompted (newest last), and what
    its decisions of the last 24 hours came to; `turns` are every decision kept, oldest first."""
    lines = []
    if mode is not Mode.PREVIEW:
        lines.append(
            f"This group is in `{mode.value}` mode, not preview. An admin can switch with "
            "`mode preview`: I then read the room as in `auto`, post nothing unprompted, and note "
            "here what I would have done."
        )
    taken = [turn for turn in turns if turn.action != "silent"][-PREVIEW_SHOWN:]
    if taken:
        lines.append("What I would have done unprompted here (times UTC, newest last):")
        lines.extend(f"- {_preview_line(turn, now)}" for turn in taken)
    elif turns:
        lines.append("I've weighed some moments here, and would have stayed quiet each time.")
    else:
        lines.append("Nothing recorded here yet: no moment has called for a decision.")
    day = [turn for turn in turns if now - turn.at <= DAY_SECONDS]
    spent = sum(turn.prompt_tokens + turn.completion_tokens for turn in day)
    joined = sum(turn.action != "silent" for turn in day)
    lines.append(
        f"Last 24 h: {_count(len(day), 'decision')}, {_count(joined, 'would-be turn')}, {spent} tokens spent."
    )
    return "\n".join(lines)


def _count(count: int, what: str) -> str:
    return f"{count} {what}{'s' * (count != 1)}"


def _preview_line(turn: PreviewTurn, now: float) -> str:
    when = datetime.fromtimestamp(turn.at, UTC)
    shown = when.strftime("%H:%M")
    if when.date() != datetime.fromtimestamp(now, UTC).date():
        shown = when.strftime("%Y-%m-%d %H:%M")
    who = turn.author or "someone"
    about = f'{who}: "{turn.excerpt}"' if turn.excerpt else f"{who}'s message (deleted)"
    if turn.action == "react":
        done = f"I'd have reacted {turn.detail}"
    elif turn.action == "held":
        done = "I'd have replied, but strict content rules held the reply back"
    elif turn.detail:
        said = turn.detail
        if len(said) > PREVIEW_REPLY_SHOWN:
            said = said[: PREVIEW_REPLY_SHOWN - 1] + "…"
        done = f'I\'d have said: "{said}"'
    else:
        done = "a reply (not written: preview)"
    tokens = turn.prompt_tokens + turn.completion_tokens
    return f"{shown}, {about} → {done} ({tokens} tokens)"


# --- `auto`: how readily the AI joins in, learnt from the room --------------------------------

AUTO_IN_DIRECT = "Reading the room is for groups: here, I answer every message."
AUTO_RESET = (
    "OK: I've forgotten what this group told me of my unprompted turns, and join in here as "
    "readily as the people who run me set me to."
)
FEEDBACK_HOW = (
    "Tell me what you think of a turn I took unprompted: 👍 or 👎 on it, or answer it “thanks” or "
    "“not now” (deleting it counts too, where the platform tells me). `quiet me` keeps me out of "
    "what you say; an admin can start afresh with `auto reset`."
)
_SIGNALS = {
    Signal.THUMBS_DOWN: ("👎", "👎"),
    Signal.DELETED: ("deletion", "deletions"),
    Signal.NOT_NOW: ("“not now”", "“not now”s"),
    Signal.THUMBS_UP: ("👍", "👍"),
    Signal.THANKS: ("thank-you", "thank-yous"),
}
_STEADY = 0.005  # this close to 1: as the operator set it


def auto_text(mode: Mode, readiness: float, week: Mapping[str, int], floor: float, ceiling: float) -> str:
    """`auto`: the group's mode, how readily the AI joins in there and why (the feedback of the
    last 7 days, counted: never who), and how to change it."""
    if mode is Mode.AUTO:
        lines = ["Mode here: auto: I answer when addressed, and join in when I can clearly help."]
    elif mode is Mode.PREVIEW:
        lines = [
            "Mode here: preview: I decide when I would join in, as in `auto`, but post nothing "
            "unprompted (`preview` shows what I would have said)."
        ]
    else:
        lines = [f"Mode here: {mode.value}: I join in unprompted only in `auto` mode (admins: `mode auto`)."]
    counted = feedback_counts(week)
    if abs(readiness - 1.0) < _STEADY:
        lines.append("I join in about as readily as the people who run me set me to.")
        if counted:
            lines.append(f"This week: {counted}.")
    else:
        lower = readiness < 1.0
        shown = "less readily than usual" if lower else "more readily than usual"
        if readiness <= floor + _STEADY and lower:
            shown += ", as rarely as the people who run me allow"
        elif readiness >= ceiling - _STEADY and not lower:
            shown += ", as readily as the people who run me allow"
        why = f": {counted} this week" if counted else ", from what you told me before this week"
        lines.append(f"I join in {shown}{why} (readiness {readiness:.2f}; 1 is as set).")
    lines.append(FEEDBACK_HOW)
    return "\n".join(lines)


def feedback_counts(week: Mapping[str, int]) -> str:
    """ "3 👎, 1 deletion and 2 thank-yous": each signal given, in a fixed order."""
    parts = []
    for signal, (one, many) in _SIGNALS.items():
        count = week.get(signal.value, 0)
        if count:
            parts.append(f"{count} {one if count == 1 else many}")
    return ", ".join(parts[:-1]) + (" and " if len(parts) > 1 else "") + parts[-1] if parts else ""


# --- `quiet`: a member's own choice, told to them alone ---------------------------------------

QUIET_ON = (
    "OK: I won't join in unprompted on anything you say, in any group on this platform. I still "
    "answer whenever you address me. `quiet off` undoes it."
)
QUIET_OFF = "OK: I may join in on what you say again, where a group lets me read the room (`mode auto`)."
QUIET_IS_ON = (
    "You asked me never to join in unprompted on what you say (in every group on this platform); "
    "I still answer whenever you address me. `quiet off` undoes it."
)
QUIET_IS_OFF = (
    "I may join in unprompted on what you say, where a group lets me read the room (`mode auto`). "
    "`quiet me` stops that; I'd still answer whenever you address me."
)


def quiet_text(quiet: bool, changed: bool) -> str:
    if changed:
        return QUIET_ON if quiet else QUIET_OFF
    return QUIET_IS_ON if quiet else QUIET_IS_OFF
