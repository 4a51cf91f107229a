//! Running durable jobs: claim due jobs, dispatch each to its handler, record the outcome.
//!
//! The server runs [`App::run_due_jobs`] in a loop and sleeps until [`App::next_job_due`]
//! or until woken (after a commit that enqueued work, or a PostgreSQL notification).
//! Tests call [`App::drain_jobs`] after moving the injected clock.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use uuid::Uuid;

use catalyst_domain::{Permission, TenantId};
use catalyst_store::Scope;
use catalyst_store::entity::job;
use catalyst_store::repo::jobs::{self as repo, Failed};
use catalyst_store::sea_orm::DatabaseTransaction;

use crate::mail::MailMemo;
use crate::notify::PreparedNotify;
use crate::{Actor, App, AppError, Result};

/// How long a claimed job stays leased to its worker.
pub const LEASE_SECS: i64 = 300;

/// Why a job did not finish.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Worth trying again later (a database or network hiccup).
    #[error("{0}")]
    Retry(String),
    /// Will never succeed (unknown kind, bad payload): the job is marked dead at once.
    #[error("{0}")]
    Fatal(String),
}

impl From<AppError> for JobError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::Store(_) | AppError::Internal(_) | AppError::Throttled { .. } => {
                JobError::Retry(e.to_string())
            }
            other => JobError::Fatal(other.to_string()),
        }
    }
}

impl From<catalyst_store::StoreError> for JobError {
    fn from(e: catalyst_store::StoreError) -> Self {
        JobError::from(AppError::from(e))
    }
}

impl From<catalyst_store::sea_orm::DbErr> for JobError {
    fn from(e: catalyst_store::sea_orm::DbErr) -> Self {
        JobError::from(AppError::from(e))
    }
}

/// What one pass of the worker did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobsRun {
    pub done: usize,
    pub retried: usize,
    pub dead: usize,
    /// How late each claimed job started, in milliseconds after its `run_at`.
    pub lateness_ms: Vec<i64>,
}

impl JobsRun {
    pub fn total(&self) -> usize {
        self.done + self.retried + self.dead
    }
}

/// The in-process wake-up of the job worker.
#[derive(Debug, Default)]
pub struct JobsSignal {
    notify: tokio::sync::Notify,
}

impl JobsSignal {
    pub fn wake(&self) {
        self.notify.notify_one();
    }

    /// Resolves after the next [`wake`](Self::wake) (or at once if one is pending).
    pub async fn woken(&self) {
        self.notify.notified().await;
    }
}

/// A job as an administrator sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct JobView {
    pub id: Uuid,
    pub kind: String,
    pub state: String,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    pub last_error: Option<String>,
    pub payload: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<job::Model> for JobView {
    fn from(j: job::Model) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state,
            run_at: j.run_at,
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            last_error: j.last_error,
            payload: j.payload,
            created_at: j.created_at,
            updated_at: j.updated_at,
        }
    }
}

/// Queue depth and lag, for metrics and the admin page.
pub use catalyst_store::repo::jobs::QueueStats;

impl App {
    /// The signal the job worker waits on.
    pub fn jobs_signal(&self) -> Arc<JobsSignal> {
        self.jobs.clone()
    }

    /// Commits a transaction that may have enqueued jobs, then wakes the local worker.
    pub(crate) async fn commit(&self, tx: DatabaseTransaction) -> Result<()> {
        tx.commit().await?;
        self.after_commit();
        Ok(())
    }

    /// Wakes the local job worker and search indexer after a commit that may have
    /// enqueued work for them.
    pub(crate) fn after_commit(&self) {
        self.jobs.wake();
        self.wake_indexer();
    }

