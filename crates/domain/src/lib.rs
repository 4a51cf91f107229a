//! Pure domain rules of Catalyst ITSM: identifiers, validated input types, roles and
//! permissions, the audit hash chain and the API token format. No I/O, no async.

pub mod audit;
pub mod calendar;
pub mod ids;
pub mod role;
pub mod sla;
pub mod ticket;
pub mod token;
pub mod validation;

pub use calendar::{Calendar, Holiday, OpeningInterval};
pub use ids::{TenantId, UserId};
pub use role::{Permission, Role};
pub use ticket::{Changer, Impact, Priority, PriorityMatrix, Status, TicketKind, Urgency};
pub use validation::{DisplayName, Email, FieldError, Password, TenantName, TenantSlug};
