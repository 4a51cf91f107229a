use sea_orm::entity::prelude::*;

/// Inbound mail that was not accepted (unparseable, from a stranger, rate-limited,
/// automatic), kept whole so an admin can release (replay) or delete it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_quarantine")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `imap`, `http` or `cli`.
    pub source: String,
    pub reason: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub detail: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    #[sea_orm(column_type = "Blob")]
    pub raw: Vec<u8>,
    pub received_at: DateTimeUtc,
    pub released_at: Option<DateTimeUtc>,
    pub released_ticket_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
