use sea_orm::entity::prelude::*;

/// The current SLA clock of a ticket: derived from its event log, kept for lists, timers
/// and the notification flags.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_slas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub ticket_id: Uuid,
    pub tenant_id: Uuid,
    pub policy_id: Option<Uuid>,
    pub calendar_id: Option<Uuid>,
    pub targets: Json,
    pub response_due_at: Option<DateTimeUtc>,
    pub resolution_due_at: Option<DateTimeUtc>,
    pub response_state: String,
    pub resolution_state: String,
    pub due_soon_at: Option<DateTimeUtc>,
    pub breached_at: Option<DateTimeUtc>,
    pub due_soon_notified: bool,
    pub breach_notified: bool,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
