"""Each platform as the bot runs it, a module each (named by its row in bot/registry.py): its
adapter's config from its settings section, its webhooks on Parley's HTTP server, its start,
and what `parley check` says about it. Imported only when the platform is configured."""
