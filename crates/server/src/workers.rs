//! Background workers: the durable job runner and periodic housekeeping.
//!
//! The job runner sleeps until the next job is due instead of polling: it is woken by the
//! in-process signal after a local commit that enqueued work, by PostgreSQL `NOTIFY` when
//! another node enqueued work, or by a timer set to the earliest `run_at`. After downtime
//! overdue jobs and timers are due at once, so each fires once on start.

use std::time::Duration;

use catalyst_app::App;
use catalyst_store::sea_orm::DatabaseBackend;

/// The longest the runner sleeps without checking the queue (a safety net: wake-ups
/// normally come first).
const MAX_IDLE: Duration = Duration::from_secs(60);
/// Jobs claimed per round: with [`JOBS_BATCH_WINDOW`], up to about a thousand jobs a
/// second, far above what the node's single SQLite writer produces.
const BATCH: u64 = 256;

/// Starts every background worker; abort the handles on shutdown.
pub fn spawn(app: App) -> Vec<tokio::task::JoinHandle<()>> {
    vec![
        tokio::spawn(housekeeping(app.clone())),
        tokio::spawn(run_indexer(app.clone())),
        tokio::spawn(run_jobs(app, None)),
    ]
}

/// Where the job runner reports each round that ran jobs (for benchmarks).
pub type RunReports = tokio::sync::mpsc::UnboundedSender<catalyst_app::jobs::JobsRun>;

fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    format!(
        "{host}:{}:{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    )
}

/// Shortest time between the starts of two rounds of the job runner that ran jobs. Each
/// round claims and completes in transactions of its own, and on SQLite every one of them
/// holds the single writer that requests wait for: under a steady stream of changes,
/// the group writer waited for it 27 % of its time with rounds every 50 ms, 19 % with
/// rounds every 250 ms (each round's notices, messages and send jobs being a few
/// multi-row statements either way). The
/// first job after a quiet spell still runs at once; later ones wait at most this long.
const JOBS_BATCH_WINDOW: Duration = Duration::from_millis(250);

/// How often a busy job runner refreshes the queue gauges (an idle one does after each
/// round).
const QUEUE_GAUGES_EVERY: Duration = Duration::from_secs(5);

/// Sets the queue gauges (`jobs_pending`, `jobs_running`, `jobs_dead`, `jobs_lag_seconds`).
async fn record_queue(app: &App) {
    if let Ok(s) = app.job_stats().await {
        metrics::gauge!("jobs_pending").set(s.pending as f64);
        metrics::gauge!("jobs_running").set(s.running as f64);
        metrics::gauge!("jobs_dead").set(s.dead as f64);
        let lag = s
            .oldest_due
            .map(|t| (app.clock().now() - t).num_milliseconds().max(0) as f64 / 1000.0)
            .unwrap_or(0.0);
        metrics::gauge!("jobs_lag_seconds").set(lag);
    }
}

/// The job runner: runs due jobs, then sleeps until the next is due or it is woken.
pub async fn run_jobs(app: App, reports: Option<RunReports>) {
    let name = worker_name();
    let signal = app.jobs_signal();
    let mut listener = pg_listener(&app).await;
    let mut last_gauges = tokio::time::Instant::now();
    loop {
        let round = tokio::time::Instant::now();
        match app.run_due_jobs(&name, BATCH).await {
            Ok(r) if r.total() > 0 => {
                // A backlog keeps the runner in this branch: the queue gauges must not
                // wait for it to drain.
                if round >= last_gauges + QUEUE_GAUGES_EVERY {
                    record_queue(&app).await;
                    last_gauges = round;
                }
                if let Some(tx) = &reports {
                    // A gone receiver only means nobody listens any more.
                    let _ = tx.send(r);
                }
                // Under a steady stream of changes, let jobs gather for a moment so the
                // next round claims and completes them together instead of one by one.
                tokio::time::sleep_until(round + JOBS_BATCH_WINDOW).await;
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "running jobs failed; retrying shortly");
                tokio::time::sleep(Duration::from_secs(5)).await;
                continue;
            }
        }
        record_queue(&app).await;
        last_gauges = tokio::time::Instant::now();
        let wait = match app.next_job_due().await {
            Ok(Some(at)) => (at - app.clock().now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .min(MAX_IDLE),
            Ok(None) => MAX_IDLE,
            Err(e) => {
                tracing::warn!(error = %e, "reading the job queue failed");
                Duration::from_secs(5)
            }
        };
        if wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = signal.woken() => {}
            _ = tokio::time::sleep(wait) => {}
            _ = next_notification(&mut listener) => {}
        }
    }
}

