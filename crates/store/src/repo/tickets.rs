//! Tickets, their comments, attachments and history.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Func, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, IntoActiveModel, Order,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, StatementBuilder,
};
use uuid::Uuid;

use crate::entity::{ticket, ticket_attachment, ticket_comment, ticket_counter, ticket_event};
use crate::{Result, StoreError};
use catalyst_domain::{TenantId, TicketKind};

/// Hands out the next number for a tenant and kind. Inside the creating transaction the
/// counter row stays locked (PostgreSQL) or the single writer is held (SQLite), so numbers
/// have no gaps and no duplicates.
pub async fn next_seq(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    kind: TicketKind,
) -> Result<i64> {
    let backend = db.get_database_backend();
    let mut q = Query::insert();
    q.into_table(ticket_counter::Entity)
        .columns([
            ticket_counter::Column::TenantId,
            ticket_counter::Column::Kind,
            ticket_counter::Column::Last,
        ])
        .values([tenant.0.into(), kind.as_str().into(), 1i64.into()])?
        .on_conflict(
            OnConflict::columns([
                ticket_counter::Column::TenantId,
                ticket_counter::Column::Kind,
            ])
            .value(
                ticket_counter::Column::Last,
                Expr::col((ticket_counter::Entity, ticket_counter::Column::Last)).add(1),
            )
            .to_owned(),
        )
        .returning_col(ticket_counter::Column::Last);
    let row = db
        .query_one_raw(StatementBuilder::build(&q, &backend))
        .await?
        .ok_or_else(|| StoreError::Db(sea_orm::DbErr::RecordNotInserted))?;
    Ok(row.try_get_by_index::<i64>(0)?)
}

pub async fn insert(db: &impl ConnectionTrait, t: ticket::ActiveModel) -> Result<ticket::Model> {
    Ok(t.insert(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ticket::Model>> {
    Ok(ticket::Entity::find_by_id(id)
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

/// The ticket, locked until the transaction ends (PostgreSQL `FOR UPDATE`; SQLite's
/// single writer already serialises writes), so read-modify-write changes never collide.
pub async fn get_for_update(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ticket::Model>> {
    Ok(ticket::Entity::find_by_id(id)
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .lock_exclusive()
        .one(db)
        .await?)
}

pub async fn get_many(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[Uuid],
) -> Result<Vec<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::Id.is_in(ids.iter().copied()))
        .all(db)
        .await?)
}

pub async fn by_number(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    number: &str,
) -> Result<Option<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::Number.eq(number))
        .one(db)
        .await?)
}

/// Saves a changed ticket if nobody changed it since `expected_version`; bumps the version.
/// `Ok(None)` means the ticket changed meanwhile (lost update prevented).
pub async fn update_if_version(
    db: &impl ConnectionTrait,
    mut am: ticket::ActiveModel,
    tenant: TenantId,
    id: Uuid,
    expected_version: i64,
) -> Result<Option<ticket::Model>> {
    am.version = Set(expected_version + 1);
    am.id = sea_orm::ActiveValue::NotSet;
    am.tenant_id = sea_orm::ActiveValue::NotSet;
    // One statement: the row comes back with the update (`RETURNING`), none if the
    // version moved on.
    let mut saved = ticket::Entity::update_many()
        .set(am)
        .filter(ticket::Column::Id.eq(id))
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::Version.eq(expected_version))
        .exec_with_returning(db)
        .await?;
    Ok(saved.pop())
}

/// How to order a ticket list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    UpdatedDesc,
    UpdatedAsc,
    CreatedDesc,
    CreatedAsc,
    /// Highest priority first, then most recently updated.
    Priority,
    /// Soonest SLA deadline first; tickets without a running clock last.
    SlaDue,
}

/// Where the previous page ended: the sort key and id of its last row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub key: String,
    pub id: Uuid,
}

/// Filters of the ticket list; every field narrows the result.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kinds: Vec<String>,
    pub statuses: Vec<String>,
    pub priorities: Vec<String>,
    pub queue: Option<Option<Uuid>>,
    pub assignee: Option<Option<Uuid>>,
    pub requester: Option<Uuid>,
    pub created_from: Option<DateTime<Utc>>,
    pub created_to: Option<DateTime<Utc>>,
    pub updated_from: Option<DateTime<Utc>>,
    pub updated_to: Option<DateTime<Utc>>,
    /// Case-insensitive match on subject or number.
    pub text: Option<String>,
    /// SLA summary states (`running`, `due_soon`, `breached`, `paused`, `met`).
    pub sla_states: Vec<String>,
}

