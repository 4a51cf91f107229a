//! In-app notifications (the bell).

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::Result;
use crate::entity::notification;
use catalyst_domain::{TenantId, UserId};

pub async fn insert(db: &impl ConnectionTrait, n: notification::Model) -> Result<()> {
    n.into_active_model().insert(db).await?;
    Ok(())
}

/// Inserts notifications in a few multi-row statements.
pub async fn insert_all(db: &impl ConnectionTrait, rows: &[notification::Model]) -> Result<()> {
    let rows: Vec<notification::ActiveModel> = rows
        .iter()
        .cloned()
        .map(IntoActiveModel::into_active_model)
        .collect();
    super::insert_chunked(db, &rows, None).await?;
    Ok(())
}

/// The user's latest notifications, newest first.
pub async fn latest(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    limit: u64,
) -> Result<Vec<notification::Model>> {
    Ok(notification::Entity::find()
        .filter(notification::Column::TenantId.eq(tenant.0))
        .filter(notification::Column::UserId.eq(user.0))
        .order_by_desc(notification::Column::CreatedAt)
        .order_by_desc(notification::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn unread_count(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
) -> Result<u64> {
    Ok(notification::Entity::find()
        .filter(notification::Column::TenantId.eq(tenant.0))
        .filter(notification::Column::UserId.eq(user.0))
        .filter(notification::Column::ReadAt.is_null())
        .count(db)
        .await?)
}

/// Marks one (`Some(id)`) or all of the user's notifications read; returns how many.
pub async fn mark_read(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now))
        .filter(notification::Column::TenantId.eq(tenant.0))
        .filter(notification::Column::UserId.eq(user.0))
        .filter(notification::Column::ReadAt.is_null());
    if let Some(id) = id {
        q = q.filter(notification::Column::Id.eq(id));
    }
    Ok(q.exec(db).await?.rows_affected)
}
