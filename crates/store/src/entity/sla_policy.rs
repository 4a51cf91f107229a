use sea_orm::entity::prelude::*;

/// An SLA policy: which tickets it applies to (kinds, priorities, optionally a queue) and
/// the targets in business time on a calendar. The first enabled match by `position` wins.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sla_policies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    pub name: String,
    pub position: i32,
    /// JSON array of ticket kinds (`incident`, …); empty = all.
    pub kinds: Json,
    /// JSON array of priorities (`P1`, …); empty = all.
    pub priorities: Json,
    pub queue_id: Option<Uuid>,
    /// `None`: the built-in 24×7 calendar.
    pub calendar_id: Option<Uuid>,
    pub first_response_secs: Option<i64>,
    pub resolution_secs: Option<i64>,
    pub due_soon_percent: i16,
    /// JSON array of statuses that pause the resolution clock.
    pub pause_statuses: Json,
    pub escalate_priority: Option<String>,
    pub escalate_queue_id: Option<Uuid>,
    pub enabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
