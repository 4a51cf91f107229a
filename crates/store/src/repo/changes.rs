//! What every change writes besides its own rows: the audit entry, the outbox event and,
//! for some events, the job that acts on it — and, given to [`record_after`], the new
//! rows of the change itself that nothing needs to read back (a ticket's history line,
//! a comment).
//!
//! On SQLite, when the audit chain's head is known (see [`audit::append`]), they are
//! all written by one command of several statements: one round trip to the connection's
//! worker thread instead of one per row. The job finds the event's id with
//! `last_insert_rowid()`, and the audit entry is inserted only if the head is still the
//! newest entry; if it was not, the rows changed fall one short and the entry is
//! appended after reading the head. Elsewhere the rows are written one after the other.

use sea_orm::sea_query::{Expr, InsertStatement, Query};
use sea_orm::{
    ActiveModelTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryTrait, Statement,
    StatementBuilder, Values,
};
use uuid::Uuid;

use super::audit::{self, Head, NewAudit};
use super::events::{self, NewEvent};
use super::jobs::{self, NewJob};
use crate::Result;
use crate::entity::{event, job};

/// Where the event's id goes in the job's payload.
pub const EVENT_ID_KEY: &str = "eventId";

/// Writes a change's audit entry, its outbox event and (if any) the job that follows the
/// event, whose payload gets the event's id at [`EVENT_ID_KEY`]. `known` is the audit
/// chain's head as the caller last saw it. Returns the chain's new head.
pub async fn record(
    db: &impl ConnectionTrait,
    entry: NewAudit,
    known: Option<&Head>,
    event: NewEvent,
    job: Option<NewJob>,
) -> Result<Head> {
    record_after(db, Vec::new(), entry, known, event, job).await
}

/// A new row of a change, for [`record_after`]: a plain insert (no `RETURNING`).
pub type Row = InsertStatement;

/// The [`Row`] inserting this model.
pub fn row<A: ActiveModelTrait>(am: A) -> Row {
    <A::Entity as EntityTrait>::insert(am).into_query()
}

/// [`record`], writing first `rows` (each inserting one row; see [`row`]).
pub async fn record_after(
    db: &impl ConnectionTrait,
    rows: Vec<Row>,
    entry: NewAudit,
    known: Option<&Head>,
    event: NewEvent,
    job: Option<NewJob>,
) -> Result<Head> {
    let backend = db.get_database_backend();
    let together = backend == DatabaseBackend::Sqlite
        && job
            .as_ref()
            .is_none_or(|j| j.dedupe_key.is_none() && j.payload.is_object());
    match known {
        Some(head) if together => record_together(db, rows, entry, head, event, job).await,
        _ => {
            for r in &rows {
                db.execute_raw(StatementBuilder::build(r, &backend)).await?;
            }
            let at = event.at;
            let head = audit::append(db, entry, known).await?;
            let e = events::append(db, event).await?;
            if let Some(mut j) = job {
                if let Some(payload) = j.payload.as_object_mut() {
                    payload.insert(EVENT_ID_KEY.into(), e.id.into());
                }
                jobs::enqueue(db, j, at).await?;
            }
            Ok(head)
        }
    }
}

async fn record_together(
    db: &impl ConnectionTrait,
    rows: Vec<Row>,
    entry: NewAudit,
    head: &Head,
    event: NewEvent,
    job: Option<NewJob>,
) -> Result<Head> {
    let backend = DatabaseBackend::Sqlite;
    let at = event.at;
    let mut statements: Vec<Statement> = rows
        .iter()
        .map(|r| StatementBuilder::build(r, &backend))
        .collect();
    statements.push(StatementBuilder::build(&insert_event(&event)?, &backend));
    if let Some(j) = job {
        statements.push(StatementBuilder::build(
            &insert_job_after_event(&j, at)?,
            &backend,
        ));
    }
    let (linked, next) = audit::after_head(&entry, head)?;
    statements.push(StatementBuilder::build(&linked, &backend));
    let expected = statements.len() as u64;
    let changed = run_together(db, statements).await?;
    if changed == expected {
        return Ok(next);
    }
    // The rows, the event (and job) are in; the guessed head was not the newest entry.
    audit::append(db, entry, None).await
}

fn insert_event(e: &NewEvent) -> Result<sea_orm::sea_query::InsertStatement> {
    let mut q = Query::insert();
    q.into_table(event::Entity)
        .columns([
            event::Column::TenantId,
            event::Column::EventType,
            event::Column::AggregateType,
            event::Column::AggregateId,
            event::Column::Payload,
            event::Column::CreatedAt,
        ])
        .values([
            e.tenant.0.into(),
            e.event_type.into(),
            e.aggregate_type.into(),
            e.aggregate_id.clone().into(),
            e.payload.clone().into(),
            e.at.into(),
        ])?;
    Ok(q)
}

/// The job, its payload completed with the id of the row inserted just before (SQLite).
fn insert_job_after_event(
    j: &NewJob,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<sea_orm::sea_query::InsertStatement> {
    let payload = Expr::cust_with_values(
        format!("json_set(?, '$.{EVENT_ID_KEY}', last_insert_rowid())"),
        [j.payload.to_string()],
    );
    let mut q = Query::insert();
    q.into_table(job::Entity)
        .columns([
            job::Column::Id,
            job::Column::TenantId,
            job::Column::Kind,
            job::Column::Payload,
            job::Column::State,
            job::Column::RunAt,
            job::Column::Attempts,
            job::Column::MaxAttempts,
            job::Column::CreatedAt,
            job::Column::UpdatedAt,
        ])
        .values([
            Uuid::now_v7().into(),
            j.tenant.map(|t| t.0).into(),
            j.kind.clone().into(),
            payload,
            jobs::PENDING.into(),
            j.run_at.into(),
            0i32.into(),
            j.max_attempts.into(),
            now.into(),
            now.into(),
        ])?;
    Ok(q)
}

/// Runs SQLite statements as one command (their `?` parameters in order); returns the
/// rows they changed in total.
async fn run_together(db: &impl ConnectionTrait, statements: Vec<Statement>) -> Result<u64> {
    let mut sql = String::new();
    let mut values = Vec::new();
    for s in statements {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(&s.sql);
        if let Some(Values(v)) = s.values {
            values.extend(v);
        }
    }
    let done = db
        .execute_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            sql,
            values,
        ))
        .await?;
    Ok(done.rows_affected())
}
