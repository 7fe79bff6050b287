"""Slack's files in the fake: file objects as files.info gives them, the download that needs the bot
token, and the three steps of an upload.

Members' files are made with `SlackWorkspace.file()` and shared with `event_message(files=[...])`;
their `url_private` / `url_private_download` point at the fake, which serves the bytes only to a
request with `Authorization: Bearer <bot token>` (and files:read) — anything else gets what Slack
answers then: HTTP 200 with an HTML sign-in page. An upload is `files.getUploadURLExternal` (a
one-time URL on the fake), a POST of the bytes to it (raw or multipart), then
`files.completeUploadExternal`, which shares the file in a channel or thread as a message of the
app's with the `initial_comment`. Tests read `downloads` and `uploads`.

`SlackError`, the `{"ok": false, "error": ...}` answer, lives here so that both this module and
slack_api.py raise it.
"""

from __future__ import annotations

import copy
import json
import mimetypes
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import BodyPartReader, web

JSON = dict[str, Any]

LOGIN_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><meta charset="utf-8"><title>Slack</title></head>
<body><div id="page"><h1>Sign in to Slack</h1>
<p>We suggest using the email address you use at work.</p>
<form action="/signin" method="post"><input type="email" name="email"></form></div></body></html>
"""


class SlackError(Exception):
    """An `{"ok": false, "error": ...}` answer; 429s carry Retry-After, as Slack's do."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None, **extra: Any) -> None:
        super().__init__(error)
        self.error, self.status, self.retry_after, self.extra = error, status, retry_after, extra

    def response(self) -> web.Response:
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
        body = {"ok": False, "error": self.error, **self.extra}
        return web.json_response(body, status=self.status, headers=headers)


