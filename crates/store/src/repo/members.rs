use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::tenant_member;
use crate::{Result, StoreError};
use catalyst_domain::{Role, TenantId, UserId};

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    role: Role,
    now: DateTime<Utc>,
) -> Result<tenant_member::Model> {
    tenant_member::ActiveModel {
        tenant_id: Set(tenant.0),
        user_id: Set(user.0),
        role: Set(role.as_str().to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_insert(e, "email"))
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<Option<tenant_member::Model>> {
    Ok(tenant_member::Entity::find()
        .filter(tenant_member::Column::TenantId.eq(tenant.0))
        .filter(tenant_member::Column::UserId.eq(user.0))
        .one(db)
        .await?)
}

pub async fn list_for_tenant(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<tenant_member::Model>> {
    Ok(tenant_member::Entity::find()
        .filter(tenant_member::Column::TenantId.eq(tenant.0))
        .order_by_asc(tenant_member::Column::CreatedAt)
        .order_by_asc(tenant_member::Column::UserId)
        .all(db)
        .await?)
}

/// A user's memberships in every tenant (needs `Scope::User` on PostgreSQL).
pub async fn list_for_user(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<tenant_member::Model>> {
    Ok(tenant_member::Entity::find()
        .filter(tenant_member::Column::UserId.eq(user.0))
        .all(db)
        .await?)
}
