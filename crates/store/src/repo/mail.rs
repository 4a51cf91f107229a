//! Email: settings, template overrides, Message-IDs per ticket, participants, quarantine.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, IntoActiveModel, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use crate::entity::{mail_message, mail_participant, mail_quarantine, mail_setting, mail_template};
use crate::{Result, StoreError};
use catalyst_domain::TenantId;

pub const IN: &str = "in";
pub const OUT: &str = "out";

// ---- settings -------------------------------------------------------------------------

pub async fn settings(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Option<mail_setting::Model>> {
    Ok(mail_setting::Entity::find_by_id(tenant.0)
        .filter(mail_setting::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

/// The defaults of a tenant that never saved mail settings.
pub fn default_settings(tenant: TenantId, now: DateTime<Utc>) -> mail_setting::Model {
    mail_setting::Model {
        tenant_id: tenant.0,
        outbound_enabled: true,
        inbound_enabled: true,
        from_address: None,
        from_name: None,
        reply_to: None,
        unknown_sender: "new_ticket".into(),
        rate_limit_per_hour: 30,
        inbound_token_hash: None,
        imap_url: None,
        imap_processed_folder: None,
        imap_uid_validity: None,
        imap_last_uid: None,
        imap_status: None,
        imap_error: None,
        imap_checked_at: None,
        imap_password_sealed: None,
        inbound_hmac_sealed: None,
        imap_lease_owner: None,
        imap_lease_until: None,
        updated_at: now,
    }
}

/// Takes (or renews) the polling lease on a tenant's mailbox for `owner` until `until`.
/// `false` when another node holds a lease that has not expired. The settings row must
/// exist. On PostgreSQL a concurrent taker waits for the row and then sees the new lease.
pub async fn try_lease_imap(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    owner: &str,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<bool> {
    use mail_setting::Column as C;
    let res = mail_setting::Entity::update_many()
        .col_expr(C::ImapLeaseOwner, Expr::value(owner))
        .col_expr(C::ImapLeaseUntil, Expr::value(until))
        .filter(C::TenantId.eq(tenant.0))
        .filter(
            sea_orm::Condition::any()
                .add(C::ImapLeaseUntil.is_null())
                .add(C::ImapLeaseUntil.lte(now))
                .add(C::ImapLeaseOwner.eq(owner)),
        )
        .exec(db)
        .await?;
    Ok(res.rows_affected == 1)
}

/// Gives up `owner`'s polling lease on a tenant's mailbox (no-op if it holds none).
pub async fn release_imap_lease(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    owner: &str,
) -> Result<()> {
    use mail_setting::Column as C;
    mail_setting::Entity::update_many()
        .col_expr(
            C::ImapLeaseUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(C::TenantId.eq(tenant.0))
        .filter(C::ImapLeaseOwner.eq(owner))
        .exec(db)
        .await?;
    Ok(())
}

/// Inserts or replaces a tenant's settings row.
pub async fn save_settings(db: &impl ConnectionTrait, m: mail_setting::Model) -> Result<()> {
    let tenant = m.tenant_id;
    let exists = mail_setting::Entity::find_by_id(tenant)
        .filter(mail_setting::Column::TenantId.eq(tenant))
        .count(db)
        .await?
        > 0;
    let mut am = m.into_active_model();
    if exists {
        am = am.reset_all();
        am.update(db).await?;
    } else {
        am.insert(db).await?;
    }
    Ok(())
}

// ---- templates ------------------------------------------------------------------------

pub async fn templates(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<Vec<mail_template::Model>> {
    Ok(mail_template::Entity::find()
        .filter(mail_template::Column::TenantId.eq(tenant.0))
        .order_by_asc(mail_template::Column::Kind)
        .all(db)
        .await?)
}

pub async fn template(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    kind: &str,
) -> Result<Option<mail_template::Model>> {
    Ok(mail_template::Entity::find()
        .filter(mail_template::Column::TenantId.eq(tenant.0))
        .filter(mail_template::Column::Kind.eq(kind))
        .one(db)
        .await?)
}

pub async fn save_template(db: &impl ConnectionTrait, m: mail_template::Model) -> Result<()> {
    mail_template::Entity::insert(m.into_active_model())
        .on_conflict(
            OnConflict::columns([mail_template::Column::TenantId, mail_template::Column::Kind])
                .update_columns([
                    mail_template::Column::Subject,
                    mail_template::Column::Text,
                    mail_template::Column::Html,
                    mail_template::Column::UpdatedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

pub async fn delete_template(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    kind: &str,
) -> Result<bool> {
    let r = mail_template::Entity::delete_many()
        .filter(mail_template::Column::TenantId.eq(tenant.0))
        .filter(mail_template::Column::Kind.eq(kind))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

// ---- messages -------------------------------------------------------------------------

/// Records a Message-ID. A second inbound row with the same id is a
/// `Duplicate { constraint: "messageId" }`.
pub async fn insert_message(db: &impl ConnectionTrait, m: mail_message::Model) -> Result<()> {
    m.into_active_model()
        .insert(db)
        .await
        .map_err(|e| StoreError::from_insert(e, "messageId"))?;
    Ok(())
}

/// Inserts messages in a few multi-row statements (all or none, as the transaction).
pub async fn insert_messages(
    db: &impl ConnectionTrait,
    rows: &[mail_message::Model],
) -> Result<()> {
    let rows: Vec<mail_message::ActiveModel> = rows
        .iter()
        .cloned()
        .map(IntoActiveModel::into_active_model)
        .collect();
    super::insert_chunked(db, &rows, None)
        .await
        .map_err(|e| StoreError::from_insert(e, "messageId"))?;
    Ok(())
}

pub async fn message(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    direction: &str,
    message_id: &str,
) -> Result<Option<mail_message::Model>> {
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::Direction.eq(direction))
        .filter(mail_message::Column::MessageId.eq(message_id))
        .one(db)
        .await?)
}

/// Messages of the tenant with any of these ids that belong to a ticket.
pub async fn messages_with_ids(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ids: &[String],
) -> Result<Vec<mail_message::Model>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::MessageId.is_in(ids.iter().take(100).cloned()))
        .filter(mail_message::Column::TicketId.is_not_null())
        .all(db)
        .await?)
}

pub async fn link_message(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    ticket_id: Option<Uuid>,
    comment_id: Option<Uuid>,
    match_reason: &str,
) -> Result<()> {
    mail_message::Entity::update_many()
        .col_expr(mail_message::Column::TicketId, Expr::value(ticket_id))
        .col_expr(mail_message::Column::CommentId, Expr::value(comment_id))
        .col_expr(mail_message::Column::MatchReason, Expr::value(match_reason))
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

pub async fn delete_message(db: &impl ConnectionTrait, tenant: TenantId, id: Uuid) -> Result<()> {
    mail_message::Entity::delete_many()
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// The Message-IDs of a ticket's thread, oldest first.
pub async fn thread(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
) -> Result<Vec<mail_message::Model>> {
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::TicketId.eq(ticket_id))
        .order_by_asc(mail_message::Column::CreatedAt)
        .order_by_asc(mail_message::Column::Id)
        .limit(200)
        .all(db)
        .await?)
}

/// Inbound messages from `sender` since `since` (rate limiting).
pub async fn count_from_sender(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    sender: &str,
    since: DateTime<Utc>,
) -> Result<u64> {
    Ok(mail_message::Entity::find()
        .filter(mail_message::Column::TenantId.eq(tenant.0))
        .filter(mail_message::Column::Sender.eq(sender))
        .filter(mail_message::Column::Direction.eq(IN))
        .filter(mail_message::Column::CreatedAt.gte(since))
        .count(db)
        .await?)
}

// ---- participants ---------------------------------------------------------------------

pub async fn participants(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
) -> Result<Vec<String>> {
    Ok(mail_participant::Entity::find()
        .select_only()
        .column(mail_participant::Column::Email)
        .filter(mail_participant::Column::TenantId.eq(tenant.0))
        .filter(mail_participant::Column::TicketId.eq(ticket_id))
        .order_by_asc(mail_participant::Column::CreatedAt)
        .into_tuple()
        .all(db)
        .await?)
}

pub async fn add_participant(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    ticket_id: Uuid,
    email: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    mail_participant::Entity::insert(mail_participant::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(tenant.0),
        ticket_id: Set(ticket_id),
        email: Set(email.to_ascii_lowercase()),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([
            mail_participant::Column::TenantId,
            mail_participant::Column::TicketId,
            mail_participant::Column::Email,
        ])
        .do_nothing()
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

// ---- quarantine -----------------------------------------------------------------------

pub async fn quarantine(db: &impl ConnectionTrait, m: mail_quarantine::Model) -> Result<()> {
    m.into_active_model().insert(db).await?;
    Ok(())
}

/// Quarantined mail not yet released, newest first (without the raw bytes).
pub async fn quarantined(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    limit: u64,
) -> Result<Vec<mail_quarantine::Model>> {
    Ok(mail_quarantine::Entity::find()
        .filter(mail_quarantine::Column::TenantId.eq(tenant.0))
        .filter(mail_quarantine::Column::ReleasedAt.is_null())
        .order_by_desc(mail_quarantine::Column::ReceivedAt)
        .order_by_desc(mail_quarantine::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

pub async fn quarantined_one(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<Option<mail_quarantine::Model>> {
    Ok(mail_quarantine::Entity::find_by_id(id)
        .filter(mail_quarantine::Column::TenantId.eq(tenant.0))
        .one(db)
        .await?)
}

/// Whether unreleased quarantined mail with this Message-ID exists (deduplication).
pub async fn is_quarantined(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    message_id: &str,
) -> Result<bool> {
    Ok(mail_quarantine::Entity::find()
        .filter(mail_quarantine::Column::TenantId.eq(tenant.0))
        .filter(mail_quarantine::Column::MessageId.eq(message_id))
        .filter(mail_quarantine::Column::ReleasedAt.is_null())
        .count(db)
        .await?
        > 0)
}

pub async fn mark_released(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
    ticket_id: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<bool> {
    let r = mail_quarantine::Entity::update_many()
        .col_expr(mail_quarantine::Column::ReleasedAt, Expr::value(now))
        .col_expr(
            mail_quarantine::Column::ReleasedTicketId,
            Expr::value(ticket_id),
        )
        .filter(mail_quarantine::Column::TenantId.eq(tenant.0))
        .filter(mail_quarantine::Column::Id.eq(id))
        .filter(mail_quarantine::Column::ReleasedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

pub async fn delete_quarantined(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    id: Uuid,
) -> Result<bool> {
    let r = mail_quarantine::Entity::delete_many()
        .filter(mail_quarantine::Column::TenantId.eq(tenant.0))
        .filter(mail_quarantine::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