fn filter_condition(tenant: TenantId, f: &Filter) -> Condition {
    let mut c = Condition::all().add(ticket::Column::TenantId.eq(tenant.0));
    if !f.kinds.is_empty() {
        c = c.add(ticket::Column::Kind.is_in(f.kinds.clone()));
    }
    if !f.statuses.is_empty() {
        c = c.add(ticket::Column::Status.is_in(f.statuses.clone()));
    }
    if !f.priorities.is_empty() {
        c = c.add(ticket::Column::Priority.is_in(f.priorities.clone()));
    }
    match f.queue {
        Some(Some(q)) => c = c.add(ticket::Column::QueueId.eq(q)),
        Some(None) => c = c.add(ticket::Column::QueueId.is_null()),
        None => {}
    }
    match f.assignee {
        Some(Some(a)) => c = c.add(ticket::Column::AssigneeId.eq(a)),
        Some(None) => c = c.add(ticket::Column::AssigneeId.is_null()),
        None => {}
    }
    if let Some(r) = f.requester {
        c = c.add(ticket::Column::RequesterId.eq(r));
    }
    if !f.sla_states.is_empty() {
        c = c.add(ticket::Column::SlaState.is_in(f.sla_states.clone()));
    }
    if let Some(t) = f.created_from {
        c = c.add(ticket::Column::CreatedAt.gte(t));
    }
    if let Some(t) = f.created_to {
        c = c.add(ticket::Column::CreatedAt.lt(t));
    }
    if let Some(t) = f.updated_from {
        c = c.add(ticket::Column::UpdatedAt.gte(t));
    }
    if let Some(t) = f.updated_to {
        c = c.add(ticket::Column::UpdatedAt.lt(t));
    }
    if let Some(q) = f.text.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", q.to_lowercase().replace(['\\', '%', '_'], ""));
        c = c.add(
            Condition::any()
                .add(
                    Expr::expr(Func::lower(Expr::col(ticket::Column::Subject)))
                        .like(pattern.clone()),
                )
                .add(Expr::expr(Func::lower(Expr::col(ticket::Column::Number))).like(pattern)),
        );
    }
    c
}

/// One page of tickets: up to `limit` rows after `cursor`, and whether more follow.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Filter,
    sort: Sort,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<(Vec<ticket::Model>, bool)> {
    if sort == Sort::SlaDue {
        return list_by_due(db, tenant, f, cursor, limit).await;
    }
    let (col, order) = match sort {
        Sort::UpdatedDesc => (ticket::Column::UpdatedAt, Order::Desc),
        Sort::UpdatedAsc => (ticket::Column::UpdatedAt, Order::Asc),
        Sort::CreatedDesc => (ticket::Column::CreatedAt, Order::Desc),
        Sort::CreatedAsc => (ticket::Column::CreatedAt, Order::Asc),
        Sort::Priority | Sort::SlaDue => (ticket::Column::Priority, Order::Asc),
    };
    let mut cond = filter_condition(tenant, f);
    if let Some(cur) = cursor {
        let key: sea_orm::Value = match sort {
            Sort::Priority => cur.key.clone().into(),
            _ => DateTime::parse_from_rfc3339(&cur.key)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| StoreError::Config("malformed cursor".into()))?
                .into(),
        };
        let after = if order == Order::Desc {
            Condition::any().add(col.lt(key.clone())).add(
                Condition::all()
                    .add(col.eq(key))
                    .add(ticket::Column::Id.lt(cur.id)),
            )
        } else {
            Condition::any().add(col.gt(key.clone())).add(
                Condition::all()
                    .add(col.eq(key))
                    .add(ticket::Column::Id.gt(cur.id)),
            )
        };
        cond = cond.add(after);
    }
    let id_order = order.clone();
    let mut rows = ticket::Entity::find()
        .filter(cond)
        .order_by(col, order)
        .order_by(ticket::Column::Id, id_order)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// Soonest deadline first, then tickets without one; keyset over (due is null, due, id).
async fn list_by_due(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &Filter,
    cursor: Option<&Cursor>,
    limit: u64,
) -> Result<(Vec<ticket::Model>, bool)> {
    let col = ticket::Column::SlaNextDueAt;
    let mut cond = filter_condition(tenant, f);
    if let Some(cur) = cursor {
        if cur.key.is_empty() {
            cond = cond.add(col.is_null()).add(ticket::Column::Id.gt(cur.id));
        } else {
            let key: DateTime<Utc> = DateTime::parse_from_rfc3339(&cur.key)
                .map(|d| d.with_timezone(&Utc))
                .map_err(|_| StoreError::Config("malformed cursor".into()))?;
            cond = cond.add(
                Condition::any()
                    .add(col.gt(key))
                    .add(
                        Condition::all()
                            .add(col.eq(key))
                            .add(ticket::Column::Id.gt(cur.id)),
                    )
                    .add(col.is_null()),
            );
        }
    }
    let mut rows = ticket::Entity::find()
        .filter(cond)
        .order_by_with_nulls(col, Order::Asc, sea_orm::sea_query::NullOrdering::Last)
        .order_by(ticket::Column::Id, Order::Asc)
        .limit(limit + 1)
        .all(db)
        .await?;
    let more = rows.len() as u64 > limit;
    rows.truncate(usize::try_from(limit).unwrap_or(usize::MAX));
    Ok((rows, more))
}

