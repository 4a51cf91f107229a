use sea_orm::entity::prelude::*;

/// A durable job or timer. Enqueued in the transaction of the change that causes it;
/// claimed by one worker at a time (lease until `locked_until`).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    /// `None` for system jobs that belong to no tenant.
    pub tenant_id: Option<Uuid>,
    pub kind: String,
    pub payload: Json,
    /// `pending`, `running` or `dead` (done jobs are deleted).
    pub state: String,
    pub run_at: DateTimeUtc,
    pub attempts: i32,
    pub max_attempts: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// At most one pending job per key; enqueueing again reschedules it.
    pub dedupe_key: Option<String>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
