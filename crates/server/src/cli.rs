//! The `catalyst` command line.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use catalyst_app::members::NewMember;
use catalyst_app::{AppError, SystemActor};

use crate::config::{self, Config, Overrides, ProcessEnv};
use crate::startup;

#[derive(Parser, Debug)]
#[command(
    name = "catalyst",
    version,
    about = "Catalyst: multi-tenant IT service management",
    long_about = "Catalyst: multi-tenant IT service management.\n\nConfiguration is read from built-in defaults, then catalyst.toml (or --config), then the environment (DATABASE_URL, CATALYST_DATA_DIR, CATALYST_LISTEN, WEB_BASE_URL, FILE_MAX_MB, ...), then flags. See docs/operator-guide.md.",
    after_help = "Exit codes: 0 success, 2 usage error or invalid input, 1 any other failure."
)]
pub struct Cli {
    /// Configuration file (TOML). Default: ./catalyst.toml if it exists.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run migrations, then serve the API, the web UI and background workers.
    Serve(ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Inspect the configuration.
    #[command(subcommand)]
    Config(ConfigCmd),
    /// Create and list tenants (organisations).
    #[command(subcommand)]
    Tenant(TenantCmd),
    /// Create users and add them to tenants.
    #[command(subcommand)]
    User(UserCmd),
    /// Create and revoke API tokens.
    #[command(subcommand)]
    Token(TokenCmd),
    /// Check the audit log.
    #[command(subcommand)]
    Audit(AuditCmd),
    /// Demo and benchmark data.
    #[command(subcommand)]
    Demo(DemoCmd),
    /// Maintain this node's search index.
    #[command(subcommand)]
    Search(SearchCmd),
    /// Email: feed a message into a tenant's inbound pipeline.
    #[command(subcommand)]
    Mail(MailCmd),
    /// Inspect and retry background jobs (notifications, SLA timers, …).
    #[command(subcommand)]
    Jobs(JobsCmd),
}

#[derive(Subcommand, Debug)]
enum SearchCmd {
    /// Rebuild the search index in the data directory from the database (all tenants, or
    /// one) and compare its counts with the database. Stop the server of this data
    /// directory first, or use the admin area's reindex button while it runs.
    Reindex {
        #[arg(long, value_name = "SLUG")]
        tenant: Option<String>,
    },
}

#[derive(Subcommand, Debug)]
enum MailCmd {
    /// Read one raw RFC 5322 message from standard input and ingest it for the tenant
    /// (as from IMAP or the HTTP endpoint): it opens a ticket, is added to one, is a
    /// duplicate, or is quarantined. For MTA pipes: `| catalyst mail ingest --tenant acme`.
    Ingest {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
    },
}

#[derive(Subcommand, Debug)]
enum JobsCmd {
    /// Queue depth, and with `--dead` the jobs that ran out of attempts.
    List {
        #[arg(long)]
        dead: bool,
    },
    /// Put a dead job back in the queue, due now.
    Retry {
        #[arg(value_name = "JOB_ID")]
        id: uuid::Uuid,
    },
}

#[derive(Subcommand, Debug)]
enum DemoCmd {
    /// Fill a tenant with many tickets (for load tests): spread over `--requesters`
    /// requester accounts that are created if missing, in the tenant's queues.
    Seed {
        #[arg(long, value_name = "SLUG", default_value = "demo")]
        tenant: String,
        #[arg(long, default_value_t = 1000)]
        tickets: u64,
        #[arg(long, default_value_t = 50)]
        requesters: u64,
    },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Address to listen on, e.g. 127.0.0.1:8080 (overrides CATALYST_LISTEN).
    #[arg(long, value_name = "ADDR")]
    listen: Option<String>,
    /// Directory for the database, files and indexes (overrides CATALYST_DATA_DIR).
    #[arg(long, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// Create the demo tenant with an admin, an agent and a requester (once), and print
    /// their generated passwords.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Print the effective configuration, with secrets redacted.
    Show,
}

#[derive(Subcommand, Debug)]
enum TenantCmd {
    /// Create a tenant.
    Create {
        /// Short name used in URLs and commands: lowercase letters, digits, hyphens.
        slug: String,
        /// Display name.
        #[arg(long)]
        name: String,
    },
    /// List tenants.
    List,
}

#[derive(Subcommand, Debug)]
enum UserCmd {
    /// Create an account in a tenant, or add an existing account to another tenant.
    Create {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[arg(long)]
        email: String,
        /// requester, agent or admin.
        #[arg(long)]
        role: String,
        /// Display name (new accounts; default: the part of the email before @).
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input (new accounts). Without it a new
        /// account gets a generated password, printed once.
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
enum TokenCmd {
    /// Create an API token for a member; the token is the last line of output.
    Create {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[arg(long)]
        email: String,
        /// A label to recognise the token by.
        #[arg(long)]
        name: String,
    },
    /// Revoke a member's token by its label or id.
    Revoke {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
        #[arg(long)]
        email: String,
        /// The token's label or id.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand, Debug)]
enum AuditCmd {
    /// Recompute a tenant's audit hash chain and report the first broken link.
    Verify {
        #[arg(long, value_name = "SLUG")]
        tenant: String,
    },
}

/// A failure with its exit code.
struct Failure {
    code: u8,
    message: String,
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure {
            code: 1,
            message: format!("{e:#}"),
        }
    }
}

impl From<AppError> for Failure {
    fn from(e: AppError) -> Self {
        let code = match e {
            AppError::Validation(_) => 2,
            _ => 1,
        };
        Failure {
            code,
            message: e.to_string(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("error: {}", f.message.lines().next().unwrap_or_default());
            ExitCode::from(f.code)
        }
    }
}

async fn run(cli: Cli) -> Result<(), Failure> {
    let overrides = match &cli.command {
        Command::Serve(a) => Overrides {
            listen: a.listen.clone(),
            data_dir: a.data_dir.clone(),
        },
        _ => Overrides::default(),
    };
    let cfg =
        Config::load(cli.config.as_deref(), &ProcessEnv, &overrides).map_err(|e| Failure {
            code: 2,
            message: e.to_string(),
        })?;
    let quiet = !matches!(cli.command, Command::Serve(_));
    crate::telemetry::init_logging(if quiet { "warn" } else { &cfg.log_level }, cfg.log_format);
    for k in config::unknown_env_keys(&ProcessEnv) {
        tracing::warn!("unknown environment variable {k} is ignored");
        if quiet {
            eprintln!("warning: unknown environment variable {k} is ignored");
        }
    }

    match cli.command {
        Command::Serve(a) => startup::serve(cfg, a.demo).await?,
        Command::Migrate => {
            startup::migrate(&cfg).await?;
            println!("migrations applied");
        }
        Command::Config(ConfigCmd::Show) => print!("{}", cfg.show()),
        Command::Tenant(cmd) => {
            let app = open(&cfg).await?;
            match cmd {
                TenantCmd::Create { slug, name } => {
                    let t = app.create_tenant(&SystemActor::cli(), &slug, &name).await?;
                    println!("created tenant {} ({}) id {}", t.slug, t.name, t.id);
                }
                TenantCmd::List => {
                    for t in app.list_tenants().await? {
                        println!("{}\t{}\t{}", t.slug, t.name, t.id);
                    }
                }
            }
        }
        Command::User(UserCmd::Create {
            tenant,
            email,
            role,
            name,
            password_stdin,
        }) => {
            let app = open(&cfg).await?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .map_err(|e| Failure {
                        code: 1,
                        message: format!("reading the password from stdin: {e}"),
                    })?;
                (s.trim_end_matches(['\r', '\n']).to_string(), false)
            } else {
                use base64::Engine;
                let p = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(rand::random::<[u8; 15]>());
                (p, true)
            };
            let added = app
                .add_member(
                    &SystemActor::cli(),
                    NewMember {
                        tenant_slug: &tenant,
                        email: &email,
                        name: name.as_deref(),
                        role: &role,
                        password: Some(&password),
                    },
                )
                .await?;
            if added.created_account {
                println!("created account {email} as {role} in {}", added.tenant.slug);
                if generated {
                    println!("generated password (shown once): {password}");
                }
            } else {
                println!(
                    "added existing account {email} to {} as {role} (password unchanged)",
                    added.tenant.slug
                );
            }
        }
        Command::Token(TokenCmd::Create {
            tenant,
            email,
            name,
        }) => {
            let app = open(&cfg).await?;
            let t = app
                .create_token(&SystemActor::cli(), &tenant, &email, &name)
                .await?;
            println!(
                "created token {:?} (id {}) for {email} in {tenant}; it is shown only once:",
                t.name, t.id
            );
            println!("{}", t.token);
        }
        Command::Token(TokenCmd::Revoke {
            tenant,
            email,
            name,
        }) => {
            let app = open(&cfg).await?;
            let n = app
                .revoke_token(&SystemActor::cli(), &tenant, &email, &name)
                .await?;
            println!("revoked {n} token(s)");
        }
        Command::Demo(DemoCmd::Seed {
            tenant,
            tickets,
            requesters,
        }) => {
            let app = open(&cfg).await?;
            let started = std::time::Instant::now();
            let mut last_report = started;
            app.seed_tickets(&tenant, tickets, requesters, |done| {
                if last_report.elapsed().as_secs() >= 2 || done == tickets {
                    last_report = std::time::Instant::now();
                    let pct = done * 100 / tickets.max(1);
                    eprint!("\rseeding {tenant}: {done}/{tickets} tickets ({pct}%)   ");
                }
            })
            .await?;
            eprintln!();
            let secs = started.elapsed().as_secs_f64();
            println!(
                "created {tickets} tickets in {secs:.1} s ({:.0}/s)",
                tickets as f64 / secs.max(0.001)
            );
        }
        Command::Search(SearchCmd::Reindex { tenant }) => {
            let app = open(&cfg).await?.with_search(startup::search(&cfg)?);
            let bar = indicatif::ProgressBar::new(0).with_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} reindexing [{bar:40}] {pos}/{len} documents ({per_sec}, {eta} left)",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let reports = app
                .reindex(&SystemActor::cli(), tenant.as_deref(), &|done, total| {
                    bar.set_length(total);
                    bar.set_position(done);
                })
                .await?;
            bar.finish_and_clear();
            let mut mismatched = 0;
            for r in &reports {
                let verdict = if r.matches() {
                    "ok"
                } else {
                    mismatched += 1;
                    "MISMATCH"
                };
                println!(
                    "{:<20} tickets {}/{}  articles {}/{}  (index/database)  {verdict}",
                    r.tenant, r.index_tickets, r.db_tickets, r.index_articles, r.db_articles
                );
            }
            if mismatched > 0 {
                return Err(Failure {
                    code: 1,
                    message: format!(
                        "{mismatched} tenant(s) differ from the database (was the server writing meanwhile?)"
                    ),
                });
            }
        }
        Command::Mail(MailCmd::Ingest { tenant }) => {
            use tokio::io::AsyncReadExt;
            let mut raw = Vec::new();
            tokio::io::stdin()
                .read_to_end(&mut raw)
                .await
                .map_err(|e| Failure {
                    code: 1,
                    message: format!("reading standard input: {e}"),
                })?;
            let app = open(&cfg).await?;
            let outcome = app
                .ingest_email_for_slug(&tenant, &raw, catalyst_app::mail::Source::Cli)
                .await?;
            use catalyst_app::mail::IngestOutcome as O;
            match outcome {
                O::Created {
                    number,
                    match_reason,
                    ..
                } => println!("created {number} ({match_reason})"),
                O::Appended {
                    number,
                    match_reason,
                    ..
                } => println!("appended to {number} ({match_reason})"),
                O::Duplicate => println!("duplicate: already ingested"),
                O::Quarantined { id, reason } => println!("quarantined ({reason}) id {id}"),
            }
        }
        Command::Jobs(JobsCmd::List { dead }) => {
            let app = open(&cfg).await?;
            let s = app.job_stats().await?;
            println!(
                "pending {} (due now {}), running {}, dead {}",
                s.pending, s.due, s.running, s.dead
            );
            if let Some(oldest) = s.oldest_due {
                println!("oldest due job was due at {}", oldest.to_rfc3339());
            }
            if dead {
                for (tenant, j) in app.dead_jobs_all(1000).await? {
                    println!(
                        "{}\t{}\ttenant {}\tattempts {}/{}\t{}",
                        j.id,
                        j.kind,
                        tenant.map(|t| t.to_string()).unwrap_or_else(|| "-".into()),
                        j.attempts,
                        j.max_attempts,
                        j.last_error.unwrap_or_default().replace('\n', " ")
                    );
                }
            }
        }
        Command::Jobs(JobsCmd::Retry { id }) => {
            let app = open(&cfg).await?;
            app.retry_job_any(id).await?;
            println!("job {id} queued again");
        }
        Command::Audit(AuditCmd::Verify { tenant }) => {
            let app = open(&cfg).await?;
            match app.verify_audit(&tenant).await? {
                Ok(head) => {
                    println!(
                        "audit log of {tenant} is intact: {} entries verified",
                        head.entries
                    );
                    println!(
                        "head hash: {} (keep it elsewhere to detect later truncation)",
                        head.head_hash
                    );
                }
                Err(link) => {
                    return Err(Failure {
                        code: 1,
                        message: format!("audit log of {tenant} is broken: {link}"),
                    });
                }
            }
        }
    }
    Ok(())
}

/// Opens the store for a one-shot command; the schema must be current.
async fn open(cfg: &Config) -> Result<catalyst_app::App, Failure> {
    let store = startup::connect(cfg).await?;
    let pending = store.pending_migrations().await.map_err(|e| Failure {
        code: 1,
        message: e.to_string(),
    })?;
    if !pending.is_empty() {
        return Err(Failure {
            code: 1,
            message: format!(
                "the database needs {} migration(s): run `catalyst migrate` first",
                pending.len()
            ),
        });
    }
    Ok(startup::app(store, cfg)?)
}
