//! SeaORM entities, one module per table.

pub mod api_token;
pub mod audit_log;
pub mod event;
pub mod session;
pub mod tenant;
pub mod tenant_member;
pub mod user;
