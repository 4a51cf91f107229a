//! Email throughput on the embedded default (SQLite file, WAL, full durability):
//! inbound ingestion (parse + dedupe + thread + store ticket or reply) and outbound
//! notification render + build + queue. Ignored by default; `bench/mail.sh` runs it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use std::time::Instant;

use serde_json::json;

use catalyst_app::mail::{IngestOutcome, Source};
use catalyst_store::Scope;
use catalyst_store::repo::events;
use common::TestApp;

/// CPU seconds (user + system, all threads) used by this process so far (Linux).
fn cpu_secs() -> f64 {
    std::fs::read_to_string("/proc/self/stat")
        .ok()
        .and_then(|s| {
            let after = s.rsplit_once(')')?.1.split_whitespace().collect::<Vec<_>>();
            // Fields 14 and 15 (utime, stime) are 12 and 13 after the command name.
            let ticks: f64 =
                after.get(11)?.parse::<f64>().ok()? + after.get(12)?.parse::<f64>().ok()?;
            Some(ticks / 100.0)
        })
        .unwrap_or(0.0)
}

fn count(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::test]
#[ignore = "benchmark: run with bench/mail.sh"]
async fn mail_throughput() {
    let t = TestApp::new().await;
    t.api(
        "PATCH",
        "/v1/admin/mail/settings",
        t.token("admin@acme.test", "acme"),
        Some(json!({"rateLimitPerHour": 10000})),
        &[],
    )
    .await;
    let n = count("MAIL_BENCH_MESSAGES", 1000);
    // 60 % new tickets from 50 senders, 40 % replies threaded by In-Reply-To.
    let mut raws = Vec::with_capacity(n);
    for i in 0..n {
        let sender = format!("user{}@example.com", i % 50);
        let raw = if i % 5 < 3 || i < 50 {
            format!(
                "From: User {i} <{sender}>\r\nTo: support@acme.test\r\nSubject: Problem number {i} with the laptop\r\nMessage-ID: <m{i}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHello,\r\nmy laptop shows error {i}.\r\nRegards\r\n"
            )
        } else {
            // A reply to the message of the same sender 50 messages earlier.
            let parent = i - 50;
            let parent_sender = sender.clone();
            format!(
                "From: {parent_sender}\r\nTo: support@acme.test\r\nSubject: Re: Problem number {parent}\r\nMessage-ID: <m{i}@example.com>\r\nIn-Reply-To: <m{parent}@example.com>\r\nReferences: <m{parent}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nStill broken.\r\n\r\nOn Mon, 2 Mar 2026, Acme wrote:\r\n> earlier text\r\n"
            )
        };
        raws.push(raw.into_bytes());
    }
    let started = Instant::now();
    let cpu = cpu_secs();
    let (mut created, mut appended, mut other) = (0, 0, 0);
    for raw in &raws {
        match t
            .app
            .ingest_email_for_slug("acme", raw, Source::Cli)
            .await
            .unwrap()
        {
            IngestOutcome::Created { .. } => created += 1,
            IngestOutcome::Appended { .. } => appended += 1,
            _ => other += 1,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    println!(
        "inbound: {n} messages in {secs:.2} s = {:.0} msg/s ({created} new tickets, {appended} replies, {other} other); CPU {:.1} ms/msg",
        n as f64 / secs,
        cpu * 1000.0 / n as f64
    );

    // Outbound: every event of the run rendered, built and queued as a mail.send job.
    let tenant = t
        .app
        .list_tenants()
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.slug == "acme")
        .unwrap()
        .id;
    let evs = {
        let tx = t.app.store().read(Scope::Tenant(tenant)).await.unwrap();
        events::list_after(&tx, tenant, 0, 100_000).await.unwrap()
    };
    let evs: Vec<_> = evs
        .into_iter()
        .filter(|e| e.event_type == "ticket.created" || e.event_type == "ticket.reply_added")
        .collect();
    let started = Instant::now();
    let cpu = cpu_secs();
    let mut queued = 0;
    for e in &evs {
        queued += t.app.email_on_event(e).await.unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let cpu = cpu_secs() - cpu;
    println!(
        "outbound: {} events -> {queued} messages rendered and queued in {secs:.2} s = {:.0} msg/s; CPU {:.1} ms/msg",
        evs.len(),
        queued as f64 / secs,
        cpu * 1000.0 / queued.max(1) as f64
    );
    assert!(created > 0 && appended > 0 && queued > 0);
}
