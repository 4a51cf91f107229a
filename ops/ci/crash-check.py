#!/usr/bin/env python3
"""Crash-safety check: every write that got a 2xx before a SIGKILL is still there.

    ops/ci/crash-check.py --bin PATH [--kills N] [--seed S] [--threads T]
                          [--min-delay SECONDS] [--max-delay SECONDS] [--keep]
                          [--database-url URL --migrate-url URL [--app-role ROLE]]

Sets up a fresh data directory with a tenant, a requester and an agent (each with an API
token), then N times: starts `catalyst serve` on a free port of 127.0.0.1, runs a write
load from T threads (incidents through the portal with an Idempotency-Key, agent replies
and internal notes, small text attachments from both users), and after a random delay
kills the server with SIGKILL. Every request that got a 2xx answer is recorded with what
it created; requests cut off by the kill are not acknowledged and may or may not have
committed. Each start after the first also exercises recovery from the kill.

After the last kill the server is started once more and the script checks:
  - every acknowledged ticket answers GET /v1/tickets/{id} with the same number and subject;
  - every acknowledged comment is in the ticket's conversation, with the same body;
  - every acknowledged attachment is listed and its signed download has the same SHA-256;
  - ticket numbers are unique (gaps are reported as information only);
  - replaying acknowledged incident POSTs with their Idempotency-Key gives the same ticket;
  - no request answered 5xx (or any other unexpected status) and no server log has a panic;
  - the jobs queue converges: nothing stays due or (on SQLite) running, no job is dead;
  - the search index converges: it holds exactly the tenant's tickets, and acknowledged
    tickets are found by their number;
  - `catalyst audit verify` passes;
  - on SQLite, with the server stopped: PRAGMA integrity_check is ok, PRAGMA
    foreign_key_check is empty and no (tenant, kind, number) is stored twice.

The default backend is SQLite in the data directory, with the durability setting
CATALYST_SQLITE_SYNCHRONOUS taken from the environment (default full). With
--database-url (the app role) and --migrate-url (the owner) it runs on PostgreSQL; the
tenant then gets a unique slug, since the database is not fresh.

Exit codes: 0 all checks passed, 1 a check failed, 2 usage or set-up error.
Only the Python 3.11 standard library is used.
"""

from __future__ import annotations

import argparse
import collections
import concurrent.futures
import hashlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import string
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field

HOST = "127.0.0.1"
PASSWORD = "crash-check-password-1"
READY_TIMEOUT = 60.0
REQUEST_TIMEOUT = 30.0

# Variables that would point the server somewhere else than the fresh set-up.
SCRUBBED = (
    "DATABASE_URL",
    "DATABASE_MIGRATE_URL",
    "DATABASE_APP_ROLE",
    "BLOB_URL",
    "BLOB_CONN",
    "WEB_BASE_URL",
    "FILE_MAX_MB",
)
KEPT_CATALYST = ("CATALYST_SQLITE_SYNCHRONOUS", "CATALYST_SQLITE_SYNCHRONOUS_FILE")


class SetupError(Exception):
    pass


class PortTaken(Exception):
    pass


# ---------------------------------------------------------------- HTTP


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self):
        return json.loads(self.body)

    def brief(self) -> str:
        text = self.body[:300].decode("utf-8", "replace")
        return f"{self.status} request-id={self.headers.get('x-request-id', '-')} {text}"


def request(
    port: int,
    method: str,
    path: str,
    *,
    token: str | None = None,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = REQUEST_TIMEOUT,
) -> Answer:
    """One request on a fresh connection; redirects are not followed."""
    h = dict(headers or {})
    if token:
        h["Authorization"] = f"Bearer {token}"
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=h)
        res = conn.getresponse()
        data = res.read()
        return Answer(res.status, {k.lower(): v for k, v in res.getheaders()}, data)
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def multipart(fields: list[tuple[str, str | None, bytes]]) -> tuple[bytes, str]:
    """Builds a multipart/form-data body from (name, filename or None, value)."""
    boundary = "crashcheck" + secrets.token_hex(12)
    out = bytearray()
    for name, filename, value in fields:
        out += f"--{boundary}\r\n".encode()
        if filename is None:
            out += f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        else:
            out += (
                f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                "Content-Type: text/plain\r\n\r\n"
            ).encode()
        out += value + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out), f"multipart/form-data; boundary={boundary}"


# ---------------------------------------------------------------- the server


