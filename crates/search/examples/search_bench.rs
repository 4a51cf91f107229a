//! Search benchmark: builds an index of generated tickets and articles, then measures query
//! latency, freshness under steady writes, index size and peak memory.
//!
//! ```sh
//! cargo run --release -p catalyst-search --example search_bench -- \
//!     --docs 1000000 --dir /tmp/catalyst-search-bench
//! ```
//! `bench/search.sh` wraps this.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::path::PathBuf;
use std::time::{Duration, Instant};

use catalyst_search::{
    ArticleDoc, ArticleStatus, DocType, IndexOptions, SearchIndex, SearchRequest, TicketDoc,
    Viewer, Visibility,
};
use chrono::Utc;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const DEVICES: &[&str] = &[
    "laptop",
    "printer",
    "monitor",
    "docking station",
    "keyboard",
    "mouse",
    "headset",
    "phone",
    "scanner",
    "projector",
    "webcam",
    "tablet",
    "desktop",
    "badge reader",
    "router",
    "switch",
    "access point",
    "label printer",
    "smart card",
    "USB stick",
];
const APPS: &[&str] = &[
    "Outlook",
    "Teams",
    "SharePoint",
    "OneDrive",
    "Excel",
    "Word",
    "SAP",
    "Salesforce",
    "Jira",
    "Confluence",
    "Zoom",
    "Chrome",
    "Firefox",
    "Edge",
    "Adobe Reader",
    "VPN client",
    "Citrix",
    "ServiceNow",
    "Workday",
    "Slack",
    "AutoCAD",
    "Visual Studio",
    "Git",
    "Docker",
    "Okta",
];
const PROBLEMS: &[&str] = &[
    "crashes on start",
    "is very slow",
    "does not connect",
    "shows an error",
    "freezes after update",
    "cannot sign in",
    "keeps asking for the password",
    "will not print",
    "lost network connection",
    "displays a blank screen",
    "does not sync",
    "certificate expired",
    "license not found",
    "runs out of disk space",
    "battery drains quickly",
    "makes a clicking noise",
    "is stuck in a reboot loop",
    "cannot reach the file share",
    "drops the Wi-Fi connection",
    "rejects my MFA code",
];
const SENTENCES: &[&str] = &[
    "Since this morning the {thing} {problem}.",
    "I already restarted the {thing} twice but nothing changed.",
    "The error message says access denied when I open {app}.",
    "Colleagues on the same floor have the same issue with {app}.",
    "It started after the latest Windows update was installed overnight.",
    "I need this fixed before the quarterly report deadline on Friday.",
    "The {thing} worked fine yesterday at the office but not from home.",
    "I tried clearing the browser cache and signing in again.",
    "When I connect through the VPN the {thing} {problem}.",
    "My password was reset last week and since then {app} {problem}.",
    "The helpdesk portal says my account is locked after three attempts.",
    "Please replace the {thing}; it is out of warranty.",
    "Error code 0x{code} appears in the event log every few minutes.",
    "Multi-factor authentication prompts do not arrive on my phone.",
    "The shared mailbox for the finance team does not show new messages.",
    "I cannot print to the printer on the third floor from {app}.",
    "Our team lost access to the SharePoint site for the project.",
    "The certificate warning appears whenever I open the intranet.",
    "The wireless network in meeting room {room} is unreachable.",
    "Performance of {app} is degraded for everybody in the branch office.",
];
const REPLIES: &[&str] = &[
    "Thanks for reporting this, we are looking into it.",
    "Could you send a screenshot of the error message?",
    "We pushed a fix for {app}; please restart and let us know.",
    "A technician will visit your desk this afternoon to check the {thing}.",
    "Your password has been reset; you will receive a temporary one by SMS.",
    "Please try reconnecting to the VPN and then open {app} again.",
];
const NOTES: &[&str] = &[
    "Escalated to second level; suspect driver issue on the {thing}.",
    "Known problem with {app} build, vendor ticket opened.",
    "User is a VIP, handle with priority.",
    "Checked the firewall logs, traffic from the {thing} is blocked.",
    "Replacement {thing} ordered from the stock in building B.",
];
const ARTICLE_TOPICS: &[&str] = &[
    "Connect to the VPN from home",
    "Reset your password",
    "Set up multi-factor authentication",
    "Add a network printer",
    "Connect to the guest Wi-Fi",
    "Request a new laptop",
    "Share a mailbox in Outlook",
    "Fix certificate warnings in the browser",
    "Recover deleted files from OneDrive",
    "Install software from the company portal",
    "Book a meeting room with a projector",
    "Clear the Teams cache",
];
const QUERY_WORDS: &[&str] = &[
    "vpn",
    "password",
    "printer",
    "outlook",
    "teams",
    "laptop",
    "monitor",
    "wifi",
    "wireless",
    "certificate",
    "error",
    "crash",
    "slow",
    "sign",
    "account",
    "locked",
    "mailbox",
    "sharepoint",
    "onedrive",
    "sync",
    "update",
    "network",
    "scanner",
    "docking",
    "keyboard",
    "battery",
    "authentication",
    "license",
    "disk",
    "reboot",
    "projector",
    "citrix",
    "excel",
    "firewall",
    "access",
    "denied",
    "replace",
    "warranty",
    "browser",
    "cache",
    "meeting",
    "room",
    "finance",
    "reset",
    "connection",
    "blank",
    "screen",
    "print",
    "install",
    "software",
    "portal",
];

