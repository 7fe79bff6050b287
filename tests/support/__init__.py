"""What tests share: one way to wait (`until`), and Parley started on each platform against its
loopback fake with the same verbs everywhere (the drivers: telegram.py, slack.py, discord.py,
shell.py, on the shape of driver.py, found for each registered platform by drivers.py); the core
as tests start it (core.py), auto mode's scripted decision (auto.py), and `parley` run in a
process of its own (process.py)."""

from tests.support.waiting import until

__all__ = ["until"]