class Catalyst:
    """The binary, its environment and its one-shot commands."""

    def __init__(self, binary: str, work: str, args: argparse.Namespace):
        self.binary = binary
        self.work = work
        self.data_dir = os.path.join(work, "data")
        self.log_dir = os.path.join(work, "logs")
        os.makedirs(self.data_dir)
        os.makedirs(self.log_dir)
        env = {}
        for k, v in os.environ.items():
            base = k[:-5] if k.endswith("_FILE") else k
            if base in SCRUBBED:
                continue
            if k.startswith("CATALYST_") and k not in KEPT_CATALYST:
                continue
            env[k] = v
        env["CATALYST_DATA_DIR"] = self.data_dir
        env["CATALYST_LOG"] = "warn"
        env["CATALYST_LOG_FORMAT"] = "json"
        self.postgres = bool(args.database_url)
        if self.postgres:
            env["DATABASE_URL"] = args.database_url
            env["DATABASE_MIGRATE_URL"] = args.migrate_url
            env["DATABASE_APP_ROLE"] = args.app_role
        self.env = env
        self.synchronous = env.get("CATALYST_SQLITE_SYNCHRONOUS", "full (default)")
        self.proc: subprocess.Popen | None = None
        self.port = 0
        self.runs = 0

    @property
    def db_path(self) -> str:
        return os.path.join(self.data_dir, "catalyst.db")

    def cli(self, *args: str, stdin: str | None = None, check: bool = True):
        res = subprocess.run(
            [self.binary, *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=self.env,
            cwd=self.work,
            timeout=300,
        )
        if check and res.returncode != 0:
            raise SetupError(
                f"catalyst {' '.join(args)} exited {res.returncode}: {res.stderr.strip() or res.stdout.strip()}"
            )
        return res

    def start(self) -> float:
        """Starts `serve` on a free port and waits for /readyz; returns the seconds it took."""
        for attempt in range(3):
            try:
                return self._start()
            except PortTaken:
                if attempt == 2:
                    raise SetupError(f"no free port after 3 attempts:\n{self.log_tail(self.runs)}") from None
        raise AssertionError("unreachable")

    def _start(self) -> float:
        self.runs += 1
        self.port = free_port()
        log = open(os.path.join(self.log_dir, f"serve-{self.runs:04d}.log"), "wb")
        t0 = time.monotonic()
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--listen", f"{HOST}:{self.port}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            cwd=self.work,
        )
        log.close()
        while True:
            if self.proc.poll() is not None:
                if "Address already in use" in self.log_tail(self.runs, 5):
                    raise PortTaken()  # another process took the port between probe and bind
                raise SetupError(
                    f"catalyst serve (run {self.runs}) exited with {self.proc.returncode} before it was ready:\n"
                    + self.log_tail(self.runs)
                )
            try:
                if request(self.port, "GET", "/readyz", timeout=2).status == 200:
                    return time.monotonic() - t0
            except (OSError, http.client.HTTPException):
                pass
            if time.monotonic() - t0 > READY_TIMEOUT:
                self.kill()
                raise SetupError(
                    f"catalyst serve (run {self.runs}) not ready after {READY_TIMEOUT:.0f} s:\n"
                    + self.log_tail(self.runs)
                )
            time.sleep(0.02)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        if self.proc:
            self.proc.wait()

    def stop(self) -> int | None:
        """Graceful stop (SIGTERM); returns the exit code."""
        if not self.proc:
            return None
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def log_tail(self, run: int, lines: int = 20) -> str:
        path = os.path.join(self.log_dir, f"serve-{run:04d}.log")
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                tail = f.readlines()[-lines:]
        except OSError:
            return "    (no log)"
        return "".join("    " + line for line in tail) or "    (empty log)"


# ---------------------------------------------------------------- what was acknowledged


@dataclass
class TicketAck:
    id: str
    number: str
    subject: str
    key: str
    body: bytes
    run: int
    request_id: str


@dataclass
class CommentAck:
    ticket_id: str
    id: str
    body: str
    is_private: bool
    run: int
    request_id: str


@dataclass
class AttachmentAck:
    ticket_id: str
    id: str
    filename: str
    sha256: str
    size: int
    is_private: bool
    run: int
    request_id: str


KINDS = ("incident", "reply", "note", "attachment")
PLURAL = {"incident": "incidents", "reply": "replies", "note": "notes", "attachment": "attachments"}


def per_kind(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {PLURAL[k]}" for k in KINDS)


@dataclass
class Ledger:
    lock: threading.Lock = field(default_factory=threading.Lock)
    tickets: dict[str, TicketAck] = field(default_factory=dict)
    ticket_ids: list[str] = field(default_factory=list)
    comments: list[CommentAck] = field(default_factory=list)
    attachments: list[AttachmentAck] = field(default_factory=list)
    acked: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    in_flight: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    refused_after_kill: int = 0
    # 409 "stale" on comments: two writers raced on the same ticket. Not acknowledged, so
    # nothing is claimed; reported as a warning, not as a crash-safety violation.
    contention: list[str] = field(default_factory=list)
    # Tickets that got an upload attempt, acknowledged or not: all their files are checked.
    upload_tickets: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)

    def pick_ticket(self, rng: random.Random) -> str | None:
        with self.lock:
            if not self.ticket_ids:
                return None
            # Favour recent tickets a little: they are the ones written just before kills.
            n = len(self.ticket_ids)
            i = n - 1 - min(int(rng.expovariate(1 / 50)), n - 1) if rng.random() < 0.5 else rng.randrange(n)
            return self.ticket_ids[i]


