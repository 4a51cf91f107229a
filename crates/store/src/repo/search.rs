//! Search support: synonym groups, the zero-result log, and the reads the indexer needs
//! (the outbox across tenants, tickets with their comments in pages).

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::Result;
use crate::entity::{event, search_synonym, search_zero_result, ticket, ticket_comment};
use catalyst_domain::TenantId;

pub async fn synonyms(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<search_synonym::Model>> {
    Ok(search_synonym::Entity::find()
        .filter(search_synonym::Column::TenantId.eq(tenant.0))
        .order_by_asc(search_synonym::Column::CreatedAt)
        .order_by_asc(search_synonym::Column::Id)
        .all(db)
        .await?)
}

/// Replaces all synonym groups of a tenant.
pub async fn replace_synonyms(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    groups: Vec<search_synonym::Model>,
) -> Result<()> {
    search_synonym::Entity::delete_many()
        .filter(search_synonym::Column::TenantId.eq(tenant.0))
        .exec(db)
        .await?;
    for g in groups {
        g.into_active_model().insert(db).await?;
    }
    Ok(())
}

/// Counts one more search for `query` that found nothing.
pub async fn record_zero_result(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    query: &str,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let updated = search_zero_result::Entity::update_many()
        .col_expr(
            search_zero_result::Column::Count,
            Expr::col(search_zero_result::Column::Count).add(1),
        )
        .col_expr(search_zero_result::Column::LastAt, Expr::value(at))
        .filter(search_zero_result::Column::TenantId.eq(tenant.0))
        .filter(search_zero_result::Column::Query.eq(query))
        .exec(db)
        .await?;
    if updated.rows_affected == 0 {
        search_zero_result::Model {
            id: Uuid::now_v7(),
            tenant_id: tenant.0,
            query: query.to_string(),
            count: 1,
            last_at: at,
        }
        .into_active_model()
        .insert(db)
        .await?;
    }
    Ok(())
}

/// The most frequent zero-result queries of a tenant.
pub async fn top_zero_results(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    limit: u64,
) -> Result<Vec<search_zero_result::Model>> {
    Ok(search_zero_result::Entity::find()
        .filter(search_zero_result::Column::TenantId.eq(tenant.0))
        .order_by_desc(search_zero_result::Column::Count)
        .order_by_desc(search_zero_result::Column::LastAt)
        .limit(limit)
        .all(db)
        .await?)
}

/// Up to `limit` outbox events of every tenant with `id > after`, in id order. Needs the
/// system-worker scope on PostgreSQL.
pub async fn events_after(
    db: &impl ConnectionTrait,
    after: i64,
    limit: u64,
) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::Id.gt(after))
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// The highest outbox id (0 when empty). Needs the system-worker scope on PostgreSQL.
pub async fn last_event_id(db: &impl ConnectionTrait) -> Result<i64> {
    Ok(event::Entity::find()
        .select_only()
        .column_as(event::Column::Id.max(), "m")
        .into_tuple::<Option<i64>>()
        .one(db)
        .await?
        .flatten()
        .unwrap_or(0))
}

/// Tickets of a tenant in id order after `after`.
pub async fn tickets_page(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<ticket::Model>> {
    let mut q = ticket::Entity::find().filter(ticket::Column::TenantId.eq(tenant.0));
    if let Some(a) = after {
        q = q.filter(ticket::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(ticket::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn ticket_count(db: &impl ConnectionTrait, tenant: TenantId) -> Result<u64> {
    Ok(ticket::Entity::find()
        .filter(ticket::Column::TenantId.eq(tenant.0))
        .count(db)
        .await?)
}

/// How many comments each of the given tickets has (tickets without any are left out).
pub async fn comment_counts(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    tickets: &[Uuid],
) -> Result<Vec<(Uuid, i64)>> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ticket_comment::Entity::find()
        .select_only()
        .column(ticket_comment::Column::TicketId)
        .column_as(Expr::col(ticket_comment::Column::Id).count(), "n")
        .filter(ticket_comment::Column::TenantId.eq(tenant.0))
        .filter(ticket_comment::Column::TicketId.is_in(tickets.to_vec()))
        .group_by(ticket_comment::Column::TicketId)
        .into_tuple()
        .all(db)
        .await?)
}

/// The newest `limit` comments of a ticket, oldest first.
pub async fn newest_comments(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket: Uuid,
    limit: u64,
) -> Result<Vec<ticket_comment::Model>> {
    let mut rows = ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TenantId.eq(tenant.0))
        .filter(ticket_comment::Column::TicketId.eq(ticket))
        .order_by_desc(ticket_comment::Column::CreatedAt)
        .order_by_desc(ticket_comment::Column::Id)
        .limit(limit)
        .all(db)
        .await?;
    rows.reverse();
    Ok(rows)
}

/// Comments of the given tickets, oldest first.
pub async fn comments_of(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    tickets: &[Uuid],
) -> Result<Vec<ticket_comment::Model>> {
    if tickets.is_empty() {
        return Ok(Vec::new());
    }
    Ok(ticket_comment::Entity::find()
        .filter(ticket_comment::Column::TenantId.eq(tenant.0))
        .filter(ticket_comment::Column::TicketId.is_in(tickets.to_vec()))
        .order_by_asc(ticket_comment::Column::CreatedAt)
        .all(db)
        .await?)
}
