use sea_orm::entity::prelude::*;

/// A Message-ID sent (`out`) or received (`in`) for a tenant, with the ticket it belongs
/// to: threading looks replies up here, and inbound mail is deduplicated on it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_messages")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub tenant_id: Uuid,
    /// `in` or `out`.
    pub direction: String,
    /// Without angle brackets.
    pub message_id: String,
    pub ticket_id: Option<Uuid>,
    pub comment_id: Option<Uuid>,
    /// Sender address in lower case (inbound).
    pub sender: Option<String>,
    /// How an inbound message found its ticket: `in_reply_to`, `references`,
    /// `subject_tag`, `new_ticket`, …
    pub match_reason: Option<String>,
    /// `human`, `auto_reply`, `bulk` or `bounce` (inbound).
    pub class: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