WORDS = (
    "printer vpn laptop password mailbox screen network badge licence update restart "
    "keyboard monitor dock wifi certificate backup share folder access timeout error"
).split()


def text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words))


def worker(
    run: int,
    thread: int,
    seed: str,
    port: int,
    tokens: dict[str, str],
    ledger: Ledger,
    killing: threading.Event,
):
    try:
        load(run, thread, seed, port, tokens, ledger, killing)
    except Exception as e:  # a fault of this script, not of the server: still make it fail loudly
        with ledger.lock:
            ledger.unexpected.append(f"run {run}: writer thread {thread} crashed: {e!r}")


def load(
    run: int,
    thread: int,
    seed: str,
    port: int,
    tokens: dict[str, str],
    ledger: Ledger,
    killing: threading.Event,
):
    rng = random.Random(f"{seed}/{run}/{thread}")
    seq = 0
    while not killing.is_set():
        seq += 1
        tag = f"{run}.{thread}.{seq}"
        rid = f"crash-{run}-{thread}-{seq}"
        kind = rng.choices(KINDS, weights=(40, 20, 15, 25))[0]
        ticket_id = ledger.pick_ticket(rng) if kind != "incident" else None
        if kind != "incident" and ticket_id is None:
            kind = "incident"
        headers = {"X-Request-Id": rid}
        if kind == "incident":
            key = f"crash-{seed}-{tag}"
            payload = {"subject": f"Crash check {tag}: {text(rng, 3)}", "description": text(rng, 12)}
            if rng.random() < 0.5:
                payload["priority"] = rng.choice(("P1", "P2", "P3", "P4"))
            else:
                payload["impact"] = rng.choice(("high", "medium", "low"))
                payload["urgency"] = rng.choice(("high", "medium", "low"))
            body = json.dumps(payload).encode()
            headers |= {"Content-Type": "application/json", "Idempotency-Key": key}
            token, path = tokens["requester"], "/v1/portal/incidents"
        elif kind in ("reply", "note"):
            is_private = kind == "note"
            comment = f"{'Note' if is_private else 'Reply'} {tag}: {text(rng, 8)}"
            body = json.dumps({"body": comment, "isPrivate": is_private}).encode()
            headers |= {"Content-Type": "application/json", "Idempotency-Key": f"crash-{seed}-{tag}"}
            token, path = tokens["agent"], f"/v1/tickets/{ticket_id}/comments"
        else:
            by_agent = rng.random() < 0.5
            is_private = by_agent and rng.random() < 0.5
            filename = f"crash-{run}-{thread}-{seq}.txt"
            size = rng.randint(16, 4096)
            alphabet = string.ascii_lowercase + string.digits + " \n"
            content = (f"crash check attachment {tag}\n" + "".join(rng.choices(alphabet, k=size))).encode()
            digest = hashlib.sha256(content).hexdigest()
            fields = [("isPrivate", None, b"true")] if is_private else []
            fields.append(("file", filename, content))
            body, ctype = multipart(fields)
            with ledger.lock:
                ledger.upload_tickets.add(ticket_id)
            headers["Content-Type"] = ctype
            token = tokens["agent" if by_agent else "requester"]
            path = f"/v1/tickets/{ticket_id}/attachments"

        started_before_kill = not killing.is_set()
        try:
            ans = request(port, "POST", path, token=token, body=body, headers=headers)
        except (OSError, http.client.HTTPException) as e:
            with ledger.lock:
                if killing.is_set():
                    if started_before_kill:
                        ledger.in_flight[kind] += 1
                    else:
                        ledger.refused_after_kill += 1
                else:
                    ledger.unexpected.append(f"run {run}: {kind} {rid}: connection failed before the kill: {e!r}")
            if killing.is_set():
                return
            time.sleep(0.05)
            continue

        if ans.status == 409 and kind in ("reply", "note") and b'"stale"' in ans.body:
            with ledger.lock:
                ledger.contention.append(f"run {run}: {kind} {rid} on ticket {ticket_id}: {ans.brief()}")
            continue
        if not 200 <= ans.status < 300:
            with ledger.lock:
                ledger.unexpected.append(f"run {run}: {kind} {rid}: POST {path} answered {ans.brief()}")
            continue
        try:
            obj = ans.json()
            with ledger.lock:
                ledger.acked[kind] += 1
                if kind == "incident":
                    t = TicketAck(obj["id"], obj["number"], obj["subject"], key, body, run, rid)
                    if obj["subject"] != payload["subject"]:
                        ledger.unexpected.append(f"run {run}: {rid}: created ticket has subject {obj['subject']!r}")
                    ledger.tickets[t.id] = t
                    ledger.ticket_ids.append(t.id)
                elif kind in ("reply", "note"):
                    ledger.comments.append(CommentAck(ticket_id, obj["id"], comment, is_private, run, rid))
                else:
                    if obj["sha256"] != digest or obj["size"] != len(content):
                        ledger.unexpected.append(
                            f"run {run}: {rid}: upload answered sha256 {obj['sha256']} size {obj['size']},"
                            f" sent {digest} size {len(content)}"
                        )
                    ledger.attachments.append(
                        AttachmentAck(ticket_id, obj["id"], obj["filename"], digest, len(content), is_private, run, rid)
                    )
        except (ValueError, KeyError, TypeError) as e:
            with ledger.lock:
                ledger.unexpected.append(f"run {run}: {kind} {rid}: unreadable 2xx answer ({e!r}): {ans.brief()}")


