//! Email secrets and polling lease: the IMAP password and the inbound HMAC secret are kept
//! sealed (encrypted under a key derived from the signing key) in their own columns, and
//! a per-tenant lease lets one node at a time poll a mailbox.
//!
//! Passwords written before this migration stay inside `imap_url` until the application
//! seals them at start-up (the migration has no key).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum MailSettings {
    Table,
    ImapPasswordSealed,
    InboundHmacSealed,
    ImapLeaseOwner,
    ImapLeaseUntil,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite's ALTER TABLE adds one at a time.
        for col in [
            text_null(MailSettings::ImapPasswordSealed),
            text_null(MailSettings::InboundHmacSealed),
            string_len_null(MailSettings::ImapLeaseOwner, 200),
            timestamp_with_time_zone_null(MailSettings::ImapLeaseUntil),
        ] {
            let mut col = col;
            manager
                .alter_table(
                    Table::alter()
                        .table(MailSettings::Table)
                        .add_column(&mut col)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
