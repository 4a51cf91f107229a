//! Tickets: queues, tickets, comments, attachments, field history, number counters,
//! idempotency keys, saved filters and per-tenant workflow settings.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

use super::{index, tenant_fk};
use crate::dialect;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Queues {
    Table,
    Id,
    TenantId,
    Name,
    Description,
    Archived,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Tickets {
    Table,
    Id,
    TenantId,
    Kind,
    Seq,
    Number,
    Subject,
    Description,
    DescriptionHtml,
    Status,
    Impact,
    Urgency,
    Priority,
    PriorityReason,
    QueueId,
    RequesterId,
    AssigneeId,
    ParentId,
    Version,
    CreatedAt,
    UpdatedAt,
    FirstResponseAt,
    ResolvedAt,
    ClosedAt,
}

#[derive(DeriveIden)]
enum TicketComments {
    Table,
    Id,
    TenantId,
    TicketId,
    AuthorId,
    IsPrivate,
    Body,
    BodyHtml,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TicketAttachments {
    Table,
    Id,
    TenantId,
    TicketId,
    UploadedBy,
    IsPrivate,
    Filename,
    ContentType,
    Size,
    Sha256,
    StorageKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TicketEvents {
    Table,
    Id,
    TenantId,
    TicketId,
    At,
    ActorId,
    ActorLabel,
    Field,
    OldValue,
    NewValue,
    Reason,
    IsPrivate,
}

#[derive(DeriveIden)]
enum TicketCounters {
    Table,
    TenantId,
    Kind,
    Last,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    TenantId,
    UserId,
    Key,
    RequestHash,
    ResourceType,
    ResourceId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SavedFilters {
    Table,
    Id,
    TenantId,
    UserId,
    Name,
    Query,
    CreatedAt,
}

#[derive(DeriveIden)]
enum TenantSettings {
    Table,
    TenantId,
    AutoCloseDays,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Queues::Table)
                    .col(uuid(Queues::Id).primary_key())
                    .col(uuid(Queues::TenantId))
                    .col(string_len(Queues::Name, 80))
                    .col(string_len(Queues::Description, 500).default(""))
                    .col(boolean(Queues::Archived).default(false))
                    .col(timestamp_with_time_zone(Queues::CreatedAt))
                    .foreign_key(&mut tenant_fk("fk_queues_tenant", Queues::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_queues_tenant_name",
                    Queues::Table,
                    &["tenant_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Tickets::Table)
                    .col(uuid(Tickets::Id).primary_key())
                    .col(uuid(Tickets::TenantId))
                    .col(string_len(Tickets::Kind, 20))
                    .col(big_integer(Tickets::Seq))
                    .col(string_len(Tickets::Number, 20))
                    .col(string_len(Tickets::Subject, 200))
                    .col(text(Tickets::Description))
                    .col(text(Tickets::DescriptionHtml))
                    .col(string_len(Tickets::Status, 20))
                    .col(string_len(Tickets::Impact, 10))
                    .col(string_len(Tickets::Urgency, 10))
                    .col(string_len(Tickets::Priority, 2))
                    .col(string_len_null(Tickets::PriorityReason, 500))
                    .col(uuid_null(Tickets::QueueId))
                    .col(uuid(Tickets::RequesterId))
                    .col(uuid_null(Tickets::AssigneeId))
                    .col(uuid_null(Tickets::ParentId))
                    .col(big_integer(Tickets::Version))
                    .col(timestamp_with_time_zone(Tickets::CreatedAt))
                    .col(timestamp_with_time_zone(Tickets::UpdatedAt))
                    .col(timestamp_with_time_zone_null(Tickets::FirstResponseAt))
                    .col(timestamp_with_time_zone_null(Tickets::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Tickets::ClosedAt))
                    .foreign_key(&mut tenant_fk("fk_tickets_tenant", Tickets::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_queue")
                            .from(Tickets::Table, Tickets::QueueId)
                            .to(Queues::Table, Queues::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_requester")
                            .from(Tickets::Table, Tickets::RequesterId)
                            .to(Users::Table, Users::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_assignee")
                            .from(Tickets::Table, Tickets::AssigneeId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_tickets_parent")
                            .from(Tickets::Table, Tickets::ParentId)
                            .to(Tickets::Table, Tickets::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, cols, unique) in [
            ("ux_tickets_number", &["tenant_id", "kind", "seq"][..], true),
            (
                "idx_tickets_requester",
                &["tenant_id", "requester_id", "status", "updated_at"][..],
                false,
            ),
            (
                "idx_tickets_status",
                &["tenant_id", "status", "updated_at"][..],
                false,
            ),
            (
                "idx_tickets_updated",
                &["tenant_id", "updated_at"][..],
                false,
            ),
            (
                "idx_tickets_created",
                &["tenant_id", "created_at"][..],
                false,
            ),
            (
                "idx_tickets_priority",
                &["tenant_id", "priority", "id"][..],
                false,
            ),
            (
                "idx_tickets_queue",
                &["tenant_id", "queue_id", "status"][..],
                false,
            ),
            (
                "idx_tickets_assignee",
                &["tenant_id", "assignee_id", "status"][..],
                false,
            ),
            ("idx_tickets_parent", &["tenant_id", "parent_id"][..], false),
            ("idx_tickets_number", &["tenant_id", "number"][..], false),
        ] {
            let mut i = index(name, Tickets::Table, cols);
            if unique {
                i.unique();
            }
            manager.create_index(i).await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(TicketComments::Table)
                    .col(uuid(TicketComments::Id).primary_key())
                    .col(uuid(TicketComments::TenantId))
                    .col(uuid(TicketComments::TicketId))
                    .col(uuid(TicketComments::AuthorId))
                    .col(boolean(TicketComments::IsPrivate))
                    .col(text(TicketComments::Body))
                    .col(text(TicketComments::BodyHtml))
                    .col(timestamp_with_time_zone(TicketComments::CreatedAt))
                    .foreign_key(&mut tenant_fk("fk_comments_tenant", TicketComments::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_comments_ticket")
                            .from(TicketComments::Table, TicketComments::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_comments_ticket",
                TicketComments::Table,
                &["tenant_id", "ticket_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketAttachments::Table)
                    .col(uuid(TicketAttachments::Id).primary_key())
                    .col(uuid(TicketAttachments::TenantId))
                    .col(uuid(TicketAttachments::TicketId))
                    .col(uuid(TicketAttachments::UploadedBy))
                    .col(boolean(TicketAttachments::IsPrivate))
                    .col(string_len(TicketAttachments::Filename, 255))
                    .col(string_len(TicketAttachments::ContentType, 150))
                    .col(big_integer(TicketAttachments::Size))
                    .col(string_len(TicketAttachments::Sha256, 64))
                    .col(string_len(TicketAttachments::StorageKey, 200))
                    .col(timestamp_with_time_zone(TicketAttachments::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_attachments_tenant",
                        TicketAttachments::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_attachments_ticket")
                            .from(TicketAttachments::Table, TicketAttachments::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_attachments_ticket",
                TicketAttachments::Table,
                &["tenant_id", "ticket_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketEvents::Table)
                    .col(uuid(TicketEvents::Id).primary_key())
                    .col(uuid(TicketEvents::TenantId))
                    .col(uuid(TicketEvents::TicketId))
                    .col(timestamp_with_time_zone(TicketEvents::At))
                    .col(uuid_null(TicketEvents::ActorId))
                    .col(string_len(TicketEvents::ActorLabel, 300))
                    .col(string_len(TicketEvents::Field, 50))
                    .col(text_null(TicketEvents::OldValue))
                    .col(text_null(TicketEvents::NewValue))
                    .col(string_len_null(TicketEvents::Reason, 500))
                    .col(boolean(TicketEvents::IsPrivate))
                    .foreign_key(&mut tenant_fk(
                        "fk_ticket_events_tenant",
                        TicketEvents::Table,
                    ))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ticket_events_ticket")
                            .from(TicketEvents::Table, TicketEvents::TicketId)
                            .to(Tickets::Table, Tickets::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_ticket_events_ticket",
                TicketEvents::Table,
                &["tenant_id", "ticket_id", "at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketCounters::Table)
                    .col(uuid(TicketCounters::TenantId))
                    .col(string_len(TicketCounters::Kind, 20))
                    .col(big_integer(TicketCounters::Last))
                    .primary_key(
                        Index::create()
                            .col(TicketCounters::TenantId)
                            .col(TicketCounters::Kind),
                    )
                    .foreign_key(&mut tenant_fk("fk_counters_tenant", TicketCounters::Table))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::TenantId))
                    .col(uuid(IdempotencyKeys::UserId))
                    .col(string_len(IdempotencyKeys::Key, 200))
                    .col(string_len(IdempotencyKeys::RequestHash, 64))
                    .col(string_len(IdempotencyKeys::ResourceType, 30))
                    .col(uuid(IdempotencyKeys::ResourceId))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::TenantId)
                            .col(IdempotencyKeys::UserId)
                            .col(IdempotencyKeys::Key),
                    )
                    .foreign_key(&mut tenant_fk(
                        "fk_idempotency_tenant",
                        IdempotencyKeys::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_idempotency_created",
                IdempotencyKeys::Table,
                &["created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SavedFilters::Table)
                    .col(uuid(SavedFilters::Id).primary_key())
                    .col(uuid(SavedFilters::TenantId))
                    .col(uuid(SavedFilters::UserId))
                    .col(string_len(SavedFilters::Name, 80))
                    .col(string_len(SavedFilters::Query, 1000))
                    .col(timestamp_with_time_zone(SavedFilters::CreatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_saved_filters_tenant",
                        SavedFilters::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_saved_filters_user",
                SavedFilters::Table,
                &["tenant_id", "user_id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TenantSettings::Table)
                    .col(uuid(TenantSettings::TenantId).primary_key())
                    .col(integer(TenantSettings::AutoCloseDays))
                    .foreign_key(&mut tenant_fk(
                        "fk_tenant_settings_tenant",
                        TenantSettings::Table,
                    ))
                    .to_owned(),
            )
            .await?;

        let db = manager.get_connection();
        for table in [
            "queues",
            "tickets",
            "ticket_comments",
            "ticket_attachments",
            "ticket_events",
            "ticket_counters",
            "idempotency_keys",
            "saved_filters",
            "tenant_settings",
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
