//! Repositories: small functions over any connection or transaction. Tenant-scoped
//! functions take the tenant and filter on it in every query.

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