    /// Claims the jobs due now (up to `limit`) for `worker`, runs them one by one, then
    /// records all outcomes in one transaction.
    pub async fn run_due_jobs(&self, worker: &str, limit: u64) -> Result<JobsRun> {
        let now = self.clock.now();
        let claimed = {
            let tx = self.store.write(Scope::System).await?;
            let c = repo::claim(&tx, worker, now, Duration::seconds(LEASE_SECS), limit).await?;
            tx.commit().await?;
            c
        };
        let mut run = JobsRun::default();
        if claimed.is_empty() {
            return Ok(run);
        }
        let mut done = Vec::new();
        let mut failed = Vec::new();
        // Notification jobs are read and rendered per tenant in one read transaction
        // (sharing the tenant's settings, templates and people), then recorded per
        // tenant in one write transaction that also completes them: one commit for the
        // batch instead of one per job, and a job's effects and its completion land
        // together.
        let mut to_prepare: BTreeMap<TenantId, Vec<&job::Model>> = BTreeMap::new();
        let mut notices: BTreeMap<TenantId, Vec<(&job::Model, PreparedNotify)>> = BTreeMap::new();
        // Time each notification job spent being read and rendered; its share of the
        // batch's recording is added once the batch is recorded.
        let mut prepared_in: BTreeMap<Uuid, f64> = BTreeMap::new();
        for j in &claimed {
            let started = std::time::Instant::now();
            let lateness = (self.clock.now() - j.run_at).num_milliseconds().max(0);
            run.lateness_ms.push(lateness);
            metrics::histogram!("jobs_lateness_seconds", "kind" => j.kind.clone())
                .record(lateness as f64 / 1000.0);
            let outcome = if j.attempts > j.max_attempts {
                Err(JobError::Fatal(
                    "out of attempts (its worker stopped mid-run)".into(),
                ))
            } else if let (crate::notify::NOTIFY_JOB, Some(t)) = (j.kind.as_str(), j.tenant_id) {
                to_prepare.entry(TenantId(t)).or_default().push(j);
                continue;
            } else {
                self.dispatch(j).await
            };
            settle(j, started, outcome, &mut done, &mut failed);
        }
        for (tenant, jobs) in to_prepare {
            let tx = match self.store.read(Scope::Tenant(tenant)).await {
                Ok(tx) => tx,
                Err(e) => {
                    let e = e.to_string();
                    failed.extend(jobs.into_iter().map(|j| (j, JobError::Retry(e.clone()))));
                    continue;
                }
            };
            let mut memo = MailMemo::default();
            for j in jobs {
                let started = std::time::Instant::now();
                let outcome = match self
                    .prepare_notify_in(&tx, &mut memo, tenant, &j.payload)
                    .await
                {
                    Ok(Some(p)) => {
                        prepared_in.insert(j.id, started.elapsed().as_secs_f64());
                        notices.entry(tenant).or_default().push((j, p));
                        continue;
                    }
                    Ok(None) => Ok(()),
                    Err(e) => Err(e),
                };
                settle(j, started, outcome, &mut done, &mut failed);
            }
        }
        for (tenant, batch) in notices {
            let started = std::time::Instant::now();
            match self.record_notices(tenant, worker, &batch).await {
                Ok(()) => {
                    let share = started.elapsed().as_secs_f64() / batch.len().max(1) as f64;
                    for (j, p) in &batch {
                        let prepared = prepared_in.get(&j.id).copied().unwrap_or_default();
                        metrics::histogram!("jobs_duration_seconds", "kind" => j.kind.clone())
                            .record(prepared + share);
                        metrics::counter!("jobs_done_total", "kind" => j.kind.clone()).increment(1);
                        self.announce(tenant, &p.told);
                    }
                    run.done += batch.len();
                }
                // Each is retried on its own terms (backoff, attempts).
                Err(e) => failed.extend(
                    batch
                        .into_iter()
                        .map(|(j, _)| (j, JobError::Retry(e.to_string()))),
                ),
            }
        }
        run.done += done.len();
        if done.is_empty() && failed.is_empty() {
            // Everything was recorded with the notices: no transaction for nothing.
            return Ok(run);
        }
        let tx = self.store.write(Scope::System).await?;
        repo::complete_many(&tx, &done, worker).await?;
        for (j, e) in failed {
            let retryable = matches!(e, JobError::Retry(_));
            let f = repo::fail(
                &tx,
                j.id,
                worker,
                &e.to_string(),
                retryable,
                self.clock.now(),
            )
            .await?;
            tracing::warn!(job = %j.id, kind = %j.kind, attempt = j.attempts, error = %e, outcome = ?f, "job failed");
            if f == Failed::Dead {
                run.dead += 1;
                metrics::counter!("jobs_dead_total", "kind" => j.kind.clone()).increment(1);
            } else {
                run.retried += 1;
            }
        }
        tx.commit().await?;
        Ok(run)
    }

    /// Records a tenant's prepared notification jobs and completes them, in one write
    /// transaction.
    async fn record_notices(
        &self,
        tenant: TenantId,
        worker: &str,
        batch: &[(&job::Model, PreparedNotify)],
    ) -> Result<()> {
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        self.record_notifies(&tx, batch.iter().map(|(_, p)| p))
            .await?;
        let ids: Vec<Uuid> = batch.iter().map(|(j, _)| j.id).collect();
        let completed = repo::complete_many(&tx, &ids, worker).await?;
        if completed != ids.len() as u64 {
            // A lease was lost to another worker: record nothing (dropping the transaction
            // rolls it back), so no notification is written twice.
            return Err(AppError::Internal(format!(
                "{} of {} notification jobs were no longer ours",
                ids.len() as u64 - completed,
                ids.len()
            )));
        }
        self.commit(tx).await
    }

