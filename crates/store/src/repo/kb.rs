//! Knowledge-base articles, their versions and votes, and portal deflection records.

use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::Result;
use crate::entity::{kb_article, kb_article_version, kb_deflection, kb_vote};
use catalyst_domain::TenantId;

pub async fn insert(db: &impl ConnectionTrait, a: kb_article::Model) -> Result<kb_article::Model> {
    Ok(a.into_active_model().insert(db).await?)
}

/// Saves a changed article.
pub async fn save(
    db: &impl ConnectionTrait,
    a: kb_article::ActiveModel,
) -> Result<kb_article::Model> {
    Ok(a.update(db).await?)
}

pub async fn get(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<kb_article::Model>> {
    Ok(kb_article::Entity::find_by_id(id)
        .filter(kb_article::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

/// Filter of an article list.
#[derive(Debug, Clone, Default)]
pub struct ArticleFilter {
    /// Any of these statuses; empty: all.
    pub statuses: Vec<String>,
    /// Only this visibility.
    pub visibility: Option<String>,
    pub category: Option<String>,
}

/// Articles of the tenant, newest change first.
pub async fn list(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    f: &ArticleFilter,
    offset: u64,
    limit: u64,
) -> Result<(Vec<kb_article::Model>, u64)> {
    let mut q = kb_article::Entity::find().filter(kb_article::Column::TenantId.eq(tenant.0));
    if !f.statuses.is_empty() {
        q = q.filter(kb_article::Column::Status.is_in(f.statuses.clone()));
    }
    if let Some(v) = &f.visibility {
        q = q.filter(kb_article::Column::Visibility.eq(v.clone()));
    }
    if let Some(c) = &f.category {
        q = q.filter(kb_article::Column::Category.eq(c.clone()));
    }
    let total = q.clone().count(db).await?;
    let items = q
        .order_by_desc(kb_article::Column::UpdatedAt)
        .order_by_desc(kb_article::Column::Id)
        .offset(offset)
        .limit(limit)
        .all(db)
        .await?;
    Ok((items, total))
}

/// Articles of a tenant in id order after `after`, for indexing.
pub async fn page_by_id(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<kb_article::Model>> {
    let mut q = kb_article::Entity::find().filter(kb_article::Column::TenantId.eq(tenant.0));
    if let Some(a) = after {
        q = q.filter(kb_article::Column::Id.gt(a));
    }
    Ok(q.order_by_asc(kb_article::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn count(db: &impl ConnectionTrait, tenant: TenantId) -> Result<u64> {
    Ok(kb_article::Entity::find()
        .filter(kb_article::Column::TenantId.eq(tenant.0))
        .count(db)
        .await?)
}

/// Adds one to the view counter.
pub async fn add_view(db: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<()> {
    kb_article::Entity::update_many()
        .col_expr(
            kb_article::Column::ViewCount,
            Expr::col(kb_article::Column::ViewCount).add(1),
        )
        .filter(kb_article::Column::TenantId.eq(tenant.0))
        .filter(kb_article::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn insert_version(db: &impl ConnectionTrait, v: kb_article_version::Model) -> Result<()> {
    v.into_active_model().insert(db).await?;
    Ok(())
}

/// Versions of an article, newest first.
pub async fn versions(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    article: Uuid,
) -> Result<Vec<kb_article_version::Model>> {
    Ok(kb_article_version::Entity::find()
        .filter(kb_article_version::Column::TenantId.eq(tenant.0))
        .filter(kb_article_version::Column::ArticleId.eq(article))
        .order_by_desc(kb_article_version::Column::Version)
        .all(db)
        .await?)
}

pub async fn vote(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    article: Uuid,
    user: Uuid,
) -> Result<Option<kb_vote::Model>> {
    Ok(kb_vote::Entity::find()
        .filter(kb_vote::Column::TenantId.eq(tenant.0))
        .filter(kb_vote::Column::ArticleId.eq(article))
        .filter(kb_vote::Column::UserId.eq(user))
        .one(db)
        .await?)
}

pub async fn insert_vote(db: &impl ConnectionTrait, v: kb_vote::Model) -> Result<()> {
    v.into_active_model().insert(db).await?;
    Ok(())
}

pub async fn set_vote(
    db: &impl ConnectionTrait,
    v: kb_vote::Model,
    helpful: bool,
    at: chrono::DateTime<chrono::Utc>,
) -> Result<()> {
    let mut am = v.into_active_model();
    am.helpful = Set(helpful);
    am.updated_at = Set(at);
    am.update(db).await?;
    Ok(())
}

/// Helpful and not-helpful votes of an article.
pub async fn vote_counts(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    article: Uuid,
) -> Result<(i64, i64)> {
    let base = kb_vote::Entity::find()
        .filter(kb_vote::Column::TenantId.eq(tenant.0))
        .filter(kb_vote::Column::ArticleId.eq(article));
    let yes = base
        .clone()
        .filter(kb_vote::Column::Helpful.eq(true))
        .count(db)
        .await?;
    let no = base
        .filter(kb_vote::Column::Helpful.eq(false))
        .count(db)
        .await?;
    Ok((
        i64::try_from(yes).unwrap_or(i64::MAX),
        i64::try_from(no).unwrap_or(i64::MAX),
    ))
}

pub async fn insert_deflection(
    db: &impl ConnectionTrait,
    d: kb_deflection::Model,
) -> Result<kb_deflection::Model> {
    Ok(d.into_active_model().insert(db).await?)
}

pub async fn deflection(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<kb_deflection::Model>> {
    Ok(kb_deflection::Entity::find_by_id(id)
        .filter(kb_deflection::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

pub async fn save_deflection(
    db: &impl ConnectionTrait,
    d: kb_deflection::ActiveModel,
) -> Result<kb_deflection::Model> {
    Ok(d.update(db).await?)
}

/// Deflection records of a tenant since `since`, by outcome.
pub async fn deflection_outcomes(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    since: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<(String, u64)>> {
    let mut out = Vec::new();
    for outcome in ["shown", "opened", "submitted"] {
        let n = kb_deflection::Entity::find()
            .filter(kb_deflection::Column::TenantId.eq(tenant.0))
            .filter(kb_deflection::Column::CreatedAt.gte(since))
            .filter(kb_deflection::Column::Outcome.eq(outcome))
            .count(db)
            .await?;
        out.push((outcome.to_string(), n));
    }
    Ok(out)
}
