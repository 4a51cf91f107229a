use sea_orm::entity::prelude::*;

/// A knowledge-base article: Markdown body (with its sanitised HTML), lifecycle
/// `draft` → `published` → `archived`, visibility `public` or `internal`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_articles")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// Sanitised HTML rendering of `body`.
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    pub category: Option<String>,
    /// JSON array of tags.
    pub tags: Json,
    pub visibility: String,
    pub status: String,
    /// Incremented on every change; the ETag and the number of the latest version.
    pub version: i64,
    pub author_id: Uuid,
    pub helpful_count: i64,
    pub not_helpful_count: i64,
    pub view_count: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub published_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
