//! Building and running the server: store, migrations, router, workers, shutdown.

use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio::runtime::Handle;

use catalyst_app::{App, AppSettings, SystemClock};
use catalyst_store::blob::BlobStore;
use catalyst_store::sea_orm::DatabaseBackend;
use catalyst_store::{Store, StoreOptions};

use crate::config::Config;
use crate::http::{self, AppState};

/// Connects to the database named by the configuration (creating the data dir).
pub async fn connect(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let opts = StoreOptions {
        durability: config.sqlite_durability,
        ..StoreOptions::new(config.database_url.expose())
    };
    Store::connect(&opts)
        .await
        .context("connecting to the database")
}

/// Applies migrations with the owner connection (`DATABASE_MIGRATE_URL`) when given.
pub async fn migrate(config: &Config) -> anyhow::Result<()> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    let url = config
        .database_migrate_url
        .as_ref()
        .unwrap_or(&config.database_url);
    Store::migrate_as_owner(url.expose(), config.database_app_role.as_deref())
        .await
        .context("applying migrations")
}

pub fn app(store: Store, config: &Config) -> anyhow::Result<App> {
    let app = App::new(
        store,
        Arc::new(SystemClock),
        AppSettings {
            session_ttl: config.session_ttl,
            ..AppSettings::default()
        },
    );
    Ok(app
        .with_signing_key(&signing_key(config)?)
        .with_blobs(blobs(config)?)
        .with_mail(mail_config(config)?))
}

/// The configured signing key, else the one kept in the data directory.
fn signing_key(config: &Config) -> anyhow::Result<Vec<u8>> {
    match &config.signing_key {
        Some(k) => Ok(k.expose().as_bytes().to_vec()),
        None => local_signing_key(&config.data_dir),
    }
}

/// Email settings of the process: transport, default sender, links, limits.
pub fn mail_config(config: &Config) -> anyhow::Result<catalyst_app::mail::MailConfig> {
    use crate::config::EmailProvider;
    catalyst_mail::install_crypto_provider();
    let transport = match config.email.provider {
        EmailProvider::File => catalyst_app::mail::MailConfig::outbox(&config.data_dir),
        EmailProvider::Log => catalyst_mail::Transport::Log,
        EmailProvider::Smtp => {
            let security = config.email.smtp_security;
            let port = config.email.smtp_port.unwrap_or(match security {
                catalyst_mail::Security::Tls => 465,
                catalyst_mail::Security::Starttls => 587,
                catalyst_mail::Security::None => 25,
            });
            catalyst_mail::Transport::smtp(&catalyst_mail::SmtpSettings {
                host: config.email.smtp_host.clone().unwrap_or_default(),
                port,
                security,
                username: config.email.smtp_username.clone(),
                password: config
                    .email
                    .smtp_password
                    .as_ref()
                    .map(|p| p.expose().to_string()),
                ca_pem: None,
                timeout: std::time::Duration::from_secs(30),
            })
            .context("SMTP settings")?
        }
    };
    let domain = config
        .email
        .from
        .rsplit_once('@')
        .map(|(_, d)| d.to_string())
        .unwrap_or_else(|| "localhost".into());
    Ok(catalyst_app::mail::MailConfig {
        transport,
        default_from: config.email.from.clone(),
        message_id_domain: domain,
        web_base_url: config.web_base_url.clone(),
        max_attachment_bytes: config.file_max_mb * 1024 * 1024,
        max_message_bytes: 40 * 1024 * 1024,
    })
}

/// This node's search index in the data directory (`<data_dir>/search`), created or
/// rebuilt as needed; the indexer fills it from the database.
pub fn search(config: &Config) -> anyhow::Result<catalyst_app::search::SearchService> {
    let dir = config.data_dir.join("search");
    catalyst_app::search::SearchService::open(&dir).map_err(|e| {
        anyhow::anyhow!(
            "opening the search index in {} (is another Catalyst process using this data directory?): {e}",
            dir.display()
        )
    })
}

/// The attachment store named by the configuration.
pub fn blobs(config: &Config) -> anyhow::Result<BlobStore> {
    let key = signing_key(config)?;
    BlobStore::open(
        config.blob_url.as_deref(),
        config.blob_conn.as_ref().map(|s| s.expose()),
        &config.data_dir,
        key,
    )
    .context("opening the attachment store (BLOB_URL / BLOB_CONN)")
}