# ---------------------------------------------------------------- verification


class Report:
    def __init__(self):
        self.violations: list[str] = []
        self.info: list[str] = []

    def fail(self, msg: str):
        self.violations.append(msg)


def download(port: int, agent: str, attachment_id: str) -> tuple[bytes | None, str]:
    """Follows GET /v1/attachments/{id} to its signed URL; returns (the bytes, or None and why)."""
    redirect = request(port, "GET", f"/v1/attachments/{attachment_id}", token=agent)
    if redirect.status != 303 or "location" not in redirect.headers:
        return None, f"GET /v1/attachments answered {redirect.brief()}"
    loc = urllib.parse.urlsplit(redirect.headers["location"])
    if loc.netloc and loc.netloc != f"{HOST}:{port}":
        return None, f"download URL points elsewhere: {redirect.headers['location']}"
    file = request(port, "GET", loc.path + (f"?{loc.query}" if loc.query else ""))
    if file.status != 200:
        return None, f"signed download answered {file.brief()}"
    return file.body, ""


def verify_ticket(port: int, agent: str, t: TicketAck, comments, attachments, uploads: bool) -> tuple[list[str], int]:
    """Checks one ticket with its acknowledged comments and attachments; returns (violations, downloads).

    When the ticket got upload attempts, every listed file is downloaded, including those
    whose upload was cut off by a kill after it committed: a row must never lack its file."""
    bad: list[str] = []
    where = f"ticket {t.number} ({t.id}, acknowledged in run {t.run} as {t.request_id})"
    ans = request(port, "GET", f"/v1/tickets/{t.id}", token=agent)
    if ans.status != 200:
        return [f"{where}: GET answered {ans.brief()}"], 0
    obj = ans.json()
    if obj.get("number") != t.number:
        bad.append(f"{where}: number is now {obj.get('number')}")
    if obj.get("subject") != t.subject:
        bad.append(f"{where}: subject is now {obj.get('subject')!r}")

    if comments:
        ans = request(port, "GET", f"/v1/tickets/{t.id}/comments", token=agent)
        if ans.status != 200:
            bad.append(f"{where}: GET comments answered {ans.brief()}")
        else:
            stored = {c["id"]: c for c in ans.json()}
            for c in comments:
                s = stored.get(c.id)
                if s is None:
                    bad.append(f"{where}: comment {c.id} (run {c.run}, {c.request_id}) is missing")
                elif s.get("body") != c.body or s.get("isPrivate") != c.is_private:
                    bad.append(f"{where}: comment {c.id} changed: {s.get('body')!r} private={s.get('isPrivate')}")

    downloads = 0
    if attachments or uploads:
        ans = request(port, "GET", f"/v1/tickets/{t.id}/attachments", token=agent)
        if ans.status != 200:
            return bad + [f"{where}: GET attachments answered {ans.brief()}"], 0
        stored = {a["id"]: a for a in ans.json()}
        acked = {a.id: a for a in attachments}
        for a in attachments:
            s = stored.get(a.id)
            if s is None:
                bad.append(f"{where}: attachment {a.id} {a.filename} (run {a.run}, {a.request_id}) is not listed")
            elif s.get("sha256") != a.sha256 or s.get("size") != a.size or s.get("isPrivate") != a.is_private:
                bad.append(
                    f"{where}: attachment {a.id} {a.filename} (run {a.run}, {a.request_id}) listed as "
                    f"sha256 {s.get('sha256')} size {s.get('size')} private {s.get('isPrivate')}"
                )
        for s in stored.values():
            a = acked.get(s["id"])
            what = f"{where}: attachment {s['id']} {s.get('filename')} " + (
                f"(run {a.run}, {a.request_id})" if a else "(upload cut off by a kill after its commit)"
            )
            data, why = download(port, agent, s["id"])
            downloads += 1
            if data is None:
                bad.append(f"{what}: {why}")
                continue
            digest = hashlib.sha256(data).hexdigest()
            want = a.sha256 if a else s.get("sha256")
            if digest != want:
                bad.append(f"{what}: downloaded {len(data)} bytes with sha256 {digest}, expected {want}")
    return bad, downloads


