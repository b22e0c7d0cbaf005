"""The audit log: every change of state records who, when, what and from which counter.

**Tamper-evident.** Each entry carries ``prev_hash``, the hash of the entry before it, and ``hash``,
the SHA-256 of ``prev_hash`` and its own content (time, district, actor, counter, action, object,
detail, address) in a canonical JSON form. Writers lock the one ``audit_head`` row for the rest of
their transaction, so entries chain in the order they are numbered even with several worker
processes on PostgreSQL, and the head remembers the newest hash. :func:`verify` (``emitra audit
verify``) walks the chain: an edited entry no longer matches its hash, a deleted one breaks the
link of the next, and deleting the newest entries leaves the head pointing past the end. What it
cannot see is a writer with database access who rewrites the whole chain after the point they
changed; publishing the head hash now and then (``emitra audit verify`` prints it) closes that.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Awaitable, Callable, TypeVar

from tortoise import connections
from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import FieldError, IntegrityError
from tortoise.transactions import in_transaction

from emitra.core import ledger
from emitra.core.db import placeholders
from emitra.core.models import AuditHead, AuditLog, User

T = TypeVar("T")
A = TypeVar("A")

GENESIS = "0" * 64  # the prev_hash of the first entry
HEAD_ID = 1


@dataclass
class Actor:
    """Who is acting, and from where. Built by the web layer or the CLI."""

    user: User | None
    ip: str = ""
    via: str = "web"  # web, api, cli

    @property
    def name(self) -> str:
        return self.user.username if self.user else f"({self.via})"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


def canonical_detail(detail: dict[str, Any]) -> dict[str, Any]:
    """The detail as it will read back from the database (dates as ISO text, keys as strings)."""
    return json.loads(json.dumps(detail, default=_jsonable, ensure_ascii=False))


def _utc_text(moment: dt.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(dt.timezone.utc).isoformat(timespec="microseconds")


def entry_hash(prev_hash: str, *, at: dt.datetime, district_id: int | None, actor_id: int | None, actor_name: str,
               counter_id: int | None, action: str, object_type: str, object_id: str, detail: dict[str, Any],
               ip: str) -> str:
    """SHA-256 (hex) of the previous hash and an entry's content, in a canonical JSON form (version 1)."""
    content = {
        "v": 1, "prev": prev_hash, "at": _utc_text(at), "district": district_id, "actor": actor_id,
        "actor_name": actor_name, "counter": counter_id, "action": action, "object_type": object_type,
        "object_id": object_id, "detail": detail, "ip": ip,
    }
    text = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hash_of(entry: AuditLog) -> str:
    """The hash an entry should carry, from what is stored in it now."""
    return entry_hash(
        entry.prev_hash, at=entry.at, district_id=entry.district_id, actor_id=entry.actor_id,
        actor_name=entry.actor_name, counter_id=entry.counter_id, action=entry.action,
        object_type=entry.object_type, object_id=entry.object_id, detail=entry.detail or {}, ip=entry.ip)


async def _locked_head() -> tuple[str, int]:
    """The chain's head (last hash, entries), its row locked until the caller's transaction ends
    (created when missing). Raw SQL, as :func:`_move_head`: it runs for every audit record, and
    the ORM's query building cost more than the statement (docs/performance.md)."""
    conn = connections.get("default")
    lock = " FOR UPDATE" if conn.capabilities.dialect == "postgres" else ""  # SQLite: the writer holds the whole database
    sql = f'SELECT "last_hash", "entries" FROM "audit_head" WHERE "id" = {HEAD_ID}{lock}'
    rows = await conn.execute_query_dict(sql)
    if rows:
        return rows[0]["last_hash"], rows[0]["entries"]
    last = await AuditLog.all().order_by("-id").first()
    try:
        async with in_transaction():  # a savepoint: another process may create it at the same moment
            await AuditHead.create(id=HEAD_ID, last_id=last.id if last else 0, last_hash=last.hash if last else "",
                                   entries=await AuditLog.all().count())
    except IntegrityError:
        pass
    rows = await conn.execute_query_dict(sql)
    return rows[0]["last_hash"], rows[0]["entries"]


#: PostgreSQL: the record and the head's move in one statement, so the head's row lock, which every
#: audited change of the district waits for, is held for one round trip fewer (docs/performance.md)
_INSERT_AND_MOVE = (
    'WITH ins AS (INSERT INTO "audit_log" ("at", "district_id", "actor_id", "actor_name", "counter_id", "action", "object_type", '
    '"object_id", "detail", "ip", "prev_hash", "hash") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12) RETURNING "id") '
    f'UPDATE "audit_head" SET "last_id" = (SELECT "id" FROM ins), "last_hash" = $12, "entries" = $13 WHERE "id" = {HEAD_ID} '
    'RETURNING "last_id"')


_COLUMNS = ("at", "district_id", "actor_id", "actor_name", "counter_id", "action", "object_type", "object_id", "detail", "ip",
            "prev_hash", "hash")
