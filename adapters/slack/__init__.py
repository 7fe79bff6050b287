"""Slack: Parley in Slack channels, group DMs and DMs, through slack-bolt."""
