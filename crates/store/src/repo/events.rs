use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::Result;
use crate::entity::event;
use catalyst_domain::TenantId;

/// A domain event to append to the outbox.
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tenant: TenantId,
    pub event_type: &'static str,
    pub aggregate_type: &'static str,
    pub aggregate_id: String,
    pub payload: serde_json::Value,
    pub at: DateTime<Utc>,
}

/// Appends to the outbox. Call inside the transaction of the change.
pub async fn append(db: &impl ConnectionTrait, e: NewEvent) -> Result<event::Model> {
    Ok(event::ActiveModel {
        id: NotSet,
        tenant_id: Set(e.tenant.0),
        event_type: Set(e.event_type.to_string()),
        aggregate_type: Set(e.aggregate_type.to_string()),
        aggregate_id: Set(e.aggregate_id),
        payload: Set(e.payload),
        created_at: Set(e.at),
    }
    .insert(db)
    .await?)
}

/// Up to `limit` events of the tenant with `id > after_id`, in id order.
pub async fn list_after(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after_id: i64,
    limit: u64,
) -> Result<Vec<event::Model>> {
    Ok(event::Entity::find()
        .filter(event::Column::TenantId.eq(tenant.0))
        .filter(event::Column::Id.gt(after_id))
        .order_by_asc(event::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

/// One event of the tenant.
pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: i64,
) -> Result<Option<event::Model>> {
    Ok(event::Entity::find_by_id(id)
        .filter(event::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}