_QUOTED = ", ".join('"%s"' % c for c in _COLUMNS)
_INSERT = f'INSERT INTO "audit_log" ({_QUOTED}) VALUES ({", ".join("?" for _ in _COLUMNS)})'


async def _insert_and_move_head(entry: AuditLog, entries: int) -> None:
    """Write one chained record and move the head to it (the head already locked by :func:`_locked_head`).

    Raw statements, as the ORM's ``save`` would write them (SQLite: the fields' own conversions),
    because every audited change pays for them; on PostgreSQL in one statement."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        rows = await conn.execute_query_dict(_INSERT_AND_MOVE, [
            entry.at, entry.district_id, entry.actor_id, entry.actor_name, entry.counter_id, entry.action, entry.object_type,
            entry.object_id, json.dumps(entry.detail, ensure_ascii=False), entry.ip, entry.prev_hash, entry.hash, entries])
        entry.id = rows[0]["last_id"]
        return
    fields = AuditLog._meta.fields_map
    values = [fields[c].to_db_value(getattr(entry, c), entry) if c in ("at", "detail") else getattr(entry, c) for c in _COLUMNS]
    entry.id = await conn.execute_insert(_INSERT, values)
    await _move_head(entry.id, entry.hash, entries)


async def _move_head(last_id: int, last_hash: str, entries: int) -> None:
    conn = connections.get("default")
    await conn.execute_query(placeholders(conn, f'UPDATE "audit_head" SET "last_id" = ?, "last_hash" = ?, "entries" = ? WHERE "id" = {HEAD_ID}'),
                             [last_id, last_hash, entries])


async def record(
    actor: Actor,
    action: str,
    obj: Any = None,
    *,
    district_id: int | None = None,
    counter_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditLog:
    """Write one audit record, chained to the one before. Call it inside the transaction that makes the change."""
    return await _in_transaction(_chain_one, _values(actor, action, obj, district_id, counter_id, detail))


def _values(actor: Actor, action: str, obj: Any, district_id: int | None, counter_id: int | None,
            detail: dict[str, Any] | None) -> dict[str, Any]:
    user = actor.user
    if district_id is None and user is not None:
        district_id = user.district_id
    if counter_id is None and user is not None:
        counter_id = user.counter_id
    return {
        "district_id": district_id,
        "actor_id": user.id if user is not None else None,
        "actor_name": actor.name,
        "counter_id": counter_id,
        "action": action,
        "object_type": type(obj).__name__ if obj is not None else "",
        "object_id": str(getattr(obj, "id", "") or "") if obj is not None else "",
        "detail": canonical_detail({"via": actor.via, **(detail or {})}),
        "ip": actor.ip,
        "at": dt.datetime.now(dt.timezone.utc),
    }


async def record_many(records: list[tuple[Actor, str, Any, dict[str, Any]]]) -> None:
    """Write several audit records, chained in the order given, as :func:`record` writes one, with
    the head locked once (a day end of many counters, a settlement run). Each record is
    (actor, action, object, {"district_id": ..., "counter_id": ..., "detail": ...})."""
    rows = [_values(actor, action, obj, extra.get("district_id"), extra.get("counter_id"), extra.get("detail"))
            for actor, action, obj, extra in records]
    if len(rows) == 1:
        await _in_transaction(_chain_one, rows[0])
    elif rows:
        await _in_transaction(_chain_many, rows)


async def _in_transaction(write: Callable[[A], Awaitable[T]], arg: A) -> T:
    """``write(arg)`` in the caller's transaction, or in one of its own when there is none."""
    if isinstance(connections.get("default"), TransactionalDBClient):
        return await write(arg)  # inside the caller's transaction: no savepoint of its own
    async with in_transaction():
        return await write(arg)


async def _chain_one(values: dict[str, Any]) -> AuditLog:
    """A counter's payment, an officer's step: the common case, in prepared statements."""
    head_hash, head_entries = await _locked_head()
    prev = head_hash or GENESIS
    entry = AuditLog(prev_hash=prev, hash=entry_hash(prev, **values), **values)
    await _insert_and_move_head(entry, head_entries + 1)
    return entry


#: Records per multi-row INSERT (12 parameters each: 1,200; small for the reason in core/ledger.py)
_RECORD_ROWS = 100


