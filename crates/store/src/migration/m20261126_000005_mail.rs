//! Email in and out: per-tenant mail settings and template overrides, the Message-IDs of
//! mail sent and received per ticket (threading and deduplication), people CC'd on a
//! ticket by email, and the quarantine of inbound mail that was not accepted.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{index, tenant_fk};
use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MailSettings {
    Table,
    TenantId,
    OutboundEnabled,
    InboundEnabled,
    FromAddress,
    FromName,
    ReplyTo,
    UnknownSender,
    RateLimitPerHour,
    InboundTokenHash,
    ImapUrl,
    ImapProcessedFolder,
    ImapUidValidity,
    ImapLastUid,
    ImapStatus,
    ImapError,
    ImapCheckedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailTemplates {
    Table,
    Id,
    TenantId,
    Kind,
    Subject,
    Text,
    Html,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum MailMessages {
    Table,
    Id,
    TenantId,
    Direction,
    MessageId,
    TicketId,
    CommentId,
    Sender,
    MatchReason,
    Class,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MailParticipants {
    Table,
    Id,
    TenantId,
    TicketId,
    Email,
    CreatedAt,
}

#[derive(DeriveIden)]
enum MailQuarantine {
    Table,
    Id,
    TenantId,
    Source,
    Reason,
    Detail,
    Sender,
    Subject,
    MessageId,
    Raw,
    ReceivedAt,
    ReleasedAt,
    ReleasedTicketId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MailSettings::Table)
                    .col(uuid(MailSettings::TenantId).primary_key())
                    .col(boolean(MailSettings::OutboundEnabled).default(true))
                    .col(boolean(MailSettings::InboundEnabled).default(true))
                    .col(string_len_null(MailSettings::FromAddress, 320))
                    .col(string_len_null(MailSettings::FromName, 120))
                    .col(string_len_null(MailSettings::ReplyTo, 320))
                    .col(string_len(MailSettings::UnknownSender, 20).default("new_ticket"))
                    .col(integer(MailSettings::RateLimitPerHour).default(30))
                    .col(string_len_null(MailSettings::InboundTokenHash, 64))
                    .col(text_null(MailSettings::ImapUrl))
                    .col(string_len_null(MailSettings::ImapProcessedFolder, 200))
                    .col(big_integer_null(MailSettings::ImapUidValidity))
                    .col(big_integer_null(MailSettings::ImapLastUid))
                    .col(string_len_null(MailSettings::ImapStatus, 20))
                    .col(text_null(MailSettings::ImapError))
                    .col(timestamp_with_time_zone_null(MailSettings::ImapCheckedAt))
                    .col(timestamp_with_time_zone(MailSettings::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_mail_settings_tenant",
                        MailSettings::Table,
                    ))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailTemplates::Table)
                    .col(uuid(MailTemplates::Id).primary_key())
                    .col(uuid(MailTemplates::TenantId))
                    .col(string_len(MailTemplates::Kind, 30))
                    .col(text_null(MailTemplates::Subject))
                    .col(text_null(MailTemplates::Text))
                    .col(text_null(MailTemplates::Html))
                    .col(timestamp_with_time_zone(MailTemplates::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_mail_templates_tenant",
                        MailTemplates::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_mail_templates_kind",
                    MailTemplates::Table,
                    &["tenant_id", "kind"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailMessages::Table)
                    .col(uuid(MailMessages::Id).primary_key())
                    .col(uuid(MailMessages::TenantId))
                    .col(string_len(MailMessages::Direction, 3))
                    .col(string_len(MailMessages::MessageId, 500))
                    .col(uuid_null(MailMessages::TicketId))
                    .col(uuid_null(MailMessages::CommentId))
                    .col(string_len_null(MailMessages::Sender, 320))
                    .col(string_len_null(MailMessages::MatchReason, 30))
                    .col(string_len_null(MailMessages::Class, 12))
                    .col(timestamp_with_time_zone(MailMessages::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_mail_messages_tenant",
                        MailMessages::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_messages_ticket")
                            .from(MailMessages::Table, MailMessages::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_mail_messages_id",
                    MailMessages::Table,
                    &["tenant_id", "message_id", "direction"],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_mail_messages_ticket",
                MailMessages::Table,
                &["tenant_id", "ticket_id", "created_at"],
            ))
            .await?;
        manager
            .create_index(index(
                "idx_mail_messages_sender",
                MailMessages::Table,
                &["tenant_id", "sender", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailParticipants::Table)
                    .col(uuid(MailParticipants::Id).primary_key())
                    .col(uuid(MailParticipants::TenantId))
                    .col(uuid(MailParticipants::TicketId))
                    .col(string_len(MailParticipants::Email, 320))
                    .col(timestamp_with_time_zone(MailParticipants::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_mail_participants_tenant",
                        MailParticipants::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_mail_participants_ticket")
                            .from(MailParticipants::Table, MailParticipants::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_mail_participants",
                    MailParticipants::Table,
                    &["tenant_id", "ticket_id", "email"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(MailQuarantine::Table)
                    .col(uuid(MailQuarantine::Id).primary_key())
                    .col(uuid(MailQuarantine::TenantId))
                    .col(string_len(MailQuarantine::Source, 10))
                    .col(string_len(MailQuarantine::Reason, 30))
                    .col(text_null(MailQuarantine::Detail))
                    .col(string_len_null(MailQuarantine::Sender, 320))
                    .col(string_len_null(MailQuarantine::Subject, 500))
                    .col(string_len_null(MailQuarantine::MessageId, 500))
                    .col(blob(MailQuarantine::Raw))
                    .col(timestamp_with_time_zone(MailQuarantine::ReceivedAt))
                    .col(timestamp_with_time_zone_null(MailQuarantine::ReleasedAt))
                    .col(uuid_null(MailQuarantine::ReleasedTicketId))
                    .foreign_key(&mut tenant_fk(
                        "fk_mail_quarantine_tenant",
                        MailQuarantine::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_mail_quarantine_tenant",
                MailQuarantine::Table,
                &["tenant_id", "received_at"],
            ))
            .await?;

        let db = manager.get_connection();
        for table in [
            "mail_settings",
            "mail_templates",
            "mail_messages",
            "mail_participants",
            "mail_quarantine",
        ] {
            dialect::enable_tenant_rls(db, table).await?;
        }
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "migrations are forward-only; restore a backup to go back".into(),
        ))
    }
}