/// A signing secret kept in the data directory, created on first use.
fn local_signing_key(data_dir: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let path = data_dir.join("signing.key");
    match std::fs::read(&path) {
        Ok(k) if k.len() >= 32 => return Ok(k),
        Ok(_) => anyhow::bail!(
            "{} is too short: delete it to generate a new one",
            path.display()
        ),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    }
    std::fs::create_dir_all(data_dir)?;
    let key = hex::encode(rand::random::<[u8; 32]>()).into_bytes();
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    use std::io::Write;
    let mut f = opts
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(&key)?;
    f.sync_all()?;
    Ok(key)
}

pub fn state(app: App, config: Config) -> AppState {
    AppState {
        app,
        config: Arc::new(config),
        metrics: crate::telemetry::metrics_handle(),
        write_lane: None,
    }
}

/// On SQLite (one writer), the runtime that writes run on: requests that change data and
/// the background workers. None on PostgreSQL.
pub fn write_lane(store: &Store) -> std::io::Result<Option<http::lane::WriteLane>> {
    match store.backend() {
        DatabaseBackend::Sqlite => http::lane::WriteLane::start().map(Some),
        _ => Ok(None),
    }
}

/// Runs the server until SIGTERM or Ctrl-C; in-flight requests are allowed to finish.
pub async fn serve(config: Config, demo: bool) -> anyhow::Result<()> {
    let mut store = connect(&config).await?;
    // Migrate only when needed, so a server holding just the application role's URL
    // starts once an operator has migrated with the owner role.
    if !store.pending_migrations().await?.is_empty() {
        migrate(&config).await?;
        store = connect(&config).await?;
    }
    for weakness in catalyst_store::dialect::role_weaknesses(store.writer()).await? {
        tracing::warn!(
            "row-level security is not enforced: {weakness}; connect with a plain application role (see docs/operator-guide.md)"
        );
    }
    let app = app(store, &config)?.with_search(search(&config)?);
    if demo {
        let created = app
            .ensure_demo()
            .await
            .context("creating the demo tenant")?;
        print_demo(&config, &created);
    }
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "Catalyst is listening");
    eprintln!("Catalyst is listening on http://{addr}");

    match app.recover_jobs_at_start().await {
        Ok(n) if n > 0 => tracing::info!(jobs = n, "jobs cut off by the last stop run again"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "recovering cut-off jobs failed"),
    }
    match app.seal_stored_secrets().await {
        Ok(n) if n > 0 => tracing::info!(tenants = n, "IMAP passwords moved to sealed storage"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sealing stored IMAP passwords failed"),
    }
    let lane = write_lane(app.store())?;
    let lane_handle = lane.as_ref().and_then(http::lane::WriteLane::handle);
    // On the lane: the group writer (SQLite), and the background workers, which write too
    // (jobs, timers, the search indexer's cursor).
    let mut workers = {
        let _on_lane = lane_handle.as_ref().map(Handle::enter);
        let mut w = crate::workers::spawn(app.clone());
        w.extend(app.start_group_commit());
        w
    };
    workers.push(crate::telemetry::spawn_metrics_upkeep(
        crate::telemetry::metrics_handle(),
    ));
    workers.push(crate::workers::spawn_imap_poller(
        app.clone(),
        config.email.imap_poll_secs,
    ));
    let router = http::router(AppState {
        write_lane: lane_handle,
        ..state(app, config)
    });
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .context("serving HTTP")?;
    for w in workers {
        w.abort();
    }
    drop(lane);
    tracing::info!("Catalyst stopped");
    Ok(())
}

fn print_demo(config: &Config, created: &[catalyst_app::demo::DemoAccount]) {
    if created.is_empty() {
        eprintln!(
            "Demo tenant 'demo' is ready (accounts already existed; their passwords were shown when they were created)."
        );
        return;
    }
    eprintln!(
        "Demo tenant 'demo' created. Sign in at {}/signin with:",
        config.web_base_url
    );
    for a in created {
        eprintln!("  {:<10} {:<26} {}", a.role, a.email, a.password);
    }
    eprintln!("These passwords are shown only once.");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::warn!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutting down");
}
