//! Idempotency keys of POST requests.

use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, QueryFilter,
};

use crate::entity::idempotency_key;
use crate::{Result, StoreError};
use catalyst_domain::{TenantId, UserId};

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    user: UserId,
    key: &str,
) -> Result<Option<idempotency_key::Model>> {
    Ok(idempotency_key::Entity::find()
        .filter(idempotency_key::Column::TenantId.eq(tenant.0))
        .filter(idempotency_key::Column::UserId.eq(user.0))
        .filter(idempotency_key::Column::Key.eq(key))
        .one(db)
        .await?)
}

pub async fn insert(db: &impl ConnectionTrait, k: idempotency_key::Model) -> Result<()> {
    k.into_active_model()
        .insert(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "Idempotency-Key"))?;
    Ok(())
}
