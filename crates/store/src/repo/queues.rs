//! Queues and per-tenant workflow settings.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder,
};
use uuid::Uuid;

use crate::entity::{queue, saved_filter, tenant_setting};
use crate::{Result, StoreError};
use catalyst_domain::{TenantId, UserId};

pub async fn insert(db: &impl ConnectionTrait, q: queue::Model) -> Result<queue::Model> {
    q.into_active_model()
        .insert(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "name"))
}

pub async fn save(db: &impl ConnectionTrait, q: queue::ActiveModel) -> Result<queue::Model> {
    q.update(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "name"))
}

pub async fn list(db: &impl ConnectionTrait, tenant: TenantId) -> Result<Vec<queue::Model>> {
    Ok(queue::Entity::find()
        .filter(queue::Column::TenantId.eq(tenant.0))
        .order_by_asc(queue::Column::Name)
        .all(db)
        .await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<queue::Model>> {
    Ok(queue::Entity::find_by_id(id)
        .filter(queue::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

pub async fn by_name(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    name: &str,
) -> Result<Option<queue::Model>> {
    Ok(queue::Entity::find()
        .filter(queue::Column::TenantId.eq(tenant.0))
        .filter(queue::Column::Name.eq(name))
        .one(db)
        .await?)
}

/// Days after which resolved tickets close by themselves (default 7).
pub async fn auto_close_days(db: &impl ConnectionTrait, tenant: TenantId) -> Result<i32> {
    Ok(tenant_setting::Entity::find_by_id(tenant.0)
        .one(db)
        .await?
        .map(|s| s.auto_close_days)
        .unwrap_or(7))
}

pub async fn set_auto_close_days(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    days: i32,
) -> Result<()> {
    let existing = tenant_setting::Entity::find_by_id(tenant.0).one(db).await?;
    match existing {
        Some(s) => {
            let mut am = s.into_active_model();
            am.auto_close_days = sea_orm::Set(days);
            am.update(db).await?;
        }
        None => {
            tenant_setting::Model {
                tenant_id: tenant.0,
                auto_close_days: days,
            }
            .into_active_model()
            .insert(db)
            .await?;
        }
    }
    Ok(())
}

pub async fn saved_filters(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<saved_filter::Model>> {
    Ok(saved_filter::Entity::find()
        .filter(saved_filter::Column::TenantId.eq(tenant.0))
        .filter(saved_filter::Column::UserId.eq(user.0))
        .order_by_asc(saved_filter::Column::Name)
        .all(db)
        .await?)
}

pub async fn insert_saved_filter(
    db: &impl ConnectionTrait,
    f: saved_filter::Model,
) -> Result<saved_filter::Model> {
    Ok(f.into_active_model().insert(db).await?)
}

pub async fn delete_saved_filter(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    id: Uuid,
) -> Result<bool> {
    let r = saved_filter::Entity::delete_many()
        .filter(saved_filter::Column::TenantId.eq(tenant.0))
        .filter(saved_filter::Column::UserId.eq(user.0))
        .filter(saved_filter::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
