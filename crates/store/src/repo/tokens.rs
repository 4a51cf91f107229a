use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
    QueryOrder, Set,
};
use uuid::Uuid;

use crate::entity::api_token;
use crate::{Result, StoreError};
use catalyst_domain::{TenantId, UserId};

pub async fn insert(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    name: &str,
    token_hash: String,
    now: DateTime<Utc>,
) -> Result<api_token::Model> {
    api_token::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        user_id: Set(user.0),
        name: Set(name.to_string()),
        token_hash: Set(token_hash),
        created_at: Set(now),
        last_used_at: Set(None),
        revoked_at: Set(None),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_insert(e, "token"))
}

/// An unrevoked token of `tenant` with this hash.
pub async fn find_active(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    token_hash: &str,
) -> Result<Option<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .filter(api_token::Column::TokenHash.eq(token_hash))
        .filter(api_token::Column::RevokedAt.is_null())
        .one(db)
        .await?)
}

pub async fn list_for_user(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<Vec<api_token::Model>> {
    Ok(api_token::Entity::find()
        .filter(api_token::Column::TenantId.eq(tenant.0))
        .filter(api_token::Column::UserId.eq(user.0))
        .order_by_asc(api_token::Column::CreatedAt)
        .all(db)
        .await?)
}

pub async fn mark_used(
    db: &impl ConnectionTrait,
    t: api_token::Model,
    now: DateTime<Utc>,
) -> Result<()> {
    let mut am = t.into_active_model();
    am.last_used_at = Set(Some(now));
    am.update(db).await?;
    Ok(())
}

pub async fn revoke(
    db: &impl ConnectionTrait,
    t: api_token::Model,
    now: DateTime<Utc>,
) -> Result<api_token::Model> {
    let mut am = t.into_active_model();
    am.revoked_at = Set(Some(now));
    Ok(am.update(db).await?)
}