def list_incidents(port: int, agent: str) -> list[dict]:
    items, cursor = [], None
    while True:
        q = {"kind": "incident", "sort": "created", "limit": "200"}
        if cursor:
            q["cursor"] = cursor
        ans = request(port, "GET", "/v1/tickets?" + urllib.parse.urlencode(q), token=agent)
        if ans.status != 200:
            raise SetupError(f"GET /v1/tickets answered {ans.brief()}")
        page = ans.json()
        items += page["items"]
        cursor = page.get("nextCursor")
        if not cursor:
            return items


def ranges(nums: list[int]) -> str:
    out, start, prev = [], None, None
    for n in nums:
        if start is None:
            start = prev = n
        elif n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out[:15]) + (" …" if len(out) > 15 else "")


def verify(
    cat: Catalyst,
    tokens: dict[str, str],
    ledger: Ledger,
    rng: random.Random,
    threads: int,
    report: Report,
):
    port = cat.port
    agent = tokens["agent"]
    by_ticket_c: dict[str, list[CommentAck]] = {}
    for c in ledger.comments:
        by_ticket_c.setdefault(c.ticket_id, []).append(c)
    by_ticket_a: dict[str, list[AttachmentAck]] = {}
    for a in ledger.attachments:
        by_ticket_a.setdefault(a.ticket_id, []).append(a)

    downloads = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=threads) as pool:
        futures = [
            pool.submit(
                verify_ticket,
                port,
                agent,
                t,
                by_ticket_c.get(t.id, []),
                by_ticket_a.get(t.id, []),
                t.id in ledger.upload_tickets,
            )
            for t in ledger.tickets.values()
        ]
        for f in futures:
            try:
                bad, n = f.result()
            except (OSError, http.client.HTTPException, ValueError) as e:
                bad, n = [f"verification request failed: {e!r}"], 0
            report.violations += bad
            downloads += n
    report.info.append(
        f"checked {len(ledger.tickets)} tickets, {len(ledger.comments)} comments, "
        f"{len(ledger.attachments)} attachments ({downloads} downloads)"
    )

    # Replay acknowledged incident POSTs: the same key and body must give the same ticket.
    acked = list(ledger.tickets.values())
    replays = {acked[0].id: acked[0], acked[-1].id: acked[-1]} if acked else {}
    for t in rng.sample(acked, min(3, len(acked))):
        replays[t.id] = t
    for t in replays.values():
        ans = request(
            port,
            "POST",
            "/v1/portal/incidents",
            token=tokens["requester"],
            body=t.body,
            headers={"Content-Type": "application/json", "Idempotency-Key": t.key},
        )
        if ans.status not in (200, 201):
            report.fail(f"replay of {t.number} (key {t.key}) answered {ans.brief()}")
            continue
        obj = ans.json()
        if obj.get("id") != t.id or obj.get("number") != t.number:
            report.fail(
                f"replay of {t.number} (key {t.key}) gave a different ticket: {obj.get('number')} {obj.get('id')}"
            )
    report.info.append(f"replayed {len(replays)} acknowledged incident POSTs with their Idempotency-Key")

    # Numbers: unique across every stored incident; gaps are information.
    items = list_incidents(port, agent)
    ids = [i["id"] for i in items]
    nums = [i["number"] for i in items]
    if len(set(ids)) != len(ids):
        report.fail(f"ticket list has duplicate ids ({len(ids) - len(set(ids))})")
    dup = sorted(n for n, c in collections.Counter(nums).items() if c > 1)
    if dup:
        report.fail(f"duplicate ticket numbers: {', '.join(dup[:20])}")
    seqs = sorted(int(m.group(1)) for n in nums if (m := re.fullmatch(r"INC-(\d+)", n)))
    if len(seqs) != len(nums):
        report.fail(f"{len(nums) - len(seqs)} incident numbers do not look like INC-NNNNNN")
    missing_in_list = set(ledger.tickets) - set(ids)
    if missing_in_list:
        report.fail(f"{len(missing_in_list)} acknowledged tickets are absent from GET /v1/tickets")
    extra = len(set(ids) - set(ledger.tickets))
    report.info.append(
        f"{len(items)} incidents stored: {len(ledger.tickets)} acknowledged + {extra} committed but cut off by a kill"
    )
    if seqs:
        gaps = sorted(set(range(1, seqs[-1] + 1)) - set(seqs))
        report.info.append(
            f"incident numbers 1..{seqs[-1]}: "
            + (f"{len(gaps)} gaps ({ranges(gaps)})" if gaps else "no gaps")
        )


