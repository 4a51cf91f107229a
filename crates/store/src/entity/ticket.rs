use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tickets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub kind: String,
    /// Sequence within the tenant and kind (`INC-000042` → 42).
    pub seq: i64,
    /// The human number, e.g. `INC-000042`.
    pub number: String,
    pub subject: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// Sanitised HTML rendering of `description`.
    #[sea_orm(column_type = "Text")]
    pub description_html: String,
    pub status: String,
    pub impact: String,
    pub urgency: String,
    pub priority: String,
    /// Why an agent overrode the matrix priority, if they did.
    pub priority_reason: Option<String>,
    pub queue_id: Option<Uuid>,
    pub requester_id: Uuid,
    pub assignee_id: Option<Uuid>,
    pub parent_id: Option<Uuid>,
    /// Incremented on every change; the ETag.
    pub version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub first_response_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    /// Summary of the SLA clock: `running`, `due_soon`, `breached`, `paused`, `met`;
    /// `None` when no policy applies.
    pub sla_state: Option<String>,
    /// The next first-response or resolution deadline of a running clock.
    pub sla_next_due_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
