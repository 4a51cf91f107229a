//! Migrations: forward-only, embedded, named by date, one set for SQLite and PostgreSQL.
//! Backend-specific statements (row-level security, triggers) live in `crate::dialect`.

use sea_orm_migration::prelude::*;

mod m20261126_000001_foundation;
mod m20261126_000002_tickets;
mod m20261126_000003_jobs_sla;
mod m20261126_000004_knowledge_base;
mod m20261126_000005_mail;
mod m20261127_000006_mail_secrets;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261126_000001_foundation::Migration),
            Box::new(m20261126_000002_tickets::Migration),
            Box::new(m20261126_000003_jobs_sla::Migration),
            Box::new(m20261126_000004_knowledge_base::Migration),
            Box::new(m20261126_000005_mail::Migration),
            Box::new(m20261127_000006_mail_secrets::Migration),
        ]
    }
}
