use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter, Set,
};

use crate::Result;
use crate::entity::session;
use catalyst_domain::{TenantId, UserId};

pub async fn insert(
    db: &impl ConnectionTrait,
    id_hash: String,
    user: UserId,
    active_tenant: Option<TenantId>,
    csrf_token: String,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<session::Model> {
    Ok(session::ActiveModel {
        id: Set(id_hash),
        user_id: Set(user.0),
        active_tenant_id: Set(active_tenant.map(|t| t.0)),
        csrf_token: Set(csrf_token),
        created_at: Set(now),
        last_seen_at: Set(now),
        expires_at: Set(expires_at),
    }
    .insert(db)
    .await?)
}

/// The session with this id hash if it has not expired at `now`.
pub async fn get_live(
    db: &impl ConnectionTrait,
    id_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<session::Model>> {
    Ok(session::Entity::find_by_id(id_hash.to_string())
        .filter(session::Column::ExpiresAt.gt(now))
        .one(db)
        .await?)
}

pub async fn set_active_tenant(
    db: &impl ConnectionTrait,
    s: session::Model,
    tenant: TenantId,
) -> Result<session::Model> {
    let mut am = s.into_active_model();
    am.active_tenant_id = Set(Some(tenant.0));
    Ok(am.update(db).await?)
}

/// Slides the session's expiry forward.
pub async fn touch(
    db: &impl ConnectionTrait,
    s: session::Model,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<session::Model> {
    let mut am = s.into_active_model();
    am.last_seen_at = Set(now);
    am.expires_at = Set(expires_at);
    Ok(am.update(db).await?)
}

pub async fn delete(db: &impl ConnectionTrait, id_hash: &str) -> Result<()> {
    session::Entity::delete_by_id(id_hash.to_string())
        .exec(db)
        .await?;
    Ok(())
}

/// Removes sessions that expired before `now`; returns how many.
pub async fn delete_expired(db: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<u64> {
    let r = session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lte(now))
        .exec(db)
        .await?;
    Ok(r.rows_affected)
}
