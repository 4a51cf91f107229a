//! Group commit for SQLite's single writer.
//!
//! A creation's write transaction is a dozen statements, each a round trip to the
//! database's worker thread, and a commit that waits for the disk. When several requests
//! write at once, the group writer runs the transactions that are waiting in **one**
//! database transaction and commits once: the `BEGIN`, the `COMMIT` and the disk flush are
//! shared, and nobody is answered before the commit that holds their write.
//!
//! If any write of a group fails (a validation found inside the transaction, a stale
//! version, a constraint), the group is rolled back and each of its writes runs again in a
//! transaction of its own, so that one request's failure never undoes another's write.
//! A write may therefore run twice, the first time rolled back: it must not act outside
//! the transaction (no mail sent, no file written) before it returns.
//!
//! PostgreSQL has many writers; there, and wherever the group writer was not started
//! (command-line tools), a write runs in its own transaction where it is called.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::{mpsc, oneshot};

use catalyst_store::Scope;
use catalyst_store::sea_orm::DatabaseTransaction;

use crate::{App, AppError, Result};

/// Most writes in one group: bounds the work a rollback repeats.
const MAX_GROUP: usize = 64;
/// Writes waiting for the group writer before callers wait to hand theirs over.
const QUEUE: usize = 1024;

/// A write transaction's body: runs against the transaction it is given and returns what
/// the caller gets once that transaction is committed. May be called more than once.
pub(crate) type WriteFn<T> =
    Arc<dyn for<'a> Fn(&'a DatabaseTransaction) -> BoxFuture<'a, Result<T>> + Send + Sync>;

/// A queued write, its result type erased.
trait Pending: Send {
    /// Runs the write in `tx`, keeping its value until it is delivered.
    fn run<'a>(&'a mut self, tx: &'a DatabaseTransaction) -> BoxFuture<'a, Result<()>>;
    /// Answers the caller: its value if `outcome` is Ok, else the error.
    fn deliver(self: Box<Self>, outcome: Result<()>);
    fn scope(&self) -> Scope;
    /// When the caller handed the write over.
    fn queued(&self) -> Instant;
}

struct Item<T> {
    scope: Scope,
    queued: Instant,
    body: WriteFn<T>,
    value: Option<T>,
    reply: oneshot::Sender<Result<T>>,
}

impl<T: Send + 'static> Pending for Item<T> {
    fn run<'a>(&'a mut self, tx: &'a DatabaseTransaction) -> BoxFuture<'a, Result<()>> {
        Box::pin(async move {
            self.value = None;
            // A panic in one write must not take the group writer down with it.
            let v = std::panic::AssertUnwindSafe((self.body)(tx))
                .catch_unwind()
                .await
                .map_err(|_| AppError::Internal("a write panicked".into()))??;
            self.value = Some(v);
            Ok(())
        })
    }

    fn deliver(mut self: Box<Self>, outcome: Result<()>) {
        let answer = match (outcome, self.value.take()) {
            (Ok(()), Some(v)) => Ok(v),
            (Ok(()), None) => Err(AppError::Internal("a write returned nothing".into())),
            (Err(e), _) => Err(e),
        };
        // The caller may have gone (its client hung up); the write stands regardless.
        let _ = self.reply.send(answer);
    }

    fn scope(&self) -> Scope {
        self.scope
    }

    fn queued(&self) -> Instant {
        self.queued
    }
}

/// The queue into the group writer, once started, and what it has done.
#[derive(Default)]
pub(crate) struct GroupWriter {
    queue: OnceLock<mpsc::Sender<Box<dyn Pending>>>,
    groups: AtomicU64,
    grouped_writes: AtomicU64,
    rolled_back: AtomicU64,
}

/// What the group writer has done since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupStats {
    /// Transactions that committed more than one write.
    pub groups: u64,
    /// Writes committed in those transactions.
    pub grouped_writes: u64,
    /// Groups rolled back because one of their writes failed (each write then ran alone).
    pub rolled_back: u64,
}

impl App {
    /// Starts the group writer on the current runtime (SQLite only; a no-op elsewhere or
    /// when already started). Abort the handle on shutdown.
    pub fn start_group_commit(&self) -> Option<tokio::task::JoinHandle<()>> {
        if self.store.backend() != catalyst_store::sea_orm::DatabaseBackend::Sqlite {
            return None;
        }
        let (tx, rx) = mpsc::channel(QUEUE);
        self.group.queue.set(tx).ok()?;
        // This process is now the only writer: what it last wrote can be remembered.
        self.policy_memo.switch_on();
        Some(tokio::spawn(group_writer(self.clone(), rx)))
    }