struct Gen {
    rng: StdRng,
}

impl Gen {
    fn pick<'a>(&mut self, list: &[&'a str]) -> &'a str {
        list.choose(&mut self.rng).copied().unwrap_or_default()
    }

    fn fill(&mut self, template: &str) -> String {
        let thing = self.pick(DEVICES);
        let app = self.pick(APPS);
        let problem = self.pick(PROBLEMS);
        let code = format!("{:08X}", self.rng.random::<u32>());
        let room = self.rng.random_range(100..600).to_string();
        let s = template
            .replace("{thing}", thing)
            .replace("{app}", app)
            .replace("{problem}", problem)
            .replace("{code}", &code)
            .replace("{room}", &room);
        self.typos(&s, 0.02)
    }

    /// Misspells a share of the words, as people do in tickets.
    fn typos(&mut self, text: &str, rate: f64) -> String {
        text.split(' ')
            .map(|w| {
                if w.len() > 4 && self.rng.random_bool(rate) {
                    typo(&mut self.rng, w)
                } else {
                    w.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn paragraph(&mut self, from: &[&str], n: usize) -> String {
        (0..n)
            .map(|_| {
                let t = self.pick(from);
                self.fill(t)
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

fn typo(rng: &mut StdRng, w: &str) -> String {
    let mut c: Vec<char> = w.chars().collect();
    if c.len() < 3 {
        return w.to_string();
    }
    let i = rng.random_range(1..c.len() - 1);
    match rng.random_range(0..3) {
        0 => c.swap(i, i + 1),
        1 => {
            c.remove(i);
        }
        _ => c.insert(i, c[i]),
    }
    c.into_iter().collect()
}

struct Tenant {
    id: Uuid,
    requesters: Vec<Uuid>,
    queues: Vec<Uuid>,
    next_number: u64,
}

fn args() -> (usize, PathBuf, usize, u64, bool) {
    let mut docs = 100_000;
    let mut dir = std::env::temp_dir().join("catalyst-search-bench");
    let mut queries = 3000;
    let mut write_secs = 20;
    let mut skip_build = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--docs" => docs = it.next().and_then(|v| v.parse().ok()).unwrap_or(docs),
            "--dir" => dir = it.next().map(PathBuf::from).unwrap_or(dir),
            "--queries" => queries = it.next().and_then(|v| v.parse().ok()).unwrap_or(queries),
            "--write-secs" => {
                write_secs = it.next().and_then(|v| v.parse().ok()).unwrap_or(write_secs)
            }
            "--skip-build" => skip_build = true,
            other => panic!("unknown argument {other}"),
        }
    }
    (docs, dir, queries, write_secs, skip_build)
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

fn make_ticket(g: &mut Gen, t: &mut Tenant) -> TicketDoc {
    t.next_number += 1;
    let kind = *["incident", "incident", "incident", "request", "task"]
        .choose(&mut g.rng)
        .unwrap_or(&"incident");
    let prefix = match kind {
        "incident" => "INC",
        "request" => "REQ",
        _ => "TASK",
    };
    let thing = if g.rng.random_bool(0.5) {
        g.pick(DEVICES)
    } else {
        g.pick(APPS)
    };
    let problem = g.pick(PROBLEMS);
    let subject = g.typos(&format!("{thing} {problem}"), 0.03);
    let n_sent = g.rng.random_range(2..6);
    let n_replies = g.rng.random_range(0..3);
    let n_notes = g.rng.random_range(0..2);
    TicketDoc {
        id: Uuid::now_v7(),
        tenant: t.id,
        number: format!("{prefix}-{:06}", t.next_number),
        kind: kind.to_string(),
        status: ["new", "in_progress", "on_hold", "resolved", "closed"]
            .choose(&mut g.rng)
            .unwrap_or(&"new")
            .to_string(),
        queue: t.queues.choose(&mut g.rng).copied(),
        requester: *t.requesters.choose(&mut g.rng).unwrap(),
        subject,
        description: g.paragraph(SENTENCES, n_sent),
        replies: (0..n_replies).map(|_| g.paragraph(REPLIES, 1)).collect(),
        internal_notes: (0..n_notes).map(|_| g.paragraph(NOTES, 1)).collect(),
        updated_at: Utc::now(),
    }
}

fn make_article(g: &mut Gen, t: &Tenant) -> ArticleDoc {
    let topic = g.pick(ARTICLE_TOPICS);
    let n = g.rng.random_range(6..14);
    ArticleDoc {
        id: Uuid::now_v7(),
        tenant: t.id,
        title: format!("{topic} ({})", g.pick(APPS)),
        body: g.paragraph(SENTENCES, n),
        category: Some(
            g.pick(&["Accounts", "Hardware", "Network", "Software"])
                .to_string(),
        ),
        tags: vec![
            g.pick(QUERY_WORDS).to_string(),
            g.pick(QUERY_WORDS).to_string(),
        ],
        visibility: if g.rng.random_bool(0.8) {
            Visibility::Public
        } else {
            Visibility::Internal
        },
        status: if g.rng.random_bool(0.9) {
            ArticleStatus::Published
        } else {
            ArticleStatus::Draft
        },
        updated_at: Utc::now(),
    }
}

fn make_query(g: &mut Gen, tenants: &[Tenant]) -> SearchRequest {
    let t = tenants.choose(&mut g.rng).unwrap();
    let viewer = if g.rng.random_bool(0.7) {
        Viewer::Agent
    } else {
        Viewer::Requester(*t.requesters.choose(&mut g.rng).unwrap())
    };
    let text = match g.rng.random_range(0..10) {
        // A ticket number.
        0 => format!("INC-{:06}", g.rng.random_range(1..=t.next_number.max(1))),
        // Search as you type: a word cut short.
        1 | 2 => {
            let w = g.pick(QUERY_WORDS);
            let cut = g.rng.random_range(2..=w.len());
            let first = g.pick(QUERY_WORDS);
            format!("{first} {}", &w[..cut])
        }
        // What a ticket is about: a device or app and a symptom.
        3 | 4 => {
            let thing = if g.rng.random_bool(0.5) {
                g.pick(DEVICES)
            } else {
                g.pick(APPS)
            };
            let problem = g.pick(PROBLEMS);
            let word = problem
                .split(' ')
                .max_by_key(|w| w.len())
                .unwrap_or(problem);
            format!("{} {} ", g.typos(thing, 0.3), g.typos(word, 0.3))
        }
        // One or two words, some misspelt.
        _ => {
            let n = g.rng.random_range(1..=2);
            let words: Vec<String> = (0..n)
                .map(|_| {
                    let w = g.pick(QUERY_WORDS);
                    if g.rng.random_bool(0.3) {
                        typo(&mut g.rng, w)
                    } else {
                        w.to_string()
                    }
                })
                .collect();
            format!("{} ", words.join(" "))
        }
    };
    let mut req = SearchRequest::new(t.id, viewer, text);
    req.synonyms = vec![
        vec!["vpn".into(), "virtual private network".into()],
        vec!["wifi".into(), "wi-fi".into(), "wireless".into()],
    ];
    if g.rng.random_bool(0.2) {
        req.types = vec![DocType::Article];
    }
    req.facets = std::env::var_os("NO_FACETS").is_none();
    req
}

fn main() {
    let (docs, dir, queries, write_secs, skip_build) = args();
    let mut g = Gen {
        rng: StdRng::seed_from_u64(5),
    };
    // Tenants, people and queues come from the seeded generator, so a later run with
    // `--skip-build` queries the same index.
    let mut tenants: Vec<Tenant> = (0..20)
        .map(|_| Tenant {
            id: Uuid::from_u128(g.rng.random()),
            requesters: (0..500).map(|_| Uuid::from_u128(g.rng.random())).collect(),
            queues: (0..6).map(|_| Uuid::from_u128(g.rng.random())).collect(),
            next_number: 0,
        })
        .collect();

    if skip_build {
        for t in &mut tenants {
            t.next_number = (docs as u64) * 9 / 10 / 20;
        }
    } else if dir.exists() {
        std::fs::remove_dir_all(&dir).unwrap();
    }
    let options = IndexOptions {
        writer_memory: 512 * 1024 * 1024,
        writer_threads: 2,
    };
    let (index, _) = SearchIndex::open_with(&dir, options).unwrap();

    // 1. Build.
    let started = Instant::now();
    let mut text_bytes = 0usize;
    for i in 0..if skip_build { 0 } else { docs } {
        let ti = (i / 10 + i) % tenants.len();
        if i % 10 == 0 {
            let a = make_article(&mut g, &tenants[ti]);
            text_bytes += a.title.len() + a.body.len();
            index.upsert_article(&a).unwrap();
        } else {
            let t = make_ticket(&mut g, &mut tenants[ti]);
            text_bytes += t.subject.len() + t.description.len();
            index.upsert_ticket(&t).unwrap();
        }
        if (i + 1) % 100_000 == 0 {
            eprintln!("indexed {} documents in {:.1?}", i + 1, started.elapsed());
        }
    }
    index.commit().unwrap();
    let build = started.elapsed();
    drop(index);
    // Let background merges finish so the size and the queries reflect a settled index.
    let (index, _) = SearchIndex::open_with(&dir, options).unwrap();
    index.wait_merging_threads().unwrap();
    let (index, outcome) = SearchIndex::open_with(&dir, options).unwrap();
    assert!(!outcome.needs_full_index());
    let size = index.size_on_disk().unwrap();
    println!(
        "documents: {} ({} tenants)",
        index.total_docs(),
        tenants.len()
    );
    if !skip_build {
        println!(
            "build: {:.1} s, {:.0} docs/s (generated text {:.0} MiB)",
            build.as_secs_f64(),
            docs as f64 / build.as_secs_f64(),
            text_bytes as f64 / 1048576.0
        );
    }
    println!("index size on disk: {:.0} MiB", size as f64 / 1048576.0);

    // 2. Queries.
    for _ in 0..200 {
        let q = make_query(&mut g, &tenants);
        index.search(&q).unwrap();
    }
    let mut lat = Vec::with_capacity(queries);
    let mut cpu = Vec::with_capacity(queries);
    let mut total_hits = 0usize;
    let mut zero = 0usize;
    for _ in 0..queries {
        let q = make_query(&mut g, &tenants);
        let t = Instant::now();
        let c = cpu_time::ThreadTime::now();
        let r = index.search(&q).unwrap();
        cpu.push(c.elapsed());
        lat.push(t.elapsed());
        total_hits += r.total;
        if r.total == 0 {
            zero += 1;
        }
    }
    lat.sort();
    cpu.sort();
    println!(
        "query CPU time (the search runs on the calling thread, so this excludes waiting for a core): p50 {}, p95 {}, p99 {}",
        ms(percentile(&cpu, 0.50)),
        ms(percentile(&cpu, 0.95)),
        ms(percentile(&cpu, 0.99)),
    );
    println!(
        "queries: {} (top 20 + count + facets + snippets), p50 {}, p95 {}, p99 {}, max {}; mean matches {:.0}, zero-result {:.1} %",
        queries,
        ms(percentile(&lat, 0.50)),
        ms(percentile(&lat, 0.95)),
        ms(percentile(&lat, 0.99)),
        ms(percentile(&lat, 1.0)),
        total_hits as f64 / queries as f64,
        100.0 * zero as f64 / queries as f64
    );

    // 3. Freshness under steady writes: documents arrive at a steady rate; the writer commits
    // whatever is pending as soon as the previous commit is done. Freshness of a document is
    // the time from its arrival to the end of the commit that made it searchable.
    let rate = 200.0_f64; // documents per second
    let interval = Duration::from_secs_f64(1.0 / rate);
    let mut fresh = Vec::new();
    let start = Instant::now();
    let mut next_arrival = start;
    let mut pending: Vec<Instant> = Vec::new();
    let mut commits = 0;
    while start.elapsed() < Duration::from_secs(write_secs) {
        let now = Instant::now();
        while next_arrival <= now {
            let ti = g.rng.random_range(0..tenants.len());
            let t = make_ticket(&mut g, &mut tenants[ti]);
            index.upsert_ticket(&t).unwrap();
            pending.push(next_arrival);
            next_arrival += interval;
        }
        if pending.is_empty() {
            std::thread::sleep(next_arrival.saturating_duration_since(Instant::now()));
            continue;
        }
        index.commit().unwrap();
        commits += 1;
        let done = Instant::now();
        fresh.extend(pending.drain(..).map(|arrived| done - arrived));
        // Queries keep running between commits.
        let q = make_query(&mut g, &tenants);
        index.search(&q).unwrap();
    }
    fresh.sort();
    println!(
        "freshness at {rate:.0} writes/s for {write_secs} s ({commits} commits): p50 {}, p99 {}, max {}",
        ms(percentile(&fresh, 0.50)),
        ms(percentile(&fresh, 0.99)),
        ms(percentile(&fresh, 1.0)),
    );
    println!("peak RSS: {:.0} MiB", peak_rss_mib());
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        println!("load average at the end: {}", load.trim());
    }
}
