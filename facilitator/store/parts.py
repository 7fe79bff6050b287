"""Every part of the store at once, on whichever engine brings the connection: the SQLite store
(sqlite.py) and the PostgreSQL store (postgres.py) are each this, with their own opening, schema
and the few statements their engines say differently."""

from __future__ import annotations

from facilitator.store.conversations import StoredConversations
from facilitator.store.feedback import StoredFeedback
from facilitator.store.groups import StoredGroups
from facilitator.store.lanes import StoredLanes
from facilitator.store.ledger import StoredLedger
from facilitator.store.members import StoredMembers
from facilitator.store.memory import StoredAdapterMemory
from facilitator.store.owed import StoredOwed
from facilitator.store.previews import StoredPreviews


class StoreParts(
    StoredConversations,
    StoredGroups,
    StoredMembers,
    StoredLedger,
    StoredOwed,
    StoredLanes,
    StoredAdapterMemory,
    StoredPreviews,
    StoredFeedback,
):
    """The store's roles (facilitator/store/roles.py), filled in SQL both engines speak."""
