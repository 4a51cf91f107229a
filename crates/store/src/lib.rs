//! Storage for Catalyst: SeaORM entities and migrations for SQLite and PostgreSQL, the
//! connection set-up for each, tenant-scoped transactions and the repositories.
//!
//! Every tenant-scoped query filters on `tenant_id` here; on PostgreSQL each transaction
//! is also scoped with `app.tenant_id` so row-level security holds even if a query forgot.

pub mod blob;
pub mod dialect;
pub mod entity;
mod migration;
pub mod repo;
#[cfg(feature = "testing")]
pub mod testing;

use std::str::FromStr;
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseBackend, DatabaseConnection, DatabaseTransaction,
    DbErr, IsolationLevel, SqlErr, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

pub use migration::Migrator;
pub use sea_orm;

use catalyst_domain::{TenantId, UserId};

/// Errors of the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated; `constraint` names the field at fault.
    #[error("duplicate value for {constraint}")]
    Duplicate { constraint: &'static str },
    #[error("database error: {0}")]
    Db(#[from] DbErr),
    #[error("invalid database configuration: {0}")]
    Config(String),
}

/// A query that sea-query could not build (say, values that do not match its columns).
impl From<sea_orm::sea_query::error::Error> for StoreError {
    fn from(e: sea_orm::sea_query::error::Error) -> Self {
        StoreError::Db(DbErr::Custom(e.to_string()))
    }
}

impl StoreError {
    /// Maps a unique-constraint violation to a field name; other errors pass through.
    pub fn from_insert(err: DbErr, field: &'static str) -> Self {
        match err.sql_err() {
            Some(SqlErr::UniqueConstraintViolation(_)) => {
                StoreError::Duplicate { constraint: field }
            }
            _ => StoreError::Db(err),
        }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// SQLite's `synchronous` setting: `Full` makes every acknowledged commit survive power
/// loss; `Normal` (with WAL) survives a crash of the process but may lose the last
/// commits on power loss, for fewer fsyncs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Durability {
    #[default]
    Full,
    Normal,
}

impl FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "full" => Ok(Durability::Full),
            "normal" => Ok(Durability::Normal),
            other => Err(format!("expected full or normal, got {other:?}")),
        }
    }
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    /// SQLite: size of the read-only pool beside the single writer.
    pub sqlite_readers: u32,
    /// PostgreSQL: maximum pool size.
    pub pg_max_connections: u32,
    pub busy_timeout: Duration,
    pub durability: Durability,
}

impl StoreOptions {
    pub fn new(url: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            sqlite_readers: 4,
            pg_max_connections: 16,
            busy_timeout: Duration::from_secs(5),
            durability: Durability::Full,
        }
    }
}

/// What a transaction is scoped to. On PostgreSQL this sets `app.tenant_id` and
/// `app.user_id` for row-level security.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Tables without tenant data only (tenants, users, sessions).
    Global,
    /// The rows of one tenant.
    Tenant(TenantId),
    /// One user's own rows across tenants (their memberships).
    User(UserId),
    /// One tenant, acting as one user.
    TenantUser(TenantId, UserId),
    /// Job workers and outbox consumers: the queue tables (`jobs`, `events`) of every
    /// tenant, nothing else of tenant data.
    System,
}

impl Scope {
    pub(crate) fn parts(self) -> (Option<TenantId>, Option<UserId>) {
        match self {
            Scope::Global | Scope::System => (None, None),
            Scope::Tenant(t) => (Some(t), None),
            Scope::User(u) => (None, Some(u)),
            Scope::TenantUser(t, u) => (Some(t), Some(u)),
        }
    }
}

/// The database: on SQLite one writer connection and a read-only pool; on PostgreSQL one
/// pool for both.
#[derive(Clone, Debug)]
pub struct Store {
    writer: DatabaseConnection,
    reader: DatabaseConnection,
}

/// A pooled connection is pinged before it is handed out only when it has been idle this
/// long. Pinging on every checkout (the pool's default) costs a round trip per transaction:
/// on SQLite a hand-off to the connection's thread and back, a tenth of a short read's
/// cost; a busy connection has just proved itself.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);

