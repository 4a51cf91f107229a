//! Durable jobs and timers, in-app notifications, business calendars, SLA policies and
//! the per-ticket SLA event log and clock state.

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
    SlaState,
    SlaNextDueAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    TenantId,
    Kind,
    Payload,
    State,
    RunAt,
    Attempts,
    MaxAttempts,
    LastError,
    DedupeKey,
    LockedBy,
    LockedUntil,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Notifications {
    Table,
    Id,
    TenantId,
    UserId,
    Kind,
    TicketId,
    Title,
    Body,
    CreatedAt,
    ReadAt,
}

#[derive(DeriveIden)]
enum BusinessCalendars {
    Table,
    Id,
    TenantId,
    Name,
    Spec,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    Id,
    TenantId,
    Name,
    Position,
    Kinds,
    Priorities,
    QueueId,
    CalendarId,
    FirstResponseSecs,
    ResolutionSecs,
    DueSoonPercent,
    PauseStatuses,
    EscalatePriority,
    EscalateQueueId,
    Enabled,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum TicketSlaEvents {
    Table,
    Id,
    TenantId,
    TicketId,
    At,
    Kind,
    Data,
}

#[derive(DeriveIden)]
enum TicketSlas {
    Table,
    TicketId,
    TenantId,
    PolicyId,
    CalendarId,
    Targets,
    ResponseDueAt,
    ResolutionDueAt,
    ResponseState,
    ResolutionState,
    DueSoonAt,
    BreachedAt,
    DueSoonNotified,
    BreachNotified,
    UpdatedAt,
}

fn ticket_fk<T: IntoIden>(name: &str, table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("ticket_id"))
        .to(Tickets::Table, Tickets::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(uuid(Jobs::Id).primary_key())
                    .col(uuid_null(Jobs::TenantId))
                    .col(string_len(Jobs::Kind, 60))
                    .col(json(Jobs::Payload))
                    .col(string_len(Jobs::State, 10))
                    .col(timestamp_with_time_zone(Jobs::RunAt))
                    .col(integer(Jobs::Attempts).default(0))
                    .col(integer(Jobs::MaxAttempts))
                    .col(text_null(Jobs::LastError))
                    .col(string_len_null(Jobs::DedupeKey, 200))
                    .col(string_len_null(Jobs::LockedBy, 100))
                    .col(timestamp_with_time_zone_null(Jobs::LockedUntil))
                    .col(timestamp_with_time_zone(Jobs::CreatedAt))
                    .col(timestamp_with_time_zone(Jobs::UpdatedAt))
                    .foreign_key(&mut tenant_fk("fk_jobs_tenant", Jobs::Table))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index("idx_jobs_due", Jobs::Table, &["state", "run_at"]))
            .await?;
        let db = manager.get_connection();
        // One pending job per dedupe key: enqueueing again reschedules it. A running job
        // with the same key may coexist with its pending successor.
        db.execute_unprepared(
            "CREATE UNIQUE INDEX ux_jobs_dedupe ON jobs (dedupe_key) WHERE state = 'pending'",
        )
        .await?;

