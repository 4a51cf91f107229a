use chrono::{DateTime, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, Set};

use crate::entity::user;
use crate::{Result, StoreError};
use catalyst_domain::{DisplayName, Email, UserId};

pub async fn insert(
    db: &impl ConnectionTrait,
    email: &Email,
    name: &DisplayName,
    password_hash: Option<String>,
    now: DateTime<Utc>,
) -> Result<user::Model> {
    user::ActiveModel {
        id: Set(UserId::new().0),
        email: Set(email.as_str().to_string()),
        name: Set(name.as_str().to_string()),
        password_hash: Set(password_hash),
        disabled: Set(false),
        created_at: Set(now),
    }
    .insert(db)
    .await
    .map_err(|e| StoreError::from_insert(e, "email"))
}

pub async fn by_email(db: &impl ConnectionTrait, email: &Email) -> Result<Option<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .one(db)
        .await?)
}

pub async fn by_id(db: &impl ConnectionTrait, id: UserId) -> Result<Option<user::Model>> {
    Ok(user::Entity::find_by_id(id.0).one(db).await?)
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[UserId]) -> Result<Vec<user::Model>> {
    Ok(user::Entity::find()
        .filter(user::Column::Id.is_in(ids.iter().map(|u| u.0)))
        .all(db)
        .await?)
}