    /// Runs jobs until none is due at the clock's current time (for tests and the CLI).
    pub async fn drain_jobs(&self) -> Result<JobsRun> {
        let mut total = JobsRun::default();
        for _ in 0..10_000 {
            let r = self.run_due_jobs("drain", 100).await?;
            if r.total() == 0 {
                return Ok(total);
            }
            total.done += r.done;
            total.retried += r.retried;
            total.dead += r.dead;
        }
        Err(AppError::Internal(
            "jobs keep becoming due: a handler reschedules itself without end".into(),
        ))
    }

    /// At start-up of the only server process of a SQLite database: jobs that were
    /// running when the previous process died are due again now. Returns how many. On
    /// PostgreSQL nothing changes (other nodes may be running them; leases expire).
    pub async fn recover_jobs_at_start(&self) -> Result<u64> {
        if self.store.backend() != catalyst_store::sea_orm::DatabaseBackend::Sqlite {
            return Ok(0);
        }
        let tx = self.store.write(Scope::System).await?;
        let n = repo::release_all_leases(&tx, self.clock.now()).await?;
        self.commit(tx).await?;
        Ok(n)
    }

    /// When the next job becomes due, if any.
    pub async fn next_job_due(&self) -> Result<Option<DateTime<Utc>>> {
        let tx = self.store.read(Scope::System).await?;
        Ok(repo::next_due(&tx).await?)
    }

    /// Queue depth and the oldest due job.
    pub async fn job_stats(&self) -> Result<QueueStats> {
        let tx = self.store.read(Scope::System).await?;
        Ok(repo::stats(&tx, self.clock.now()).await?)
    }

    /// Dead jobs of every tenant (command line).
    pub async fn dead_jobs_all(&self, limit: u64) -> Result<Vec<(Option<TenantId>, JobView)>> {
        let tx = self.store.read(Scope::System).await?;
        Ok(repo::list(&tx, repo::DEAD, None, limit)
            .await?
            .into_iter()
            .map(|j| (j.tenant_id.map(TenantId), JobView::from(j)))
            .collect())
    }

    /// Puts a dead job of any tenant back in the queue (command line).
    pub async fn retry_job_any(&self, id: Uuid) -> Result<()> {
        let tx = self.store.write(Scope::System).await?;
        if !repo::retry(&tx, id, None, self.clock.now()).await? {
            return Err(AppError::NotFound("job"));
        }
        self.commit(tx).await
    }

    /// The tenant's dead jobs (admins).
    pub async fn dead_jobs(&self, actor: &Actor) -> Result<Vec<JobView>> {
        actor.require(Permission::ManageSettings)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(repo::list(&tx, repo::DEAD, Some(actor.tenant.id), 200)
            .await?
            .into_iter()
            .map(JobView::from)
            .collect())
    }

    /// Puts one of the tenant's dead jobs back in the queue (admins).
    pub async fn retry_job(&self, actor: &Actor, id: Uuid) -> Result<()> {
        actor.require(Permission::ManageSettings)?;
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        if !repo::retry(&tx, id, Some(actor.tenant.id), self.clock.now()).await? {
            return Err(AppError::NotFound("job"));
        }
        self.commit(tx).await
    }

    async fn dispatch(&self, j: &job::Model) -> std::result::Result<(), JobError> {
        let tenant = j.tenant_id.map(TenantId);
        match (j.kind.as_str(), tenant) {
            (crate::notify::NOTIFY_JOB, Some(t)) => self.on_event_job(t, &j.payload).await,
            ("sla.timer", Some(t)) => self.on_sla_timer(t, &j.payload).await,
            (crate::mail::SEND_JOB, Some(_)) => {
                self.run_mail_send(&j.payload).await.map_err(|e| match e {
                    crate::mail::MailJobError::Retry(m) => JobError::Retry(m),
                    crate::mail::MailJobError::Permanent(m) => JobError::Fatal(m),
                })
            }
            // Does nothing: for benchmarks and for checking that workers run.
            ("noop", _) => Ok(()),
            (kind, _) => Err(JobError::Fatal(format!("unknown job kind {kind:?}"))),
        }
    }
}

/// Records a job's outcome: done, or failed with its error (recorded with the others).
fn settle<'j>(
    j: &'j job::Model,
    started: std::time::Instant,
    outcome: std::result::Result<(), JobError>,
    done: &mut Vec<Uuid>,
    failed: &mut Vec<(&'j job::Model, JobError)>,
) {
    metrics::histogram!("jobs_duration_seconds", "kind" => j.kind.clone())
        .record(started.elapsed().as_secs_f64());
    match outcome {
        Ok(()) => {
            metrics::counter!("jobs_done_total", "kind" => j.kind.clone()).increment(1);
            done.push(j.id);
        }
        Err(e) => failed.push((j, e)),
    }
}