def check_jobs(cat: Catalyst, report: Report, timeout: float = 60.0):
    """The jobs queue converges: after the restart nothing stays due, no job died (each
    ticket event enqueued a notification job), and on SQLite nothing stays running (the
    restart releases what the killed process held; on PostgreSQL such jobs wait for
    their 5-minute lease, as another node might still be running them)."""
    deadline = time.monotonic() + timeout
    line = ""
    while True:
        line = cat.cli("jobs", "list").stdout.strip().splitlines()[0]
        m = re.match(r"pending (\d+) \(due now (\d+)\), running (\d+), dead (\d+)", line)
        if not m:
            report.fail(f"unexpected `catalyst jobs list` output: {line}")
            return
        _pending, due, running, dead = (int(x) for x in m.groups())
        if due == 0 and (running == 0 or cat.postgres):
            break
        if time.monotonic() > deadline:
            report.fail(f"jobs did not converge within {timeout:.0f} s: {line}")
            return
        time.sleep(0.5)
    if dead:
        report.fail(f"{dead} dead jobs after the crash test: {line}")
    report.info.append(f"jobs converged: {line}")


def check_search(cat: Catalyst, tokens: dict, ledger: Ledger, rng: random.Random, report: Report,
                 timeout: float = 60.0):
    """The search index converges: after the restart the indexer replays the outbox from the
    cursor committed with the index, until this node's index holds exactly the tenant's
    tickets; and a sample of acknowledged tickets is found by its number."""
    deadline = time.monotonic() + timeout
    while True:
        a = request(cat.port, "GET", "/v1/search/index", token=tokens["admin"])
        if a.status != 200:
            report.fail(f"GET /v1/search/index: {a.brief()}")
            return
        counts = json.loads(a.body)
        if counts["inSync"]:
            break
        if time.monotonic() > deadline:
            report.fail(f"search index did not converge within {timeout:.0f} s: {counts}")
            return
        time.sleep(0.5)
    acked = list(ledger.tickets.values())
    missing = []
    for t in rng.sample(acked, min(30, len(acked))):
        q = urllib.parse.quote(t.number)
        a = request(cat.port, "GET", f"/v1/search?q={q}&types=ticket&record=false", token=tokens["agent"])
        if a.status != 200:
            report.fail(f"search for {t.number}: {a.brief()}")
            return
        if t.id not in [h["id"] for h in json.loads(a.body)["items"]]:
            missing.append(t.number)
    if missing:
        report.fail(f"acknowledged tickets not found by their number: {missing}")
    report.info.append(
        f"search index converged: {counts['indexTickets']} tickets indexed = {counts['dbTickets']} "
        f"in the database; {min(30, len(acked))} acknowledged tickets found by number"
    )


