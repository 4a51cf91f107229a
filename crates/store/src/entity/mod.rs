//! SeaORM entities, one module per table.

pub mod api_token;
pub mod audit_log;
pub mod business_calendar;
pub mod event;
pub mod idempotency_key;
pub mod job;
pub mod notification;
pub mod queue;
pub mod saved_filter;
pub mod session;
pub mod sla_policy;
pub mod tenant;
pub mod tenant_member;
pub mod tenant_setting;
pub mod ticket;
pub mod ticket_attachment;
pub mod ticket_comment;
pub mod ticket_counter;
pub mod ticket_event;
pub mod ticket_sla;
pub mod ticket_sla_event;
pub mod user;
