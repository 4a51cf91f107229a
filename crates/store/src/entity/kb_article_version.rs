use sea_orm::entity::prelude::*;

/// One saved state of an article (append-only history).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_article_versions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub article_id: Uuid,
    pub version: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub category: Option<String>,
    pub tags: Json,
    pub visibility: String,
    pub status: String,
    pub author_id: Uuid,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