    pub fn group_commit_stats(&self) -> GroupStats {
        let g = &self.group;
        GroupStats {
            groups: g.groups.load(Ordering::Relaxed),
            grouped_writes: g.grouped_writes.load(Ordering::Relaxed),
            rolled_back: g.rolled_back.load(Ordering::Relaxed),
        }
    }

    /// Runs `body` in a write transaction with `scope` and commits it, grouped with other
    /// writes when the group writer runs; returns the body's value once committed.
    pub(crate) async fn write_grouped<T: Send + 'static>(
        &self,
        scope: Scope,
        body: WriteFn<T>,
    ) -> Result<T> {
        if let Some(queue) = self.group.queue.get() {
            let (reply, answer) = oneshot::channel();
            let item: Box<dyn Pending> = Box::new(Item {
                scope,
                queued: Instant::now(),
                body: body.clone(),
                value: None,
                reply,
            });
            if queue.send(item).await.is_ok() {
                return answer.await.unwrap_or_else(|_| {
                    Err(AppError::Internal("the group writer stopped".into()))
                });
            }
            // The writer is gone (shutting down): write where we are.
        }
        let tx = self.store.write(scope).await?;
        let v = body(&tx).await?;
        self.commit(tx).await?;
        Ok(v)
    }
}

async fn group_writer(app: App, mut rx: mpsc::Receiver<Box<dyn Pending>>) {
    let mut group: Vec<Box<dyn Pending>> = Vec::with_capacity(MAX_GROUP);
    while let Some(first) = rx.recv().await {
        group.push(first);
        // Whatever queued up while the last group was written joins this one; nobody
        // waits for a group to fill.
        while group.len() < MAX_GROUP {
            match rx.try_recv() {
                Ok(next) => group.push(next),
                Err(_) => break,
            }
        }
        metrics::histogram!("db_group_commit_size").record(group.len() as f64);
        let started = Instant::now();
        for item in &group {
            metrics::histogram!("db_write_queue_seconds").record(
                started
                    .saturating_duration_since(item.queued())
                    .as_secs_f64(),
            );
        }
        if group.len() > 1 {
            if write_together(&app, &mut group).await {
                app.group.groups.fetch_add(1, Ordering::Relaxed);
                app.group
                    .grouped_writes
                    .fetch_add(group.len() as u64, Ordering::Relaxed);
                for item in group.drain(..) {
                    item.deliver(Ok(()));
                }
                app.after_commit();
                continue;
            }
            app.group.rolled_back.fetch_add(1, Ordering::Relaxed);
        }
        for mut item in group.drain(..) {
            let outcome = write_alone(&app, item.as_mut()).await;
            item.deliver(outcome);
        }
        app.after_commit();
    }
}

/// Writes the whole group in one transaction; false (and nothing written) if any part
/// failed.
async fn write_together(app: &App, group: &mut [Box<dyn Pending>]) -> bool {
    // Scopes only set PostgreSQL's row-level-security variables; SQLite ignores them.
    let mut stage = Stages::start();
    let Ok(tx) = app.store.write(group[0].scope()).await else {
        return false;
    };
    stage.done("begin");
    for item in group.iter_mut() {
        if item.run(&tx).await.is_err() {
            // Dropping the transaction rolls it back.
            return false;
        }
    }
    stage.done("run");
    let ok = tx.commit().await.is_ok();
    stage.done("commit");
    ok
}

/// Times the stages of a group's transaction: `begin` (waiting for the writer connection,
/// which background work may hold), `run` (the writes' statements) and `commit` (with
/// the disk flush).
struct Stages(Instant);

impl Stages {
    fn start() -> Self {
        Self(Instant::now())
    }

    fn done(&mut self, stage: &'static str) {
        let now = Instant::now();
        metrics::histogram!("db_group_stage_seconds", "stage" => stage)
            .record(now.saturating_duration_since(self.0).as_secs_f64());
        self.0 = now;
    }
}

async fn write_alone(app: &App, item: &mut dyn Pending) -> Result<()> {
    let mut stage = Stages::start();
    let tx = app.store.write(item.scope()).await?;
    stage.done("begin");
    item.run(&tx).await?;
    stage.done("run");
    tx.commit().await?;
    stage.done("commit");
    Ok(())
}
