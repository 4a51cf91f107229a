//! The durable jobs queue: jobs and timers enqueued in the transaction of the change that
//! causes them, claimed by one worker at a time under a lease.
//!
//! Workers call [`claim`], [`complete`], [`fail`] and [`next_due`] in the system-worker
//! scope (`Scope::System`); use cases call [`enqueue`] and [`cancel`] inside their own
//! tenant-scoped transaction.

use chrono::{DateTime, Duration, Utc};
use std::collections::HashMap;

use sea_orm::sea_query::{Expr, LockBehavior, LockType, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, EntityTrait,
    IntoActiveModel, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::Result;
use crate::dialect;
use crate::entity::job;
use catalyst_domain::TenantId;

pub const PENDING: &str = "pending";
pub const RUNNING: &str = "running";
pub const DEAD: &str = "dead";

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub tenant: Option<TenantId>,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    /// At most one pending job per key: enqueueing again replaces its payload and
    /// `run_at` (how timers are rescheduled).
    pub dedupe_key: Option<String>,
    pub max_attempts: i32,
}

impl NewJob {
    pub fn new(kind: impl Into<String>, payload: serde_json::Value, run_at: DateTime<Utc>) -> Self {
        Self {
            tenant: None,
            kind: kind.into(),
            payload,
            run_at,
            dedupe_key: None,
            max_attempts: 8,
        }
    }

    pub fn tenant(mut self, t: TenantId) -> Self {
        self.tenant = Some(t);
        self
    }

    pub fn dedupe(mut self, key: impl Into<String>) -> Self {
        self.dedupe_key = Some(key.into());
        self
    }

    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }
}

/// Enqueues (or, with a dedupe key, reschedules) a job. Call inside the transaction of
/// the change that causes it; on PostgreSQL the workers are woken when it commits.
/// Returns the job's id (the rescheduled job's, if one with the key was pending).
pub async fn enqueue(db: &impl ConnectionTrait, j: NewJob, now: DateTime<Utc>) -> Result<Uuid> {
    let id = job::Entity::insert(new_row(j, now))
        .on_conflict(reschedule())
        .exec(db)
        .await?
        .last_insert_id;
    dialect::notify_jobs(db).await?;
    Ok(id)
}

/// Enqueues several jobs as [`enqueue`] does, in a few multi-row statements. Of jobs that
/// share a dedupe key the last one wins.
pub async fn enqueue_all(
    db: &impl ConnectionTrait,
    jobs: Vec<NewJob>,
    now: DateTime<Utc>,
) -> Result<()> {
    // One multi-row upsert may not touch a row twice (PostgreSQL refuses): keep the last
    // job of each key.
    let mut last: HashMap<String, usize> = HashMap::new();
    let mut kept: Vec<Option<NewJob>> = Vec::with_capacity(jobs.len());
    for j in jobs {
        if let Some(i) = j
            .dedupe_key
            .as_ref()
            .and_then(|k| last.insert(k.clone(), kept.len()))
        {
            kept[i] = None;
        }
        kept.push(Some(j));
    }
    let rows: Vec<job::ActiveModel> = kept
        .into_iter()
        .flatten()
        .map(|j| new_row(j, now))
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    super::insert_chunked(db, &rows, Some(&reschedule())).await?;
    dialect::notify_jobs(db).await?;
    Ok(())
}

fn new_row(j: NewJob, now: DateTime<Utc>) -> job::ActiveModel {
    job::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(j.tenant.map(|t| t.0)),
        kind: Set(j.kind),
        payload: Set(j.payload),
        state: Set(PENDING.into()),
        run_at: Set(j.run_at),
        attempts: Set(0),
        max_attempts: Set(j.max_attempts),
        last_error: Set(None),
        dedupe_key: Set(j.dedupe_key),
        locked_by: Set(None),
        locked_until: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
    }
}

/// A new job whose dedupe key has a pending job replaces that job's payload, kind and
/// schedule, with its attempts reset (the unique index is on pending jobs' keys only, so
/// a running job with the key is left alone and the new one queues behind it).
fn reschedule() -> OnConflict {
    OnConflict::column(job::Column::DedupeKey)
        // PostgreSQL infers the index from its predicate.
        .target_and_where(pending_literal())
        .update_columns([
            job::Column::Payload,
            job::Column::RunAt,
            job::Column::Kind,
            job::Column::MaxAttempts,
            job::Column::UpdatedAt,
        ])
        .value(job::Column::Attempts, 0)
        .value(job::Column::LastError, Expr::cust("NULL"))
        .to_owned()
}

/// The predicate of the partial unique index `ux_jobs_dedupe`, written as a literal. With
/// the query planner stability guarantee SQLite is built with (`.cargo/config.toml`), a
/// bound `state = ?` does not prove the index's `state = 'pending'`: a lookup written
/// that way would walk every pending job (one per running SLA clock) instead.
fn pending_literal() -> Expr {
    Expr::cust("state = 'pending'")
}