def check_database(cat: Catalyst, tenant: str, report: Report):
    res = cat.cli("audit", "verify", "--tenant", tenant, check=False)
    first = (res.stdout.strip() or res.stderr.strip()).splitlines()
    if res.returncode != 0:
        report.fail(f"catalyst audit verify exited {res.returncode}: {res.stdout.strip()} {res.stderr.strip()}")
    else:
        report.info.append(f"audit verify: {first[0] if first else 'ok'}")

    if cat.postgres:
        report.info.append("SQLite checks skipped (PostgreSQL backend)")
        return
    db = sqlite3.connect(cat.db_path)
    try:
        integrity = [r[0] for r in db.execute("PRAGMA integrity_check")]
        if integrity != ["ok"]:
            report.fail(f"PRAGMA integrity_check: {'; '.join(integrity[:20])}")
        fk = db.execute("PRAGMA foreign_key_check").fetchall()
        if fk:
            report.fail(f"PRAGMA foreign_key_check: {len(fk)} rows, first {fk[:10]}")
        dups = db.execute(
            "SELECT kind, seq, count(*) FROM tickets GROUP BY tenant_id, kind, seq HAVING count(*) > 1"
        ).fetchall()
        if dups:
            report.fail(f"tickets stored twice under one number: {dups[:20]}")
        journal = db.execute("PRAGMA journal_mode").fetchone()[0]
        rows = {
            t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("tickets", "ticket_comments", "ticket_attachments")
        }
        counters = db.execute(
            "SELECT c.kind, c.last,"
            " (SELECT max(seq) FROM tickets t WHERE t.tenant_id = c.tenant_id AND t.kind = c.kind)"
            " FROM ticket_counters c"
        ).fetchall()
    finally:
        db.close()
    report.info.append(
        f"SQLite: integrity_check {'ok' if integrity == ['ok'] else 'FAILED'}, foreign_key_check "
        f"{'empty' if not fk else 'FAILED'}, journal_mode {journal}; rows: {rows['tickets']} tickets, "
        f"{rows['ticket_comments']} comments, {rows['ticket_attachments']} attachments"
    )
    for kind, last, top in counters:
        if top is not None and last < top:
            report.fail(f"ticket counter of {kind} is {last}, below the highest stored number {top}")
        else:
            report.info.append(f"counter {kind}: last {last}, highest stored {top}")
    files = sum(len(f) for _, _, f in os.walk(os.path.join(cat.data_dir, "files")))
    if files < rows["ticket_attachments"]:
        report.fail(f"attachment files on disk: {files}, fewer than the {rows['ticket_attachments']} rows")
    elif files != rows["ticket_attachments"]:
        report.info.append(
            f"attachment files on disk: {files} for {rows['ticket_attachments']} rows "
            f"({files - rows['ticket_attachments']} left by uploads cut off by a kill)"
        )


def scan_logs(cat: Catalyst, report: Report):
    errors, panics = [], []
    for name in sorted(os.listdir(cat.log_dir)):
        with open(os.path.join(cat.log_dir, name), encoding="utf-8", errors="replace") as f:
            for line in f:
                if "panicked" in line:
                    panics.append(f"{name}: {line.strip()[:400]}")
                elif '"level":"ERROR"' in line:
                    errors.append(f"{name}: {line.strip()[:400]}")
    for p in panics[:10]:
        report.fail(f"panic in server log {p}")
    if errors:
        report.info.append(f"{len(errors)} ERROR lines in server logs, first: " + " | ".join(errors[:3]))
    else:
        report.info.append("server logs: no ERROR lines, no panics")


