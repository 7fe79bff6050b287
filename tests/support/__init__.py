"""What tests share: one way to wait (`until`), and Parley started on each platform against its
loopback fake with the same verbs everywhere (the drivers: telegram.py, slack.py, discord.py,
shell.py, on the shape of driver.py)."""

from tests.support.waiting import until

__all__ = ["until"]