/// The pending job with this dedupe key, found through the partial unique index.
pub fn pending_with_key(dedupe_key: &str) -> Condition {
    Condition::all()
        .add(job::Column::DedupeKey.eq(dedupe_key))
        .add(pending_literal())
}

/// Removes the pending job with this dedupe key, if any (a timer that no longer applies).
pub async fn cancel(db: &impl ConnectionTrait, dedupe_key: &str) -> Result<bool> {
    let r = job::Entity::delete_many()
        .filter(pending_with_key(dedupe_key))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Removes a tenant's pending jobs of one kind (e.g. the notifications of seeded history).
pub async fn discard_pending(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    kind: &str,
) -> Result<u64> {
    let r = job::Entity::delete_many()
        .filter(job::Column::TenantId.eq(tenant.0))
        .filter(job::Column::Kind.eq(kind))
        .filter(job::Column::State.eq(PENDING))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Running jobs to take again: this worker's own (a worker claims one batch at a time, so
/// its running jobs at claim time are left over from a batch whose outcome could not be
/// recorded) and any whose lease expired (their worker died).
fn stranded(now: DateTime<Utc>, worker: &str) -> Condition {
    Condition::all().add(job::Column::State.eq(RUNNING)).add(
        Condition::any()
            .add(job::Column::LockedBy.eq(worker))
            .add(job::Column::LockedUntil.lt(now)),
    )
}

/// Claims up to `limit` due jobs for `worker` until `now + lease`: pending jobs whose time
/// has come, and running jobs whose lease expired (their worker died). On PostgreSQL the
/// rows are locked `FOR UPDATE SKIP LOCKED`, so concurrent workers never claim the same
/// job; on SQLite the single writer serialises claims.
pub async fn claim(
    db: &impl ConnectionTrait,
    worker: &str,
    now: DateTime<Utc>,
    lease: Duration,
    limit: u64,
) -> Result<Vec<job::Model>> {
    // Two queries that each follow the (state, run_at) index: one condition with OR
    // across states made SQLite scan the whole queue, which with a backlog of thousands
    // of jobs held the single writer for milliseconds per claim.
    let pg = db.get_database_backend() == DatabaseBackend::Postgres;
    let select = |cond: Condition, n: u64| {
        let mut q = job::Entity::find()
            .select_only()
            .column(job::Column::Id)
            .filter(cond)
            .order_by_asc(job::Column::RunAt)
            .limit(n);
        if pg {
            q = q.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        q
    };
    let mut ids: Vec<Uuid> = select(stranded(now, worker), limit)
        .into_tuple()
        .all(db)
        .await?;
    let room = limit.saturating_sub(ids.len() as u64);
    if room > 0 {
        let pending = Condition::all()
            .add(pending_literal())
            .add(job::Column::RunAt.lte(now));
        ids.extend(select(pending, room).into_tuple::<Uuid>().all(db).await?);
    }
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(RUNNING))
        .col_expr(
            job::Column::Attempts,
            sea_orm::sea_query::ExprTrait::add(Expr::col(job::Column::Attempts), 1),
        )
        .col_expr(job::Column::LockedBy, Expr::value(worker))
        .col_expr(job::Column::LockedUntil, Expr::value(now + lease))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::Id.is_in(ids.clone()))
        .exec(db)
        .await?;
    Ok(job::Entity::find()
        .filter(job::Column::Id.is_in(ids))
        .order_by_asc(job::Column::RunAt)
        .all(db)
        .await?)
}

/// A finished job is deleted. Returns false if the lease was lost to another worker.
pub async fn complete(db: &impl ConnectionTrait, id: Uuid, worker: &str) -> Result<bool> {
    let r = job::Entity::delete_many()
        .filter(job::Column::Id.eq(id))
        .filter(job::Column::State.eq(RUNNING))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Puts every running job back to pending, due now. Only for a start-up where no other
/// worker can be alive (a SQLite database has one server process), so that jobs cut off
/// by a crash run again at once instead of when their lease ends.
pub async fn release_all_leases(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let r = job::Entity::update_many()
        .col_expr(job::Column::State, Expr::value(PENDING))
        .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
        .col_expr(
            job::Column::LockedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(job::Column::RunAt, Expr::value(now))
        .col_expr(job::Column::UpdatedAt, Expr::value(now))
        .filter(job::Column::State.eq(RUNNING))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// Deletes the finished jobs among `ids` that `worker` still holds; returns how many.
pub async fn complete_many(db: &impl ConnectionTrait, ids: &[Uuid], worker: &str) -> Result<u64> {
    if ids.is_empty() {
        return Ok(0);
    }
    let r = job::Entity::delete_many()
        .filter(job::Column::Id.is_in(ids.to_vec()))
        .filter(job::Column::State.eq(RUNNING))
        .filter(job::Column::LockedBy.eq(worker))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}

/// What became of a failed job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failed {
    /// Scheduled again at this time.
    Retry(DateTime<Utc>),
    /// Out of attempts (or not retryable): kept as `dead` for an admin.
    Dead,
    /// A newer pending job with the same dedupe key supersedes it; removed.
    Superseded,
    /// The lease was lost to another worker; nothing changed.
    LostLease,
}

/// Exponential backoff: 10 s, 20 s, 40 s, … capped at one hour.
pub fn backoff(attempts: i32) -> Duration {
    let exp = attempts.clamp(1, 20) - 1;
    Duration::seconds((10i64 << exp).min(3600))
}

/// Records a failure: retried with backoff until `max_attempts`, then dead.
pub async fn fail(
    db: &impl ConnectionTrait,
    id: Uuid,
    worker: &str,
    error: &str,
    retryable: bool,
    now: DateTime<Utc>,
) -> Result<Failed> {
    let Some(j) = job::Entity::find_by_id(id)
        .filter(job::Column::State.eq(RUNNING))
        .filter(job::Column::LockedBy.eq(worker))
        .one(db)
        .await?
    else {
        return Ok(Failed::LostLease);
    };
    let error: String = error.chars().take(2000).collect();
    let dead = !retryable || j.attempts >= j.max_attempts;
    if !dead && let Some(key) = &j.dedupe_key {
        let successor = job::Entity::find()
            .filter(pending_with_key(key))
            .count(db)
            .await?;
        if successor > 0 {
            job::Entity::delete_by_id(id).exec(db).await?;
            return Ok(Failed::Superseded);
        }
    }
    let retry_at = now + backoff(j.attempts);
    let mut am = j.into_active_model();
    am.last_error = Set(Some(error));
    am.locked_by = Set(None);
    am.locked_until = Set(None);
    am.updated_at = Set(now);
    if dead {
        am.state = Set(DEAD.into());
        am.dedupe_key = Set(None);
    } else {
        am.state = Set(PENDING.into());
        am.run_at = Set(retry_at);
    }
    am.update(db).await?;
    Ok(if dead {
        Failed::Dead
    } else {
        Failed::Retry(retry_at)
    })
}

/// When the next job becomes due (a pending `run_at` or an expiring lease), if any.
pub async fn next_due(db: &impl ConnectionTrait) -> Result<Option<DateTime<Utc>>> {
    let pending: Option<DateTime<Utc>> = job::Entity::find()
        .select_only()
        .column(job::Column::RunAt)
        .filter(job::Column::State.eq(PENDING))
        .order_by_asc(job::Column::RunAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    let lease: Option<Option<DateTime<Utc>>> = job::Entity::find()
        .select_only()
        .column(job::Column::LockedUntil)
        .filter(job::Column::State.eq(RUNNING))
        .order_by_asc(job::Column::LockedUntil)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(match (pending, lease.flatten()) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    })
}

/// Jobs in one state, oldest due first, optionally of one tenant.
pub async fn list(
    db: &impl ConnectionTrait,
    state: &str,
    tenant: Option<TenantId>,
    limit: u64,
) -> Result<Vec<job::Model>> {
    let mut q = job::Entity::find().filter(job::Column::State.eq(state));
    if let Some(t) = tenant {
        q = q.filter(job::Column::TenantId.eq(t.0));
    }
    Ok(q.order_by_asc(job::Column::RunAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Puts a dead job back in the queue, due now. With `tenant`, only that tenant's job.
pub async fn retry(
    db: &impl ConnectionTrait,
    id: Uuid,
    tenant: Option<TenantId>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let mut q = job::Entity::find_by_id(id).filter(job::Column::State.eq(DEAD));
    if let Some(t) = tenant {
        q = q.filter(job::Column::TenantId.eq(t.0));
    }
    let Some(j) = q.one(db).await? else {
        return Ok(false);
    };
    let mut am = j.into_active_model();
    am.state = Set(PENDING.into());
    am.attempts = Set(0);
    am.run_at = Set(now);
    am.updated_at = Set(now);
    am.update(db).await?;
    dialect::notify_jobs(db).await?;
    Ok(true)
}

/// Queue depth per state, and the oldest due pending `run_at` (for lag).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub pending: u64,
    pub due: u64,
    pub running: u64,
    pub dead: u64,
    pub oldest_due: Option<DateTime<Utc>>,
}

pub async fn stats(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<QueueStats> {
    let count = |state: &'static str| {
        job::Entity::find()
            .filter(job::Column::State.eq(state))
            .count(db)
    };
    let oldest_due: Option<DateTime<Utc>> = job::Entity::find()
        .select_only()
        .column(job::Column::RunAt)
        .filter(job::Column::State.eq(PENDING))
        .filter(job::Column::RunAt.lte(now))
        .order_by_asc(job::Column::RunAt)
        .limit(1)
        .into_tuple()
        .one(db)
        .await?;
    Ok(QueueStats {
        pending: count(PENDING).await?,
        due: job::Entity::find()
            .filter(job::Column::State.eq(PENDING))
            .filter(job::Column::RunAt.lte(now))
            .count(db)
            .await?,
        running: count(RUNNING).await?,
        dead: count(DEAD).await?,
        oldest_due,
    })
}