# ---------------------------------------------------------------- main


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--bin", required=True, help="the catalyst binary")
    p.add_argument("--kills", type=int, default=20, help="number of SIGKILLs (default 20)")
    p.add_argument("--seed", help="seed of the random choices (default: random, printed)")
    p.add_argument("--threads", type=int, default=4, help="writer threads (default 4)")
    p.add_argument("--min-delay", type=float, default=0.2, help="shortest load before a kill, seconds")
    p.add_argument("--max-delay", type=float, default=1.5, help="longest load before a kill, seconds")
    p.add_argument("--database-url", help="PostgreSQL URL of the app role (DATABASE_URL)")
    p.add_argument("--migrate-url", help="PostgreSQL URL of the owner role (DATABASE_MIGRATE_URL)")
    p.add_argument("--app-role", default="catalyst_app", help="DATABASE_APP_ROLE (default catalyst_app)")
    p.add_argument("--tenant", help="tenant slug (default crash; on PostgreSQL crash-<random>)")
    p.add_argument("--keep", action="store_true", help="keep the work directory even when all checks pass")
    args = p.parse_args()
    if bool(args.database_url) != bool(args.migrate_url):
        p.error("--database-url and --migrate-url go together")
    if args.kills < 1 or args.threads < 1 or not 0 < args.min_delay <= args.max_delay:
        p.error("need --kills >= 1, --threads >= 1 and 0 < --min-delay <= --max-delay")
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        p.error(f"not an executable: {args.bin}")
    seed = args.seed or str(random.SystemRandom().randrange(10**9))
    rng = random.Random(seed)
    tenant = args.tenant or ("crash" if not args.database_url else f"crash-{secrets.token_hex(4)}")

    t_start = time.monotonic()
    work = tempfile.mkdtemp(prefix="catalyst-crash-")
    cat = Catalyst(binary, work, args)
    backend = "PostgreSQL" if cat.postgres else f"SQLite, synchronous={cat.synchronous}"
    print(f"crash check: {args.kills} kills, {args.threads} writer threads, kill after "
          f"{args.min_delay}-{args.max_delay} s, seed {seed}")
    print(f"backend: {backend}; tenant {tenant}; work directory {work}")
    sys.stdout.flush()

    report = Report()
    ledger = Ledger()
    ready_times: list[float] = []
    delays: list[float] = []
    try:
        # ---- set-up
        cat.cli("migrate")
        cat.cli("tenant", "create", tenant, "--name", "Crash")
        tokens = {}
        for role in ("requester", "agent", "admin"):
            email = f"{role}@{tenant}.example"
            cat.cli(
                *("user", "create", "--tenant", tenant, "--email", email, "--role", role, "--password-stdin"),
                stdin=PASSWORD,
            )
            out = cat.cli("token", "create", "--tenant", tenant, "--email", email, "--name", "crash").stdout
            tokens[role] = out.strip().splitlines()[-1].strip()

        # ---- load and kill, N times
        t_load = time.monotonic()
        for run in range(1, args.kills + 1):
            ready_times.append(cat.start())
            before = dict(ledger.acked), dict(ledger.in_flight)
            killing = threading.Event()
            workers = [
                threading.Thread(target=worker, args=(run, i, seed, cat.port, tokens, ledger, killing), daemon=True)
                for i in range(args.threads)
            ]
            for w in workers:
                w.start()
            delay = rng.uniform(args.min_delay, args.max_delay)
            delays.append(delay)
            time.sleep(delay)
            exited_early = cat.proc.poll()
            killing.set()
            cat.kill()
            for w in workers:
                w.join(REQUEST_TIMEOUT + 5)
            if exited_early is not None:
                report.fail(
                    f"run {run}: the server exited by itself with {exited_early} before the kill:\n"
                    + cat.log_tail(cat.runs)
                )
            acked = {k: ledger.acked[k] - before[0][k] for k in KINDS}
            cut = sum(ledger.in_flight.values()) - sum(before[1].values())
            print(
                f"kill {run:>3}/{args.kills} after {delay:4.2f} s (ready in {ready_times[-1]:.2f} s): "
                f"acknowledged {per_kind(acked)}; {cut} cut off"
            )
            sys.stdout.flush()
        load_secs = time.monotonic() - t_load

        # ---- verify on a fresh start
        t_verify = time.monotonic()
        ready_times.append(cat.start())
        print(f"restarted for verification (ready in {ready_times[-1]:.2f} s); verifying ...")
        sys.stdout.flush()
        verify(cat, tokens, ledger, rng, args.threads, report)
        check_jobs(cat, report)
        check_search(cat, tokens, ledger, rng, report)
        code = cat.stop()
        if code != 0:
            report.info.append(f"the verification server exited with {code} on SIGTERM")
        check_database(cat, tenant, report)
        scan_logs(cat, report)
        verify_secs = time.monotonic() - t_verify
    except SetupError as e:
        cat.kill()
        print(f"\nerror: {e}", file=sys.stderr)
        print(f"work directory kept: {work}", file=sys.stderr)
        return 2
    except BaseException:
        cat.kill()
        print(f"work directory kept: {work}", file=sys.stderr)
        raise

    for u in ledger.unexpected:
        report.fail(f"unexpected answer during the load: {u}")

    total_acked = sum(ledger.acked.values())
    elapsed = time.monotonic() - t_start
    print("\n== report")
    for line in report.info:
        print(f"  {line}")
    print("\n== summary")
    print(f"  backend           {backend}")
    print(
        f"  kills             {args.kills} (SIGKILL after {min(delays):.2f}-{max(delays):.2f} s of load, "
        f"mean {statistics.mean(delays):.2f} s)"
    )
    print(
        f"  restarts          {len(ready_times)}; ready after {min(ready_times):.2f}-{max(ready_times):.2f} s "
        f"(mean {statistics.mean(ready_times):.2f} s)"
    )
    print(f"  acknowledged      {total_acked} writes: {per_kind(ledger.acked)}")
    print(
        f"  cut off by kills  {sum(ledger.in_flight.values())} in flight ({per_kind(ledger.in_flight)}), "
        f"{ledger.refused_after_kill} refused after the kill"
    )
    print(f"  unexpected        {len(ledger.unexpected)} answers")
    if ledger.contention:
        print(
            f"  warning           {len(ledger.contention)} comment POSTs answered 409 stale version under "
            "concurrent writes to one ticket (not acknowledged; not a crash-safety violation), first: "
            + ledger.contention[0]
        )
    print(f"  elapsed           {elapsed:.1f} s (load {load_secs:.1f} s, verification {verify_secs:.1f} s)")
    if report.violations:
        print(f"\nFAILED: {len(report.violations)} violations")
        for v in report.violations[:100]:
            print(f"  - {v}")
        if len(report.violations) > 100:
            print(f"  … and {len(report.violations) - 100} more")
        print(f"\nseed {seed}; work directory kept (server logs in logs/): {work}")
        return 1
    print(f"\nPASSED: every acknowledged write survived {args.kills} kills")
    if args.keep:
        print(f"work directory kept: {work}")
    else:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
