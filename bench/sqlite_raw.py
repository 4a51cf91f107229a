"""The raw SQLite limit for incident creation.

Writes, in one transaction per incident, the same rows Catalyst writes (number counter,
ticket, history line, audit entry after reading the chain's head, outbox event, the
`event.notify` job) with the same pragmas (WAL, synchronous=FULL, foreign keys), from a
single connection with no HTTP, no ORM and no JSON: the ceiling that Catalyst's creation
rate is compared with.

`--full` adds the work that follows each incident in the background, batched as the job
runner batches it: claiming the jobs, the notification transaction (read the event, the
ticket and the requester; record the acknowledgement's Message-ID; enqueue `mail.send`),
and the delivery (write the `.eml` file; delete the job). That is the ceiling for the
whole of what one incident costs the database.

    python3 bench/sqlite_raw.py DB_PATH SECONDS [--full]
"""

import hashlib
import os
import sqlite3
import sys
import time
import uuid

path, seconds = sys.argv[1], float(sys.argv[2])
full = "--full" in sys.argv[3:]
BATCH = 20  # jobs claimed per round, as a busy runner finds them
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
    CREATE TABLE jobs (id BLOB PRIMARY KEY, tenant_id BLOB, kind TEXT, payload TEXT, state TEXT, run_at TEXT,
      attempts INTEGER, max_attempts INTEGER, dedupe_key TEXT, locked_by TEXT, locked_until TEXT,
      created_at TEXT, updated_at TEXT);
    CREATE INDEX j1 ON jobs (state, run_at);
    CREATE UNIQUE INDEX j2 ON jobs (dedupe_key) WHERE state = 'pending';
    CREATE TABLE users (id BLOB PRIMARY KEY, email TEXT, name TEXT);
    CREATE TABLE mail_messages (id BLOB PRIMARY KEY, tenant_id BLOB, direction TEXT, message_id TEXT,
      ticket_id BLOB, match_reason TEXT, created_at TEXT);
    CREATE UNIQUE INDEX m1 ON mail_messages (tenant_id, message_id);
    CREATE INDEX m2 ON mail_messages (tenant_id, ticket_id);
    """
)
outbox_dir = path + ".outbox"
os.makedirs(outbox_dir, exist_ok=True)
tenant = uuid.uuid4().bytes
requester = uuid.uuid4().bytes
db.execute("INSERT INTO users VALUES (?, 'requester@bench.example', 'Bench Requester')", (requester,))


def run_jobs(kind, handle):
    """Claims up to BATCH due jobs of a kind, runs each in its own transaction, completes them."""
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    db.execute("BEGIN IMMEDIATE")
    claimed = db.execute(
        "UPDATE jobs SET state = 'running', locked_by = 'raw', locked_until = ?, attempts = attempts + 1 "
        "WHERE id IN (SELECT id FROM jobs WHERE state = 'pending' AND kind = ? AND run_at <= ? ORDER BY run_at LIMIT ?) "
        "RETURNING id, payload",
        (now, kind, now, BATCH),
    ).fetchall()
    db.execute("COMMIT")
    for job_id, payload in claimed:
        handle(payload)
    db.execute("BEGIN IMMEDIATE")
    db.executemany("DELETE FROM jobs WHERE id = ? AND state = 'running'", [(j,) for j, _ in claimed])
    db.execute("COMMIT")
    return len(claimed)


def notify(payload):
    now = time.strftime("%Y-%m-%dT%H:%M:%S.000000Z", time.gmtime())
    db.execute("BEGIN IMMEDIATE")
    ev = db.execute("SELECT tenant_id, payload FROM outbox WHERE id = ?", (int(payload),)).fetchone()
    t = db.execute("SELECT id, number, subject, requester_id FROM tickets WHERE tenant_id = ? ORDER BY created_at DESC LIMIT 1", (ev[0],)).fetchone()
    who = db.execute("SELECT email, name FROM users WHERE id = ?", (t[3],)).fetchone()
    db.execute("SELECT message_id FROM mail_messages WHERE tenant_id = ? AND ticket_id = ?", (tenant, t[0])).fetchall()
    mid = f"<{uuid.uuid4()}@bench.example>"
    db.execute("INSERT INTO mail_messages VALUES (?,?,?,?,?,?,?)", (uuid.uuid4().bytes, tenant, "out", mid, t[0], "acknowledgement", now))
    raw = f"From: help@bench.example\r\nTo: {who[1]} <{who[0]}>\r\nSubject: [{t[1]}] {t[2]}\r\nMessage-ID: {mid}\r\n\r\nWe received your request.\r\n"
    db.execute(
        "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (uuid.uuid4().bytes, tenant, "mail.send", raw, "pending", now, 0, 8, None, None, None, now, now),
    )
    db.execute("COMMIT")


def send(payload):
    # As the file transport does: a temporary file renamed into place.
    name = os.path.join(outbox_dir, f"{uuid.uuid4()}")
    with open(name + ".tmp", "w") as f:
        f.write(payload)
    os.rename(name + ".tmp", name + ".eml")

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
    ev = db.execute("INSERT INTO outbox (tenant_id, event_type, payload, created_at) VALUES (?,?,?,?) RETURNING id", (tenant, "ticket.created", after, now)).fetchone()[0]
    db.execute(
        "INSERT INTO jobs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (uuid.uuid4().bytes, tenant, "event.notify", str(ev), "pending", now, 0, 8, None, None, None, now, now),
    )
    db.execute("COMMIT")
    n += 1
    if full and n % BATCH == 0:
        run_jobs("event.notify", notify)
        run_jobs("mail.send", send)
if full:
    while run_jobs("event.notify", notify) or run_jobs("mail.send", send):
        pass
elapsed = time.perf_counter() - start
what = "incidents with notification and delivery" if full else "incident transactions"
print(f"  raw SQLite: {n / elapsed:.0f} {what}/s ({n} in {elapsed:.1f} s)")
