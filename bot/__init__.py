"""The composition root: settings, the `parley` command, the HTTP server. Nothing imports it."""
