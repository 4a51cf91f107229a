use sea_orm::entity::prelude::*;

/// Articles suggested to a requester while reporting an issue, and what happened next:
/// `shown` → `opened` (an article was read) → `submitted` (reported anyway) or left as is
/// (abandoned: the requester did not report).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "kb_deflections")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub user_id: Uuid,
    pub query: String,
    /// JSON array of suggested article ids.
    pub suggested: Json,
    pub article_id: Option<Uuid>,
    pub ticket_id: Option<Uuid>,
    pub outcome: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