        manager
            .create_table(
                Table::create()
                    .table(Notifications::Table)
                    .col(uuid(Notifications::Id).primary_key())
                    .col(uuid(Notifications::TenantId))
                    .col(uuid(Notifications::UserId))
                    .col(string_len(Notifications::Kind, 40))
                    .col(uuid_null(Notifications::TicketId))
                    .col(string_len(Notifications::Title, 300))
                    .col(string_len(Notifications::Body, 1000))
                    .col(timestamp_with_time_zone(Notifications::CreatedAt))
                    .col(timestamp_with_time_zone_null(Notifications::ReadAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_notifications_tenant",
                        Notifications::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_notifications_user",
                Notifications::Table,
                &["tenant_id", "user_id", "created_at"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(BusinessCalendars::Table)
                    .col(uuid(BusinessCalendars::Id).primary_key())
                    .col(uuid(BusinessCalendars::TenantId))
                    .col(string_len(BusinessCalendars::Name, 80))
                    .col(json(BusinessCalendars::Spec))
                    .col(timestamp_with_time_zone(BusinessCalendars::CreatedAt))
                    .col(timestamp_with_time_zone(BusinessCalendars::UpdatedAt))
                    .foreign_key(&mut tenant_fk(
                        "fk_calendars_tenant",
                        BusinessCalendars::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_calendars_tenant_name",
                    BusinessCalendars::Table,
                    &["tenant_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(SlaPolicies::Table)
                    .col(uuid(SlaPolicies::Id).primary_key())
                    .col(uuid(SlaPolicies::TenantId))
                    .col(string_len(SlaPolicies::Name, 80))
                    .col(integer(SlaPolicies::Position))
                    .col(json(SlaPolicies::Kinds))
                    .col(json(SlaPolicies::Priorities))
                    .col(uuid_null(SlaPolicies::QueueId))
                    .col(uuid_null(SlaPolicies::CalendarId))
                    .col(big_integer_null(SlaPolicies::FirstResponseSecs))
                    .col(big_integer_null(SlaPolicies::ResolutionSecs))
                    .col(small_integer(SlaPolicies::DueSoonPercent))
                    .col(json(SlaPolicies::PauseStatuses))
                    .col(string_len_null(SlaPolicies::EscalatePriority, 2))
                    .col(uuid_null(SlaPolicies::EscalateQueueId))
                    .col(boolean(SlaPolicies::Enabled).default(true))
                    .col(timestamp_with_time_zone(SlaPolicies::CreatedAt))
                    .col(timestamp_with_time_zone(SlaPolicies::UpdatedAt))
                    .foreign_key(&mut tenant_fk("fk_sla_policies_tenant", SlaPolicies::Table))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_sla_policies_calendar")
                            .from(SlaPolicies::Table, SlaPolicies::CalendarId)
                            .to(BusinessCalendars::Table, BusinessCalendars::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "ux_sla_policies_tenant_name",
                    SlaPolicies::Table,
                    &["tenant_id", "name"],
                )
                .unique()
                .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketSlaEvents::Table)
                    .col(
                        big_integer(TicketSlaEvents::Id)
                            .primary_key()
                            .auto_increment(),
                    )
                    .col(uuid(TicketSlaEvents::TenantId))
                    .col(uuid(TicketSlaEvents::TicketId))
                    .col(timestamp_with_time_zone(TicketSlaEvents::At))
                    .col(string_len(TicketSlaEvents::Kind, 30))
                    .col(json(TicketSlaEvents::Data))
                    .foreign_key(&mut tenant_fk(
                        "fk_ticket_sla_events_tenant",
                        TicketSlaEvents::Table,
                    ))
                    .foreign_key(&mut ticket_fk(
                        "fk_ticket_sla_events_ticket",
                        TicketSlaEvents::Table,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_ticket_sla_events_ticket",
                TicketSlaEvents::Table,
                &["ticket_id", "id"],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TicketSlas::Table)
                    .col(uuid(TicketSlas::TicketId).primary_key())
                    .col(uuid(TicketSlas::TenantId))
                    .col(uuid_null(TicketSlas::PolicyId))
                    .col(uuid_null(TicketSlas::CalendarId))
                    .col(json(TicketSlas::Targets))
                    .col(timestamp_with_time_zone_null(TicketSlas::ResponseDueAt))
                    .col(timestamp_with_time_zone_null(TicketSlas::ResolutionDueAt))
                    .col(string_len(TicketSlas::ResponseState, 12))
                    .col(string_len(TicketSlas::ResolutionState, 12))
                    .col(timestamp_with_time_zone_null(TicketSlas::DueSoonAt))
                    .col(timestamp_with_time_zone_null(TicketSlas::BreachedAt))
                    .col(boolean(TicketSlas::DueSoonNotified).default(false))
                    .col(boolean(TicketSlas::BreachNotified).default(false))
                    .col(timestamp_with_time_zone(TicketSlas::UpdatedAt))
                    .foreign_key(&mut tenant_fk("fk_ticket_slas_tenant", TicketSlas::Table))
                    .foreign_key(&mut ticket_fk("fk_ticket_slas_ticket", TicketSlas::Table))
                    .to_owned(),
            )
            .await?;

        // The ticket carries a summary of its clock for lists: sort by next due, filter
        // breached / due soon.
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(string_len_null(Tickets::SlaState, 12))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Tickets::Table)
                    .add_column(timestamp_with_time_zone_null(Tickets::SlaNextDueAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_tickets_sla_due",
                Tickets::Table,
                &["tenant_id", "sla_next_due_at"],
            ))
            .await?;

        for table in [
            "jobs",
            "notifications",
            "business_calendars",
            "sla_policies",
            "ticket_sla_events",
            "ticket_slas",
        ] {
            dialect::enable_tenant_rls(db, table).await?;
        }
        // Workers claim jobs and read the outbox across tenants; everything they then
        // do to tenant data runs in a tenant-scoped transaction.
        dialect::allow_system_workers(db, "jobs").await?;
        dialect::allow_system_workers(db, "events").await?;
        dialect::make_append_only(db, "ticket_sla_events").await?;
        Ok(())
    }

    async fn down(&self, _manager: &SchemaManager) -> Result<(), DbErr> {
        Err(DbErr::Migration(
            "migrations are forward-only; restore a backup to go back".into(),
        ))
    }
}