type Listener = Option<catalyst_store::sea_orm::sqlx::postgres::PgListener>;

/// On PostgreSQL, a connection listening for job notifications from every node.
async fn pg_listener(app: &App) -> Listener {
    let store = app.store();
    if store.backend() != DatabaseBackend::Postgres {
        return None;
    }
    let pool = store.writer().get_postgres_connection_pool();
    match catalyst_store::sea_orm::sqlx::postgres::PgListener::connect_with(pool).await {
        Ok(mut l) => match l.listen(catalyst_store::dialect::JOBS_CHANNEL).await {
            Ok(()) => Some(l),
            Err(e) => {
                tracing::warn!(error = %e, "cannot LISTEN for jobs; relying on timers");
                None
            }
        },
        Err(e) => {
            tracing::warn!(error = %e, "cannot LISTEN for jobs; relying on timers");
            None
        }
    }
}

async fn next_notification(l: &mut Listener) {
    match l {
        Some(listener) => {
            if let Err(e) = listener.recv().await {
                tracing::warn!(error = %e, "job notification listener failed");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
        None => std::future::pending::<()>().await,
    }
}

/// How often the indexer looks for events committed by other nodes (local commits wake it
/// at once).
const INDEX_POLL: Duration = Duration::from_millis(250);

/// Shortest time between two index commits that applied changes. Each commit writes a
/// segment that background merges must fold in again; under a steady write load,
/// committing after every ticket change spent more CPU on segments and merges than on the
/// requests. The first change after a quiet spell is still applied at once; later ones
/// gather for up to this long (well inside the one-second freshness target).
const INDEX_COMMIT_INTERVAL: Duration = Duration::from_millis(200);

/// Keeps this node's search index current: applies new outbox events as soon as a local
/// commit signals them, and polls for events of other nodes.
async fn run_indexer(app: App) {
    loop {
        let round = tokio::time::Instant::now();
        match app.search_catch_up().await {
            Ok(r) => {
                if r.applied > 0 {
                    tracing::debug!(
                        applied = r.applied,
                        cursor = r.cursor,
                        "search index updated"
                    );
                    tokio::time::sleep_until(round + INDEX_COMMIT_INTERVAL).await;
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "updating the search index failed; retrying shortly");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        }
        tokio::select! {
            _ = app.search_woken() => {}
            _ = tokio::time::sleep(INDEX_POLL) => {}
        }
    }
}

/// Polls every tenant's IMAP mailbox every `poll_secs` (one node per mailbox at a time,
/// by lease); one tenant's failure is recorded on its settings (admin-visible) and does
/// not stop the others.
pub fn spawn_imap_poller(app: App, poll_secs: u64) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(poll_secs.max(5)));
        let node = worker_name();
        loop {
            tick.tick().await;
            if let Err(e) = app.poll_all_imap(&node, 50).await {
                tracing::warn!(error = %e, "IMAP polling failed");
            }
        }
    })
}

/// Periodic housekeeping. Each task logs its own failures and keeps going.
async fn housekeeping(app: App) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        match app.purge_expired_sessions().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired sessions purged"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "purging expired sessions failed"),
        }
        match app.auto_close_resolved().await {
            Ok(n) if n > 0 => {
                tracing::info!(closed = n, "resolved tickets closed automatically")
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "closing resolved tickets failed"),
        }
    }
}
