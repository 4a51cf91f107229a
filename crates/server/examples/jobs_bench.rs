//! Jobs and timers benchmark (run through `bench/jobs.sh`).
//!
//! 1. Enqueues `TIMERS` no-op timers due over the next `SPREAD` seconds plus as many
//!    again due an hour later (so `2 × TIMERS` are pending), runs the real job runner
//!    and reports how late each due timer started (p50/p95/p99/max).
//! 2. With only the far-future timers left, lets the runner idle for `IDLE` seconds and
//!    reports the CPU time the process used meanwhile.
//! 3. Enqueues `BURST` jobs due at once and reports the drain rate (jobs/s).
//!
//! The database is `DATABASE_URL` (default: a fresh SQLite file in a temp dir).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark fails loudly

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::json;

use catalyst::workers;
use catalyst_app::{App, AppSettings, SystemActor, SystemClock};
use catalyst_store::repo::jobs::{self, NewJob};
use catalyst_store::{Scope, Store, StoreOptions};

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn cpu_seconds() -> f64 {
    // utime + stime of this process, in clock ticks (100 per second on Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or_default();
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn pct(sorted: &[i64], p: f64) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

async fn enqueue(store: &Store, n: u64, first: chrono::DateTime<Utc>, spread_ms: i64) {
    let mut left = n;
    let mut i = 0u64;
    while left > 0 {
        let batch = left.min(2000);
        let tx = store.write(Scope::System).await.unwrap();
        for _ in 0..batch {
            let at = first + chrono::Duration::milliseconds(spread_ms * i as i64 / n as i64);
            jobs::enqueue(&tx, NewJob::new("noop", json!({}), at), Utc::now())
                .await
                .unwrap();
            i += 1;
        }
        tx.commit().await.unwrap();
        left -= batch;
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let timers = env("TIMERS", 50_000);
    let spread = env("SPREAD", 60);
    let idle = env("IDLE", 20);
    let burst = env("BURST", 20_000);
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.db").display()));
    let store = Store::connect(&StoreOptions::new(url.clone()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let backend = if url.starts_with("sqlite") {
        "SQLite"
    } else {
        "PostgreSQL"
    };
    let app = App::new(store.clone(), Arc::new(SystemClock), AppSettings::default());
    let _ = SystemActor::cli();
    println!("backend: {backend}");

    // 1. Timer lateness with 2 × TIMERS pending: the far-future half first, then the
    //    runner starts, then the half that falls due over the next SPREAD seconds.
    let start = Instant::now();
    enqueue(
        &store,
        timers,
        Utc::now() + chrono::Duration::hours(1),
        spread as i64 * 1000,
    )
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let runner = tokio::spawn(workers::run_jobs(app.clone(), Some(tx)));
    let due_from = Utc::now() + chrono::Duration::seconds(5);
    enqueue(&store, timers, due_from, spread as i64 * 1000).await;
    let enq = start.elapsed().as_secs_f64();
    println!(
        "enqueued {} timers in {enq:.1} s ({:.0}/s); {timers} due over {spread} s from 5 s after the first",
        2 * timers,
        (2 * timers) as f64 / enq
    );
    let mut late: Vec<i64> = Vec::with_capacity(timers as usize);
    while (late.len() as u64) < timers {
        match tokio::time::timeout(Duration::from_secs(spread + 120), rx.recv()).await {
            Ok(Some(r)) => late.extend(r.lateness_ms),
            _ => break,
        }
    }
    late.sort_unstable();
    println!(
        "timer lateness over {} fired timers: p50 {} ms, p95 {} ms, p99 {} ms, max {} ms",
        late.len(),
        pct(&late, 0.50),
        pct(&late, 0.95),
        pct(&late, 0.99),
        late.last().copied().unwrap_or(0)
    );

    // 2. Idle with TIMERS pending an hour from now.
    let cpu0 = cpu_seconds();
    tokio::time::sleep(Duration::from_secs(idle)).await;
    let cpu = cpu_seconds() - cpu0;
    {
        let r = store.read(Scope::System).await.unwrap();
        let s = jobs::stats(&r, Utc::now()).await.unwrap();
        println!(
            "idle {idle} s with {} timers pending: {cpu:.2} s CPU ({:.2} % of one core)",
            s.pending,
            cpu * 100.0 / idle as f64
        );
    }

    // 3. Drain rate of a burst due now, from the first enqueue to the last job done (the
    //    runner starts on the first commit).
    let start = Instant::now();
    enqueue(&store, burst, Utc::now(), 0).await;
    let enq = start.elapsed().as_secs_f64();
    app.jobs_signal().wake();
    let mut ran = 0u64;
    while ran < burst {
        match tokio::time::timeout(Duration::from_secs(120), rx.recv()).await {
            Ok(Some(r)) => ran += r.done as u64,
            _ => break,
        }
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "burst: enqueued {burst} in {enq:.1} s ({:.0}/s); all {ran} done {secs:.1} s after the first enqueue ({:.0} jobs/s end to end)",
        burst as f64 / enq,
        ran as f64 / secs
    );
    runner.abort();
}
