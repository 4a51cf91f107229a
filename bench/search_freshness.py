"""Search freshness through the HTTP API: how long after a new incident is acknowledged
(its 201) an agent's search finds it.

Each sample creates an incident as a requester with a made-up word in its subject, then
searches for that word as an agent every 5 ms until the incident is listed. Samples are
spaced 50-150 ms apart. Run it while another process keeps a write load on the server.

    python3 bench/search_freshness.py BASE_URL REQUESTER_TOKEN AGENT_TOKEN [SAMPLES]

Prints p50 / p95 / p99 / max of the delays. Only the Python standard library is used.
"""

import http.client
import json
import random
import statistics
import sys
import time
import urllib.parse

base, requester, agent = sys.argv[1], sys.argv[2], sys.argv[3]
samples = int(sys.argv[4]) if len(sys.argv) > 4 else 300
url = urllib.parse.urlparse(base)
conn_req = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
conn_agent = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
rng = random.Random(7)


def call(conn, method, path, token, body=None):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    conn.request(method, path, body=body, headers=headers)
    res = conn.getresponse()
    return res.status, res.read()


def word():
    return "".join(rng.choice("bcdfghjklmnpqrstvwxz") for _ in range(10))


delays = []
timeouts = 0
for i in range(samples):
    w = word()
    body = json.dumps({"subject": f"Freshness {w}", "description": "freshness probe",
                       "impact": "low", "urgency": "low"})
    status, data = call(conn_req, "POST", "/v1/portal/incidents", requester, body)
    if status != 201:
        sys.exit(f"creating an incident answered {status}: {data[:200]!r}")
    ticket = json.loads(data)["id"]
    acknowledged = time.perf_counter()
    path = f"/v1/search?q={w}&types=ticket&record=false"
    while True:
        status, data = call(conn_agent, "GET", path, agent)
        if status != 200:
            sys.exit(f"search answered {status}: {data[:200]!r}")
        if any(h["id"] == ticket for h in json.loads(data)["items"]):
            delays.append((time.perf_counter() - acknowledged) * 1000)
            break
        if time.perf_counter() - acknowledged > 10:
            timeouts += 1
            break
        time.sleep(0.005)
    time.sleep(rng.uniform(0.05, 0.15))

delays.sort()


def pct(p):
    return delays[min(len(delays) - 1, int(round(p / 100 * (len(delays) - 1))))]


print(
    f"search freshness over HTTP ({len(delays)} samples, found by polling every 5 ms): "
    f"p50 {pct(50):.0f} ms, p95 {pct(95):.0f} ms, p99 {pct(99):.0f} ms, max {delays[-1]:.0f} ms, "
    f"mean {statistics.mean(delays):.0f} ms; not found within 10 s: {timeouts}"
)