def file_object(
    file_id: str,
    *,
    user: str,
    team_id: str,
    team_domain: str,
    name: str,
    mimetype: str,
    size: int,
    base_http: str,
    created: int,
    title: str | None = None,
) -> JSON:
    """A hosted file as Slack describes it (files.info, message events' `files`)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else "binary"
    private = f"{base_http}/files-pri/{team_id}-{file_id}"
    return {
        "id": file_id,
        "created": created,
        "timestamp": created,
        "name": name,
        "title": title or name,
        "mimetype": mimetype,
        "filetype": extension,
        "pretty_type": extension.upper(),
        "user": user,
        "user_team": team_id,
        "editable": False,
        "size": size,
        "mode": "hosted",
        "is_external": False,
        "external_type": "",
        "is_public": False,
        "public_url_shared": False,
        "display_as_bot": False,
        "username": "",
        "url_private": f"{private}/{name}",
        "url_private_download": f"{private}/download/{name}",
        "media_display_type": "unknown",
        "permalink": f"https://{team_domain}.slack.com/files/{user}/{file_id}/{name}",
        "permalink_public": f"https://slack-files.com/{team_id}-{file_id}-{secrets.token_hex(5)}",
        "is_starred": False,
        "has_rich_preview": False,
        "file_access": "visible",
        "channels": [],
        "groups": [],
        "ims": [],
        "shares": {},
    }


def mimetype_of(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def share_file(file: JSON, channel: JSON, message: JSON, team_id: str) -> None:
    """Note in `file` that `message` shares it in `channel` (its `shares`, `channels`...)."""
    hidden = channel.get("is_private") or channel.get("is_im")
    where = "ims" if channel.get("is_im") else "groups" if channel.get("is_private") else "channels"
    if channel["id"] not in file[where]:
        file[where].append(channel["id"])
    entry: JSON = {
        "reply_users": [],
        "reply_users_count": 0,
        "reply_count": 0,
        "ts": message["ts"],
        "channel_name": channel.get("name", ""),
        "team_id": team_id,
        "share_user_id": message.get("user", ""),
        "source": "UNKNOWN",
    }
    if message.get("thread_ts") and message["thread_ts"] != message["ts"]:
        entry["thread_ts"] = message["thread_ts"]
    file["shares"].setdefault("private" if hidden else "public", {}).setdefault(channel["id"], []).append(
        entry
    )


class FileMethods:
    """files.info, the file URLs and the upload steps, mixed into FakeSlack (which holds the
    state declared here and the helpers it uses)."""

    files: dict[str, JSON]
    file_data: dict[str, bytes]
    downloads: list[JSON]
    uploads: list[JSON]
    upload_tickets: dict[str, JSON]
    file_host_signs_in: bool
    scopes: list[str]
    bot_token: str
    bot_user_id: str
    team_id: str
    team_domain: str
    base_http: str
    channels: dict[str, JSON]
    members: dict[str, list[str]]
    _postable: Callable[[JSON], str]
    _bot_message: Callable[[str, str, JSON], JSON]
    _next_ts: Callable[[], str]
    _wake: Callable[[], None]

    def file_routes(self, app: web.Application) -> None:
        app.router.add_get("/files-pri/{key}/{name}", self._download)
        app.router.add_get("/files-pri/{key}/download/{name}", self._download)
        app.router.add_post("/upload/v1/{ticket}", self._upload)

    def file_handlers(self) -> dict[str, Callable[[JSON], Awaitable[JSON]]]:
        return {
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
        }

    def _needs(self, scope: str) -> None:
        if scope not in self.scopes:
            raise SlackError("missing_scope", needed=scope, provided=",".join(self.scopes))

    def _bot_sees(self, file: JSON) -> bool:
        """The app sees its own files and those shared where it is a member."""
        shared = [*file["channels"], *file["groups"], *file["ims"]]
        return file["user"] == self.bot_user_id or any(
            self.bot_user_id in self.members.get(channel, []) for channel in shared
        )

    async def _files_info(self, params: JSON) -> JSON:
        self._needs("files:read")
        file = self.files.get(str(params.get("file") or ""))
        if file is None or not self._bot_sees(file):
            raise SlackError("file_not_found")
        return {"file": copy.deepcopy(file), "comments": [], "response_metadata": {"next_cursor": ""}}

    async def _download(self, request: web.Request) -> web.Response:
        """A file's bytes for the bot token; the sign-in page (200, text/html) for anyone else."""
        team, _, file_id = request.match_info["key"].partition("-")
        file = self.files.get(file_id)
        if team != self.team_id or file is None or request.match_info["name"] != file["name"]:
            return web.Response(status=404, text=LOGIN_PAGE, content_type="text/html")
        authorization = request.headers.get("Authorization")
        allowed = (
            authorization == f"Bearer {self.bot_token}"
            and "files:read" in self.scopes
            and self._bot_sees(file)
            and not self.file_host_signs_in
        )
        self.downloads.append({"file": file_id, "authorization": authorization, "served": allowed})
        self._wake()
        if not allowed:
            return web.Response(text=LOGIN_PAGE, content_type="text/html")
        return web.Response(body=self.file_data[file_id], content_type=file["mimetype"])

    async def _get_upload_url(self, params: JSON) -> JSON:
        self._needs("files:write")
        filename = str(params.get("filename") or "")
        try:
            length = int(params.get("length") or 0)
        except ValueError:
            raise SlackError("invalid_arguments") from None
        if not filename:
            raise SlackError("invalid_arguments")
        if length <= 0:
            raise SlackError("missing_argument")
        ticket, file_id = secrets.token_hex(8), f"F0UP{secrets.token_hex(4).upper()}"
        self.upload_tickets[ticket] = {
            "file_id": file_id,
            "filename": filename,
            "length": length,
            "alt_txt": params.get("alt_txt"),
            "data": None,
        }
        return {"upload_url": f"{self.base_http}/upload/v1/{ticket}", "file_id": file_id}

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload URL: the bytes raw, or a multipart form's file field; answered as Slack
        answers, in plain text."""
        pending = self.upload_tickets.get(request.match_info["ticket"])
        if pending is None:
            return web.Response(status=404, text="Not Found", content_type="text/plain")
        if request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            data = b""
            async for part in reader:
                if not isinstance(part, BodyPartReader):
                    continue
                if part.filename is not None or part.name in {"file", "filename"}:
                    data = bytes(await part.read())
                    break
        else:
            data = await request.read()
        pending["data"] = data
        return web.Response(text=f"OK - {len(data)}", content_type="text/plain")

    async def _complete_upload(self, params: JSON) -> JSON:
        self._needs("files:write")
        listed = params.get("files")
        if isinstance(listed, str):
            try:
                listed = json.loads(listed)
            except ValueError:
                raise SlackError("invalid_arguments") from None
        if not isinstance(listed, list) or not listed:
            raise SlackError("invalid_arguments")
        tickets = {p["file_id"]: (t, p) for t, p in self.upload_tickets.items()}
        chosen = []
        for item in listed:
            found = tickets.get(str((item or {}).get("id") or ""))
            if found is None or found[1]["data"] is None:
                raise SlackError("file_not_found")
            chosen.append((found, item))
        targets = [str(params["channel_id"])] if params.get("channel_id") else []
        targets += [c for c in str(params.get("channels") or "").split(",") if c.strip()]
        channels = [self._postable({"channel": target}) for target in targets]
        thread_ts = str(params.get("thread_ts") or "") or None
        comment = str(params.get("initial_comment") or "")
        done = []
        for (ticket, pending), item in chosen:
            del self.upload_tickets[ticket]
            data: bytes = pending["data"]
            file = file_object(
                pending["file_id"],
                user=self.bot_user_id,
                team_id=self.team_id,
                team_domain=self.team_domain,
                name=pending["filename"],
                mimetype=mimetype_of(pending["filename"]),
                size=len(data),
                base_http=self.base_http,
                created=int(float(self._next_ts())),
                title=item.get("title") or None,
            )
            self.files[file["id"]], self.file_data[file["id"]] = file, data
            done.append(file)
        posts_in: list[str | None] = list(channels) if channels else [None]
        for channel_id in posts_in:
            message: JSON = {}
            if channel_id is not None:  # without a channel the file stays private to the app
                message = self._bot_message(channel_id, comment, {"thread_ts": thread_ts})
                message.update({"files": copy.deepcopy(done), "upload": True, "display_as_bot": False})
            for file in done:
                if channel_id is not None:
                    share_file(file, self.channels[channel_id], message, self.team_id)
                upload = {"file": file["id"], "channel": channel_id, "thread_ts": thread_ts}
                upload.update({"initial_comment": comment, "filename": file["name"], "title": file["title"]})
                upload.update({"data": self.file_data[file["id"]], "ts": message.get("ts")})
                self.uploads.append(upload)
        self._wake()
        return {"files": copy.deepcopy(done)}
