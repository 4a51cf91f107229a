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

#[derive(DeriveIden)]
enum Tenants {
    Table,
    Id,
}

/// Foreign key from `table.tenant_id` to `tenants.id`, deleting with the tenant.
fn tenant_fk<T: IntoIden>(name: &str, table: T) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from_tbl(table)
        .from_col(Alias::new("tenant_id"))
        .to(Tenants::Table, Tenants::Id)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index on `cols` of `table`.
fn index<T: IntoIden + 'static>(name: &str, table: T, cols: &[&str]) -> IndexCreateStatement {
    let mut i = Index::create();
    i.name(name).table(table);
    for c in cols {
        i.col(Alias::new(*c));
    }
    i.to_owned()
}
