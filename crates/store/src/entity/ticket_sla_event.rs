use sea_orm::entity::prelude::*;

/// One entry of a ticket's SLA event log (append-only). The clock state is a fold over
/// these, so it can be recomputed at any time.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "ticket_sla_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub tenant_id: Uuid,
    pub ticket_id: Uuid,
    pub at: DateTimeUtc,
    pub kind: String,
    pub data: Json,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
