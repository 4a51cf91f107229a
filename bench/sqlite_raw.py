"""The raw SQLite limit for incident creation.

Writes, in one transaction per incident, the same rows Catalyst writes (number counter,
ticket, history line, audit entry after reading the chain's head, outbox event) with the
same pragmas (WAL, synchronous=FULL, foreign keys), from a single connection with no
HTTP, no ORM and no JSON: the ceiling that Catalyst's creation rate is compared with.

    python3 bench/sqlite_raw.py DB_PATH SECONDS
"""

import hashlib
import os
import sqlite3
import sys
import time
import uuid

path, seconds = sys.argv[1], float(sys.argv[2])
if os.path.exists(path):
    os.remove(path)
db = sqlite3.connect(path, isolation_level=None)
for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON", "busy_timeout=5000"):
    db.execute(f"PRAGMA {pragma}")
db.executescript(
    """
    CREATE TABLE counters (tenant_id BLOB, kind TEXT, last INTEGER, PRIMARY KEY (tenant_id, kind));
    CREATE TABLE tickets (id BLOB PRIMARY KEY, tenant_id BLOB, kind TEXT, seq INTEGER, number TEXT,
      subject TEXT, description TEXT, description_html TEXT, status TEXT, impact TEXT, urgency TEXT,
      priority TEXT, requester_id BLOB, version INTEGER, created_at TEXT, updated_at TEXT);
    CREATE UNIQUE INDEX t1 ON tickets (tenant_id, kind, seq);
    CREATE INDEX t2 ON tickets (tenant_id, requester_id, status, updated_at);
    CREATE INDEX t3 ON tickets (tenant_id, status, updated_at);
    CREATE INDEX t4 ON tickets (tenant_id, updated_at);
    CREATE INDEX t5 ON tickets (tenant_id, created_at);
    CREATE INDEX t6 ON tickets (tenant_id, number);
    CREATE TABLE events (id BLOB PRIMARY KEY, tenant_id BLOB, ticket_id BLOB, at TEXT, field TEXT, new_value TEXT);
    CREATE TABLE audit (id BLOB PRIMARY KEY, tenant_id BLOB, seq INTEGER, at TEXT, action TEXT, after TEXT,
      prev_hash TEXT, hash TEXT);
    CREATE UNIQUE INDEX a1 ON audit (tenant_id, seq);
    CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, tenant_id BLOB, event_type TEXT, payload TEXT, created_at TEXT);
    """
)
tenant = uuid.uuid4().bytes
requester = uuid.uuid4().bytes
n = 0
start = time.perf_counter()
while time.perf_counter() - start < seconds:
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    db.execute("BEGIN IMMEDIATE")
    seq = db.execute(
        "INSERT INTO counters VALUES (?, 'incident', 1) ON CONFLICT (tenant_id, kind) "
        "DO UPDATE SET last = last + 1 RETURNING last",
        (tenant,),
    ).fetchone()[0]
    tid = uuid.uuid4().bytes
    db.execute(
        "INSERT INTO tickets VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (tid, tenant, "incident", seq, f"INC-{seq:06}", "VPN down", "mixed load", "<p>mixed load</p>",
         "new", "medium", "low", "P4", requester, 1, now, now),
    )
    db.execute("INSERT INTO events VALUES (?,?,?,?,?,?)", (uuid.uuid4().bytes, tenant, tid, now, "created", f"INC-{seq:06}"))
    head = db.execute("SELECT seq, hash FROM audit WHERE tenant_id = ? ORDER BY seq DESC LIMIT 1", (tenant,)).fetchone()
    aseq, prev = (head[0] + 1, head[1]) if head else (1, "0" * 64)
    after = '{"number":"INC-%06d"}' % seq
    h = hashlib.sha256(f"{prev}{aseq}{now}{after}".encode()).hexdigest()
    db.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?)", (uuid.uuid4().bytes, tenant, aseq, now, "ticket.created", after, prev, h))
    db.execute("INSERT INTO outbox (tenant_id, event_type, payload, created_at) VALUES (?,?,?,?)", (tenant, "ticket.created", after, now))
    db.execute("COMMIT")
    n += 1
elapsed = time.perf_counter() - start
print(f"  raw SQLite: {n / elapsed:.0f} incident transactions/s ({n} in {elapsed:.1f} s)")