/// The cursor that continues after `t` in `sort` order.
pub fn cursor_after(t: &ticket::Model, sort: Sort) -> Cursor {
    let key = match sort {
        Sort::UpdatedDesc | Sort::UpdatedAsc => t.updated_at.to_rfc3339(),
        Sort::CreatedDesc | Sort::CreatedAsc => t.created_at.to_rfc3339(),
        Sort::Priority => t.priority.clone(),
        Sort::SlaDue => t
            .sla_next_due_at
            .map(|d| d.to_rfc3339())
            .unwrap_or_default(),
    };
    Cursor { key, id: t.id }
}

/// Number of tickets matching the filter.
pub async fn count(db: &impl ConnectionTrait, tenant: TenantId, f: &Filter) -> Result<u64> {
    Ok(ticket::Entity::find()
        .filter(filter_condition(tenant, f))
        .count(db)
        .await?)
}

/// Active (unresolved) tickets per queue; `None` is "no queue".
pub async fn active_counts_by_queue(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<(Option<Uuid>, i64)>> {
    let rows: Vec<(Option<Uuid>, i64)> = ticket::Entity::find()
        .select_only()
        .column(ticket::Column::QueueId)
        .column_as(ticket::Column::Id.count(), "n")
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::Status.is_in(["new", "open", "in_progress", "waiting_on_user"]))
        .group_by(ticket::Column::QueueId)
        .into_tuple()
        .all(db)
        .await?;
    Ok(rows)
}

/// Resolved tickets of a tenant resolved before `before` (for auto-close).
pub async fn resolved_before(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    before: DateTime<Utc>,
    limit: u64,
) -> Result<Vec<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::Status.eq("resolved"))
        .filter(ticket::Column::ResolvedAt.lt(before))
        .order_by_asc(ticket::Column::ResolvedAt)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn children(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    parent: Uuid,
) -> Result<Vec<ticket::Model>> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .filter(ticket::Column::ParentId.eq(parent))
        .order_by_asc(ticket::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn insert_comment(
    db: &impl ConnectionTrait,
    c: ticket_comment::Model,
) -> Result<ticket_comment::Model> {
    Ok(c.into_active_model().insert(db).await?)
}

pub async fn comments(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: Uuid,
    include_private: bool,
) -> Result<Vec<ticket_comment::Model>> {
    let mut q = ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TenantId.eq(tenant.0))
        .filter(ticket_comment::Column::TicketId.eq(ticket));
    if !include_private {
        q = q.filter(ticket_comment::Column::IsPrivate.eq(false));
    }
    Ok(q.order_by_asc(ticket_comment::Column::CreatedAt)
        .order_by_asc(ticket_comment::Column::Id)
        .all(db)
        .await?)
}

/// One comment of a ticket (`None` also for an internal note unless `include_private`).
pub async fn comment(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: Uuid,
    id: Uuid,
    include_private: bool,
) -> Result<Option<ticket_comment::Model>> {
    let mut q = ticket_comment::Entity::find_by_id(id)
        .filter(ticket_comment::Column::TenantId.eq(tenant.0))
        .filter(ticket_comment::Column::TicketId.eq(ticket));
    if !include_private {
        q = q.filter(ticket_comment::Column::IsPrivate.eq(false));
    }
    Ok(q.one(db).await?)
}

pub async fn insert_attachment(
    db: &impl ConnectionTrait,
    a: ticket_attachment::Model,
) -> Result<ticket_attachment::Model> {
    Ok(a.into_active_model().insert(db).await?)
}

pub async fn attachments(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: Uuid,
    include_private: bool,
) -> Result<Vec<ticket_attachment::Model>> {
    let mut q = ticket_attachment::Entity::find()
        .filter(ticket_attachment::Column::TenantId.eq(tenant.0))
        .filter(ticket_attachment::Column::TicketId.eq(ticket));
    if !include_private {
        q = q.filter(ticket_attachment::Column::IsPrivate.eq(false));
    }
    Ok(q.order_by_asc(ticket_attachment::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn attachment(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<ticket_attachment::Model>> {
    Ok(ticket_attachment::Entity::find_by_id(id)
        .filter(ticket_attachment::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

pub async fn insert_event(db: &impl ConnectionTrait, e: ticket_event::Model) -> Result<()> {
    e.into_active_model().insert(db).await?;
    Ok(())
}

pub async fn events(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: Uuid,
    include_private: bool,
) -> Result<Vec<ticket_event::Model>> {
    let mut q = ticket_event::Entity::find()
        .filter(ticket_event::Column::TenantId.eq(tenant.0))
        .filter(ticket_event::Column::TicketId.eq(ticket));
    if !include_private {
        q = q.filter(ticket_event::Column::IsPrivate.eq(false));
    }
    Ok(q.order_by_asc(ticket_event::Column::At)
        .order_by_asc(ticket_event::Column::Id)
        .all(db)
        .await?)
}