fn is_sqlite(url: &str) -> bool {
    url.starts_with("sqlite:")
}

impl Store {
    pub async fn connect(opts: &StoreOptions) -> Result<Self> {
        if is_sqlite(&opts.url) {
            let writer = Database::connect(sqlite_options(opts, 1, false)).await?;
            let reader =
                Database::connect(sqlite_options(opts, opts.sqlite_readers.max(1), true)).await?;
            Ok(Self { writer, reader })
        } else if opts.url.starts_with("postgres:") || opts.url.starts_with("postgresql:") {
            let mut o = ConnectOptions::new(opts.url.clone());
            o.max_connections(opts.pg_max_connections)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
                .sqlx_logging(false);
            let db = Database::connect(o).await?;
            Ok(Self {
                writer: db.clone(),
                reader: db,
            })
        } else {
            Err(StoreError::Config(
                "DATABASE_URL must start with sqlite: or postgres:".into(),
            ))
        }
    }

    pub fn backend(&self) -> DatabaseBackend {
        self.writer.get_database_backend()
    }

    /// Applies pending migrations over this connection.
    pub async fn migrate(&self) -> Result<()> {
        Migrator::up(&self.writer, None).await?;
        Ok(())
    }

    /// Applies pending migrations as the owner role at `url` and, on PostgreSQL, grants
    /// `app_role` its privileges.
    pub async fn migrate_as_owner(url: &str, app_role: Option<&str>) -> Result<()> {
        let owner = Store::connect(&StoreOptions {
            pg_max_connections: 2,
            ..StoreOptions::new(url)
        })
        .await?;
        owner.migrate().await?;
        if let Some(role) = app_role {
            dialect::grant_app_role(&owner.writer, role).await?;
        }
        owner.writer.close_by_ref().await?;
        owner.reader.close_by_ref().await.ok();
        Ok(())
    }

    /// Names of migrations known to this binary but not applied to the database.
    pub async fn pending_migrations(&self) -> Result<Vec<String>> {
        Ok(Migrator::get_pending_migrations_read_only(&self.reader)
            .await?
            .iter()
            .map(|m| m.name().to_string())
            .collect())
    }

    /// Round-trips a trivial query.
    pub async fn ping(&self) -> Result<()> {
        self.reader.ping().await?;
        Ok(())
    }

    /// A read-write transaction scoped to `scope`.
    pub async fn write(&self, scope: Scope) -> Result<DatabaseTransaction> {
        let tx = self.writer.begin().await?;
        let (t, u) = scope.parts();
        dialect::set_scope(&tx, t, u, scope == Scope::System).await?;
        Ok(tx)
    }

    /// A read-only transaction scoped to `scope` (a consistent snapshot).
    pub async fn read(&self, scope: Scope) -> Result<DatabaseTransaction> {
        let tx = if self.backend() == DatabaseBackend::Postgres {
            self.reader
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await?
        } else {
            self.reader.begin().await?
        };
        let (t, u) = scope.parts();
        dialect::set_scope(&tx, t, u, scope == Scope::System).await?;
        Ok(tx)
    }

    /// The writer connection, for maintenance and tests.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.writer
    }

    pub async fn close(self) {
        self.writer.close_by_ref().await.ok();
        self.reader.close_by_ref().await.ok();
    }
}

fn sqlite_options(opts: &StoreOptions, max: u32, read_only: bool) -> ConnectOptions {
    let mut o = ConnectOptions::new(opts.url.clone());
    let busy = opts.busy_timeout;
    let sync = match opts.durability {
        Durability::Full => SqliteSynchronous::Full,
        Durability::Normal => SqliteSynchronous::Normal,
    };
    o.max_connections(max)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(30))
        .test_before_acquire_if_idle_for(PING_IF_IDLE_FOR)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(move |s| {
            s.create_if_missing(!read_only)
                .read_only(read_only)
                .journal_mode(SqliteJournalMode::Wal)
                .busy_timeout(busy)
                .foreign_keys(true)
                .synchronous(sync)
        });
    o
}
