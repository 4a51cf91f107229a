//! Repositories: small functions over any connection or transaction. Tenant-scoped
//! functions take the tenant and filter on it in every query.

use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveModelTrait, ConnectionTrait, DbErr, EntityTrait};

pub mod audit;
pub mod changes;
pub mod events;
pub mod idempotency;
pub mod jobs;
pub mod kb;
pub mod mail;
pub mod members;
pub mod notifications;
pub mod queues;
pub mod search;
pub mod sessions;
pub mod sla;
pub mod tenants;
pub mod tickets;
pub mod tokens;
pub mod users;

/// Rows per multi-row INSERT: well below SQLite's limit of 32,766 bound values for the
/// widest table written in batches.
pub(crate) const INSERT_CHUNK: usize = 200;

/// Inserts rows in multi-row statements of [`INSERT_CHUNK`] rows, with `on_conflict` if
/// given.
pub(crate) async fn insert_chunked<A>(
    db: &impl ConnectionTrait,
    rows: &[A],
    on_conflict: Option<&OnConflict>,
) -> Result<(), DbErr>
where
    A: ActiveModelTrait + Clone,
{
    for chunk in rows.chunks(INSERT_CHUNK) {
        let q = <A::Entity as EntityTrait>::insert_many(chunk.to_vec());
        match on_conflict {
            Some(oc) => q.on_conflict(oc.clone()).exec_without_returning(db).await?,
            None => q.exec_without_returning(db).await?,
        };
    }
    Ok(())
}
