//! Use cases of Catalyst: the only layer that changes state. Each use case takes an
//! [`Actor`] (or is a system action), checks permission, and writes rows, the audit entry
//! and the domain event in one transaction.

pub mod attachments;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod demo;
mod demo_kb;
pub mod error;
pub mod group;
pub mod jobs;
pub mod kb;
pub mod mail;
pub mod markdown;
pub mod members;
pub mod notify;
pub mod passwords;
pub mod queues;
pub mod search;
pub mod secrets;
pub mod sla;
pub mod tenants;
mod throttle;
pub mod tickets;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use catalyst_domain::{Email, Role, TenantId, UserId};
use catalyst_store::Store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::AppError;

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Tunables of the use cases.
#[derive(Debug, Clone)]
pub struct AppSettings {
    /// How long a browser session lives without activity.
    pub session_ttl: Duration,
    /// Failed sign-ins allowed per account within `throttle_window` before it is throttled.
    pub max_failures_per_account: u32,
    /// Failed sign-ins allowed per client address within `throttle_window`.
    pub max_failures_per_ip: u32,
    pub throttle_window: Duration,
}

impl Default for AppSettings {
    fn default() -> Self {
        Self {
            session_ttl: Duration::from_secs(12 * 3600),
            max_failures_per_account: 5,
            max_failures_per_ip: 20,
            throttle_window: Duration::from_secs(15 * 60),
        }
    }
}

/// The application: shared, cheap to clone.
#[derive(Clone)]
pub struct App {
    pub(crate) store: Store,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) settings: AppSettings,
    pub(crate) throttle: Arc<throttle::Throttle>,
    pub(crate) blobs: Option<catalyst_store::blob::BlobStore>,
    pub(crate) token_cache: Arc<auth::TokenCache>,
    pub(crate) jobs: Arc<jobs::JobsSignal>,
    pub(crate) live: tokio::sync::broadcast::Sender<notify::LiveSignal>,
    pub(crate) search: Option<Arc<search::SearchService>>,
    pub(crate) mail: Arc<mail::MailConfig>,
    pub(crate) sealer: Arc<secrets::Sealer>,
    pub(crate) group: Arc<group::GroupWriter>,
    pub(crate) audit_heads: Arc<audit::AuditHeads>,
    pub(crate) policy_memo: Arc<sla::PolicyMemo>,
}

impl App {
    pub fn new(store: Store, clock: Arc<dyn Clock>, settings: AppSettings) -> Self {
        Self {
            store,
            clock,
            settings,
            throttle: Arc::new(throttle::Throttle::default()),
            blobs: None,
            token_cache: Arc::new(auth::TokenCache::default()),
            jobs: Arc::new(jobs::JobsSignal::default()),
            live: tokio::sync::broadcast::channel(256).0,
            search: match search::SearchService::in_memory() {
                Ok(s) => Some(Arc::new(s)),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot create the in-memory search index");
                    None
                }
            },
            mail: Arc::new(mail::MailConfig::default()),
            sealer: Arc::new(secrets::Sealer::ephemeral()),
            group: Arc::default(),
            audit_heads: Arc::default(),
            policy_memo: Arc::default(),
        }
    }

    /// Derives the key that seals secrets stored in the database (IMAP passwords, inbound
    /// HMAC secrets) from the signing key; without it they last only as long as the process.
    pub fn with_signing_key(mut self, signing_key: &[u8]) -> Self {
        self.sealer = Arc::new(secrets::Sealer::from_signing_key(signing_key));
        self
    }

    /// Seals and opens the secrets stored in the database.
    pub fn sealer(&self) -> &secrets::Sealer {
        &self.sealer
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub fn settings(&self) -> &AppSettings {
        &self.settings
    }
}

/// A tenant as the caller sees it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TenantRef {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
}

/// Who is acting, in which tenant, with which role. Built by the HTTP layer from a
/// session or an API token, never from client-supplied fields.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: UserId,
    pub email: Email,
    pub name: String,
    pub tenant: TenantRef,
    pub role: Role,
    pub request_id: Option<String>,
}

impl Actor {
    /// Fails with `Forbidden` unless the actor's role allows the permission.
    pub fn require(&self, p: catalyst_domain::Permission) -> Result<()> {
        if self.role.allows(p) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// Who performed a system action (command line, start-up): recorded in the audit log.
#[derive(Debug, Clone)]
pub struct SystemActor {
    pub label: String,
}

impl SystemActor {
    pub fn cli() -> Self {
        Self {
            label: "system:cli".into(),
        }
    }
}
