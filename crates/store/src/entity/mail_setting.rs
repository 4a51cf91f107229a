use sea_orm::entity::prelude::*;

/// Per-tenant email settings: outbound on/off and sender, inbound policy, the inbound
/// HTTP token (hashed) and the IMAP mailbox with its polling state.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mail_settings")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub tenant_id: Uuid,
    pub outbound_enabled: bool,
    pub inbound_enabled: bool,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    /// `new_ticket` or `quarantine`: what happens to mail from a stranger that matches
    /// someone else's ticket.
    pub unknown_sender: String,
    pub rate_limit_per_hour: i32,
    /// SHA-256 (hex) of the inbound token.
    pub inbound_token_hash: Option<String>,
    /// `imap://`, `imap+starttls://` or `imaps://` URL; the password is `***` (sealed
    /// apart) except in rows written before passwords were sealed.
    #[sea_orm(column_type = "Text", nullable)]
    pub imap_url: Option<String>,
    pub imap_processed_folder: Option<String>,
    pub imap_uid_validity: Option<i64>,
    pub imap_last_uid: Option<i64>,
    /// `ok`, `auth_failed` or `error` after the last poll.
    pub imap_status: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub imap_error: Option<String>,
    pub imap_checked_at: Option<DateTimeUtc>,
    /// The IMAP password, sealed (`imap_url` then carries `***` in its place).
    #[sea_orm(column_type = "Text", nullable)]
    pub imap_password_sealed: Option<String>,
    /// The inbound HMAC signing secret, sealed.
    #[sea_orm(column_type = "Text", nullable)]
    pub inbound_hmac_sealed: Option<String>,
    /// The node polling this mailbox and until when its lease holds.
    pub imap_lease_owner: Option<String>,
    pub imap_lease_until: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