async def _chain_many(rows: list[dict[str, Any]]) -> None:
    """Write many chained records after the head and move the head to the last.

    Multi-row ``INSERT``s of the values themselves, no model object per record (a settlement run
    writes one per payment: tens of thousands, and the objects cost more than the statements).
    The ids follow the chain's order: each statement's rows are numbered in the order of its
    ``VALUES`` and the head stays locked between statements, so no other writer's record comes in
    between; checked on the ids each statement returns."""
    head_hash, head_entries = await _locked_head()
    prev = head_hash or GENESIS
    postgres = connections.get("default").capabilities.dialect == "postgres"
    detail_field = AuditLog._meta.fields_map["detail"]
    one = "(" + ", ".join("?::jsonb" if postgres and c == "detail" else "?" for c in _COLUMNS) + ")"
    last_id = 0
    for start in range(0, len(rows), _RECORD_ROWS):
        params: list[Any] = []
        for values in rows[start:start + _RECORD_ROWS]:
            digest = entry_hash(prev, **values)
            # the detail as the single path writes it (PostgreSQL: JSON text cast to jsonb; SQLite: the field's own conversion)
            detail = json.dumps(values["detail"], ensure_ascii=False) if postgres else detail_field.to_db_value(values["detail"], None)
            params += [values["at"], values["district_id"], values["actor_id"], values["actor_name"], values["counter_id"], values["action"],
                       values["object_type"], values["object_id"], detail, values["ip"], prev, digest]
            prev = digest
        hashes = params[len(_COLUMNS) - 1::len(_COLUMNS)]
        ids = {r["hash"]: r["id"] for r in await ledger.rows(
            f'INSERT INTO "audit_log" ({_QUOTED}) VALUES {", ".join([one] * len(hashes))} RETURNING "id", "hash"', params)}
        in_order = [ids[h] for h in hashes]
        if in_order[0] <= last_id or any(a >= b for a, b in zip(in_order, in_order[1:])):
            raise RuntimeError("audit records were not numbered in the order of the chain")
        last_id = in_order[-1]
    await _move_head(last_id, prev, head_entries + len(rows))


# --- verification ---------------------------------------------------------------------------------


@dataclass
class Verification:
    entries: int = 0
    head_hash: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems


@dataclass
class Unreadable:
    """An entry a value of which can no longer be read as its column's type (edited in the
    database: broken JSON in ``detail``, a word in ``at``): what :func:`verify` needs of it."""

    id: int
    action: str
    prev_hash: str
    hash: str
    error: str


async def _in_order(batch: int = 5000) -> AsyncIterator[AuditLog | Unreadable]:
    """Every entry in id order, a batch at a time. A batch holding an entry the ORM cannot read is
    read again entry by entry, and such an entry comes as :class:`Unreadable` (its link and hash
    are plain text columns, always readable): the walk goes on past it."""
    after = 0
    while True:
        try:
            rows: list[AuditLog | Unreadable] = list(await AuditLog.filter(id__gt=after).order_by("id").limit(batch))
        except (FieldError, ValueError, TypeError):
            rows = []
            for id_, action, prev_hash, hash_ in await (AuditLog.filter(id__gt=after).order_by("id").limit(batch)
                                                        .values_list("id", "action", "prev_hash", "hash")):
                try:
                    rows.append(await AuditLog.get(id=id_))
                except (FieldError, ValueError, TypeError) as exc:
                    rows.append(Unreadable(id_, action, prev_hash, hash_, " ".join(str(exc).split())[:160]))
        if not rows:
            return
        for row in rows:
            yield row
        after = rows[-1].id


async def verify(max_problems: int = 50) -> Verification:
    """Walk the whole chain in order, in batches (memory does not grow with the log)."""
    result = Verification()
    prev_hash, prev_id = GENESIS, None
    async for entry in _in_order():
        result.entries += 1
        if len(result.problems) < max_problems:
            if entry.prev_hash != prev_hash:
                where = f"after entry {prev_id}" if prev_id else "at the start of the log"
                result.problems.append(
                    f"entry {entry.id}: the entry before it is missing or was changed ({where}): "
                    "its link to the previous entry does not match")
            if isinstance(entry, Unreadable):
                result.problems.append(f"entry {entry.id} ({entry.action}) was edited: a value in it can no longer be read "
                                       f"({entry.error})")
            elif entry.hash != hash_of(entry):
                result.problems.append(f"entry {entry.id} ({entry.action}) was edited: its content does not match its hash")
        prev_hash, prev_id = entry.hash, entry.id
    head = await AuditHead.get_or_none(id=HEAD_ID)
    if head is None:
        if result.entries:
            result.problems.append("the head of the chain (table audit_head) is missing")
    else:
        if head.last_hash and (head.last_hash != prev_hash or head.last_id != (prev_id or 0)):
            result.problems.append(
                f"the newest entries were deleted or changed: the chain's head records entry {head.last_id}, "
                f"the log ends at entry {prev_id or 0}")
        if head.entries != result.entries:
            result.problems.append(f"the head counts {head.entries} entries, the log holds {result.entries}")
    result.head_hash = prev_hash if result.entries else ""
    return result


async def chain_existing() -> int:
    """Hash every entry in order (for a log written before the chain existed) and set the head."""
    prev, last_id, n = GENESIS, 0, 0
    async with in_transaction():
        async for entry in _in_order():
            if isinstance(entry, Unreadable):
                raise ValueError(f"audit entry {entry.id} ({entry.action}) cannot be read ({entry.error}): mend or remove it, then chain the log")
            entry.prev_hash = prev
            entry.hash = hash_of(entry)
            await entry.save(update_fields=["prev_hash", "hash"])
            prev, last_id, n = entry.hash, entry.id, n + 1
        await AuditHead.filter(id=HEAD_ID).delete()
        await AuditHead.create(id=HEAD_ID, last_id=last_id, last_hash=prev if n else "", entries=n)
    return n
