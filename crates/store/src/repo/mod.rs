//! Repositories: small functions over any connection or transaction. Tenant-scoped
//! functions take the tenant and filter on it in every query.

pub mod audit;
pub mod events;
pub mod idempotency;
pub mod members;
pub mod queues;
pub mod sessions;
pub mod tenants;
pub mod tickets;
pub mod tokens;
pub mod users;
