//! Business calendars, SLA policies, the per-ticket SLA event log and clock state.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::entity::{business_calendar, sla_policy, ticket, ticket_sla, ticket_sla_event};
use crate::{Result, StoreError};
use catalyst_domain::TenantId;

pub async fn calendars(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<business_calendar::Model>> {
    Ok(business_calendar::Entity::find()
        .filter(business_calendar::Column::TenantId.eq(tenant.0))
        .order_by_asc(business_calendar::Column::Name)
        .all(db)
        .await?)
}

pub async fn calendar(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<business_calendar::Model>> {
    Ok(business_calendar::Entity::find_by_id(id)
        .filter(business_calendar::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

pub async fn insert_calendar(
    db: &impl ConnectionTrait,
    c: business_calendar::Model,
) -> Result<business_calendar::Model> {
    c.into_active_model()
        .insert(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "name"))
}

pub async fn update_calendar(
    db: &impl ConnectionTrait,
    c: business_calendar::Model,
) -> Result<business_calendar::Model> {
    business_calendar::ActiveModel::from(c)
        .reset_all()
        .update(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "name"))
}

pub async fn delete_calendar(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool> {
    let r = business_calendar::Entity::delete_many()
        .filter(business_calendar::Column::Id.eq(id))
        .filter(business_calendar::Column::TenantId.eq(tenant.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// The tenant's policies in match order.
pub async fn policies(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<sla_policy::Model>> {
    Ok(sla_policy::Entity::find()
        .filter(sla_policy::Column::TenantId.eq(tenant.0))
        .order_by_asc(sla_policy::Column::Position)
        .order_by_asc(sla_policy::Column::Name)
        .all(db)
        .await?)
}

pub async fn policy(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<sla_policy::Model>> {
    Ok(sla_policy::Entity::find_by_id(id)
        .filter(sla_policy::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

pub async fn insert_policy(
    db: &impl ConnectionTrait,
    p: sla_policy::Model,
) -> Result<sla_policy::Model> {
    p.into_active_model()
        .insert(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "name"))
}

pub async fn save_policy(
    db: &impl ConnectionTrait,
    p: sla_policy::Model,
) -> Result<sla_policy::Model> {
    Ok(sla_policy::ActiveModel::from(p)
        .reset_all()
        .update(db)
        .await?)
}

pub async fn delete_policy(db: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<bool> {
    let r = sla_policy::Entity::delete_many()
        .filter(sla_policy::Column::Id.eq(id))
        .filter(sla_policy::Column::TenantId.eq(tenant.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Appends to a ticket's SLA event log.
pub async fn append_event(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
    at: DateTime<Utc>,
    kind: &str,
    data: serde_json::Value,
) -> Result<()> {
    ticket_sla_event::ActiveModel {
        id: sea_orm::NotSet,
        tenant_id: Set(tenant.0),
        ticket_id: Set(ticket_id),
        at: Set(at),
        kind: Set(kind.to_string()),
        data: Set(data),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A ticket's SLA event log in order.
pub async fn events(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
) -> Result<Vec<ticket_sla_event::Model>> {
    Ok(ticket_sla_event::Entity::find()
        .filter(ticket_sla_event::Column::TenantId.eq(tenant.0))
        .filter(ticket_sla_event::Column::TicketId.eq(ticket_id))
        .order_by_asc(ticket_sla_event::Column::Id)
        .all(db)
        .await?)
}

pub async fn clock(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
) -> Result<Option<ticket_sla::Model>> {
    Ok(ticket_sla::Entity::find_by_id(ticket_id)
        .filter(ticket_sla::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

/// Writes a ticket's clock state and its summary on the ticket row.
pub async fn save_clock(
    db: &impl ConnectionTrait,
    c: ticket_sla::Model,
    summary: Option<&str>,
    next_due: Option<DateTime<Utc>>,
) -> Result<()> {
    let tenant = c.tenant_id;
    let ticket_id = c.ticket_id;
    ticket_sla::Entity::insert(c.into_active_model())
        .on_conflict(
            OnConflict::column(ticket_sla::Column::TicketId)
                .update_columns([
                    ticket_sla::Column::PolicyId,
                    ticket_sla::Column::CalendarId,
                    ticket_sla::Column::Targets,
                    ticket_sla::Column::ResponseDueAt,
                    ticket_sla::Column::ResolutionDueAt,
                    ticket_sla::Column::ResponseState,
                    ticket_sla::Column::ResolutionState,
                    ticket_sla::Column::DueSoonAt,
                    ticket_sla::Column::BreachedAt,
                    ticket_sla::Column::DueSoonNotified,
                    ticket_sla::Column::BreachNotified,
                    ticket_sla::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    ticket::Entity::update_many()
        .col_expr(
            ticket::Column::SlaState,
            sea_orm::sea_query::Expr::value(summary.map(str::to_string)),
        )
        .col_expr(
            ticket::Column::SlaNextDueAt,
            sea_orm::sea_query::Expr::value(next_due),
        )
        .filter(ticket::Column::Id.eq(ticket_id))
        .filter(ticket::Column::TenantId.eq(tenant))
        .exec(db)
        .await?;
    Ok(())
}

/// Clocks of the tenant with a running or paused metric (optionally on one calendar).
pub async fn open_clocks(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    calendar: Option<Uuid>,
) -> Result<Vec<ticket_sla::Model>> {
    use sea_orm::Condition;
    let mut q = ticket_sla::Entity::find()
        .filter(ticket_sla::Column::TenantId.eq(tenant.0))
        .filter(
            Condition::any()
                .add(ticket_sla::Column::ResponseState.is_in(["running", "paused"]))
                .add(ticket_sla::Column::ResolutionState.is_in(["running", "paused"])),
        );
    if let Some(c) = calendar {
        q = q.filter(ticket_sla::Column::CalendarId.eq(c));
    }
    Ok(q.all(db).await?)
}
