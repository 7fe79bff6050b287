"""The SQLite store's schema, one numbered step at a time; `PRAGMA user_version` records the last.

Append new steps; never edit a step that has shipped. A PostgreSQL store will keep its own
steps, mirroring these table for table (its ids become identity columns).
"""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, str], ...] = (
    (
        1,
        """
        CREATE TABLE conversations (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            thread_id TEXT NOT NULL DEFAULT '',
            is_direct INTEGER NOT NULL DEFAULT 0,
            mode TEXT,
            instructions TEXT NOT NULL DEFAULT '',
            size_notice_sent INTEGER NOT NULL DEFAULT 0,
            context_from INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            UNIQUE (platform, chat_id, thread_id)
        );
        CREATE TABLE members (
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            handle TEXT,
            avatar_url TEXT,
            is_bot INTEGER NOT NULL DEFAULT 0,
            own_name TEXT,
            own_handle TEXT,
            own_photo TEXT,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, user_id)
        );
        CREATE TABLE conversation_members (
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            user_id TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (conversation_id, user_id)
        );
        CREATE INDEX conversation_members_recent
            ON conversation_members (conversation_id, last_seen);
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            message_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            from_ai INTEGER NOT NULL DEFAULT 0,
            text TEXT NOT NULL,
            sent_at TEXT NOT NULL,
            reply_to TEXT,
            attachments TEXT,
            edited_at TEXT,
            deleted INTEGER NOT NULL DEFAULT 0,
            UNIQUE (conversation_id, message_id)
        );
        -- seq is the rowid, so this index keeps each conversation's messages in order
        CREATE INDEX messages_by_conversation ON messages (conversation_id);
        CREATE TABLE usage (
            platform TEXT NOT NULL,
            user_id TEXT NOT NULL,
            day TEXT NOT NULL,
            replies INTEGER NOT NULL DEFAULT 0,
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (platform, user_id, day)
        );
        """,
    ),
    (
        2,
        """
        -- Deliveries handled that are not stored as messages (commands): a platform that
        -- delivers one again, even after a restart, finds it here and it is not run twice.
        CREATE TABLE deliveries (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            PRIMARY KEY (platform, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        3,
        """
        -- What the AI did unprompted in `auto` mode (decision calls, replies, reactions), so
        -- that its caps hold across restarts. Rows older than a day are of no use and pruned.
        CREATE TABLE room_events (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            thread_id TEXT NOT NULL,
            at REAL NOT NULL,
            kind TEXT NOT NULL
        );
        CREATE INDEX room_events_by_conversation ON room_events (platform, chat_id, thread_id, at);
        -- Images the AI created count against the member who asked.
        ALTER TABLE usage ADD COLUMN images INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        4,
        """
        -- The operator's kill switch (`parley off platform:id`): chats, servers or workspaces
        -- where the AI is off, across restarts.
        CREATE TABLE switched_off (
            platform TEXT NOT NULL,
            target TEXT NOT NULL,
            since TEXT NOT NULL,
            PRIMARY KEY (platform, target)
        ) WITHOUT ROWID;
        """,
    ),
    (
        5,
        """
        -- A group's strict content mode, set by its admins.
        ALTER TABLE conversations ADD COLUMN strict INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        6,
        """
        -- Answers the AI owes: written with the addressed message itself, deleted once the
        -- answer (or a friendly error, or the decision not to answer) is delivered, so a
        -- restart gives what a crash or a deploy cut off. `owner` holds the claim until
        -- `lease_until` (epoch seconds), renewed while it works; `posted` lists the platform
        -- ids of the parts already sent, one per line; the flags say how it addressed the AI.
        CREATE TABLE owed_answers (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            message_id TEXT NOT NULL,
            since REAL NOT NULL,
            owner TEXT NOT NULL,
            lease_until REAL NOT NULL,
            posted TEXT NOT NULL DEFAULT '',
            mentions_ai INTEGER NOT NULL DEFAULT 0,
            replies_to_ai INTEGER NOT NULL DEFAULT 0,
            UNIQUE (conversation_id, message_id)
        );
        CREATE INDEX owed_answers_by_lease ON owed_answers (lease_until);
        -- Small values an adapter keeps across restarts (a Discord gateway session to resume).
        CREATE TABLE adapter_memory (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, key)
        ) WITHOUT ROWID;
        """,
    ),
    (
        7,
        """
        -- What the AI would have done unprompted in `preview` mode, each decision it made and
        -- posted nothing for: when (epoch seconds), the message it was about (its id, author,
        -- when it was said, and an excerpt of its text, which `forget` and retention delete
        -- as they delete the message), what it would have done (`action`: reply, react,
        -- silent, or held back by moderation; `detail`: the reply it wrote or the emoji) and
        -- the decision call's tokens. The latest 50 per conversation are kept.
        CREATE TABLE preview_turns (
            id INTEGER PRIMARY KEY,
            conversation_id INTEGER NOT NULL REFERENCES conversations (id),
            at REAL NOT NULL,
            message_id TEXT NOT NULL,
            author_id TEXT NOT NULL,
            said_at REAL NOT NULL,
            excerpt TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '',
            prompt_tokens INTEGER NOT NULL DEFAULT 0,
            completion_tokens INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX preview_turns_by_conversation ON preview_turns (conversation_id, id);
        CREATE INDEX preview_turns_by_author ON preview_turns (author_id);
        """,
    ),
    (
        8,
        """
        -- The room's feedback on auto mode, per group (platform and chat). The AI's messages
        -- posted unprompted, each part with its turn (the first part's id), when (epoch seconds).
        CREATE TABLE unprompted_messages (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            turn TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (platform, chat_id, message_id)
        ) WITHOUT ROWID;
        -- What members said of a turn (a 👎, a thank-you, a deletion: `member_id` '', since
        -- platforms do not say who deleted), one signal per member and turn; `forget` deletes
        -- a member's rows.
        CREATE TABLE room_feedback (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            turn TEXT NOT NULL,
            member_id TEXT NOT NULL,
            signal TEXT NOT NULL,
            at REAL NOT NULL,
            PRIMARY KEY (platform, chat_id, turn, member_id)
        ) WITHOUT ROWID;
        CREATE INDEX room_feedback_by_member ON room_feedback (platform, member_id);
        -- How readily the AI joins in there, learnt from that feedback (1.0: as the operator set).
        CREATE TABLE room_readiness (
            platform TEXT NOT NULL,
            chat_id TEXT NOT NULL,
            readiness REAL NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (platform, chat_id)
        ) WITHOUT ROWID;
        -- A member who said `quiet me`: never answered unprompted, on any group of the platform.
        ALTER TABLE members ADD COLUMN quiet INTEGER NOT NULL DEFAULT 0;
        """,
    ),
    (
        9,
        """
        -- Which process answers in a conversation, for its answers to stay in order when several
        -- processes share the database: held under a lease (epoch seconds) renewed while it
        -- answers; a message another process receives meanwhile is handed to the holder.
        CREATE TABLE conversation_leases (
            conversation_id INTEGER PRIMARY KEY REFERENCES conversations (id),
            owner TEXT NOT NULL,
            lease_until REAL NOT NULL
        );
        -- The processes running (`parley check` lists those seen lately): each says it is alive
        -- as it renews its claims, and leaves at a clean stop.
        CREATE TABLE processes (
            owner TEXT PRIMARY KEY,
            host TEXT NOT NULL,
            pid INTEGER NOT NULL,
            platforms TEXT NOT NULL DEFAULT '',
            started_at TEXT NOT NULL,
            seen_at REAL NOT NULL
        );
        CREATE INDEX owed_answers_by_conversation ON owed_answers (conversation_id, since);
        """,
    ),
)

LATEST = MIGRATIONS[-1][0]
