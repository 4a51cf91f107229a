use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set,
};

use crate::entity::tenant;
use crate::{Result, StoreError};
use catalyst_domain::{TenantId, TenantName, TenantSlug};

pub async fn insert(
    db: &impl ConnectionTrait,
    slug: &TenantSlug,
    name: &TenantName,
    now: DateTime<Utc>,
) -> Result<tenant::Model> {
    tenant::ActiveModel {
        id: Set(TenantId::new().0),
        slug: Set(slug.as_str().to_string()),
        name: Set(name.as_str().to_string()),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_insert(e, "slug"))
}

pub async fn by_slug(db: &impl ConnectionTrait, slug: &str) -> Result<Option<tenant::Model>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Slug.eq(slug))
        .one(db)
        .await?)
}

pub async fn by_id(db: &impl ConnectionTrait, id: TenantId) -> Result<Option<tenant::Model>> {
    Ok(tenant::Entity::find_by_id(id.0).one(db).await?)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[TenantId]) -> Result<Vec<tenant::Model>> {
    Ok(tenant::Entity::find()
        .filter(tenant::Column::Id.is_in(ids.iter().map(|t| t.0)))
        .order_by_asc(tenant::Column::Name)
        .all(db)
        .await?)
}

pub async fn list(db: &impl ConnectionTrait) -> Result<Vec<tenant::Model>> {
    Ok(tenant::Entity::find()
        .order_by_asc(tenant::Column::Slug)
        .all(db)
        .await?)
}
