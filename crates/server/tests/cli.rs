//! Black-box tests of the `catalyst` binary: commands, exit codes, and a server on port 0.
//! They use the same database as the other tests (SQLite, or PostgreSQL in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};

use catalyst_store::testing::TestDb;

struct Cli {
    db: TestDb,
    dir: tempfile::TempDir,
}

impl Cli {
    async fn new() -> Self {
        Cli {
            db: TestDb::new().await,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_catalyst"));
        c.args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("DATABASE_URL", &self.db.url)
            .env("DATABASE_MIGRATE_URL", &self.db.owner_url)
            .env("CATALYST_DATA_DIR", self.dir.path())
            .current_dir(self.dir.path());
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    }
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[tokio::test]
async fn tenants_users_tokens_and_audit_from_the_command_line() {
    let c = Cli::new().await;
    let o = c.run(&["migrate"]);
    assert!(o.status.success(), "{}", stderr(&o));

    let o = c.run(&["tenant", "create", "acme", "--name", "Acme Corp"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = c.run(&["tenant", "create", "Not A Slug", "--name", "X"]);
    assert_eq!(o.status.code(), Some(2), "invalid input is a usage error");
    let err = stderr(&o);
    assert!(
        err.starts_with("error: ") && err.contains("slug") && err.lines().count() == 1,
        "{err}"
    );
    let o = c.run(&["tenant", "create", "acme", "--name", "Again"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("already in use"), "{}", stderr(&o));
    let o = c.run(&["tenant", "list"]);
    assert!(
        stdout(&o).starts_with("acme\tAcme Corp\t"),
        "{}",
        stdout(&o)
    );

    let o = c.run_with_stdin(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "ada@acme.test",
            "--role",
            "admin",
            "--password-stdin",
        ],
        "a long enough password\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!stdout(&o).contains("a long enough password"));
    let o = c.run(&[
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "bob@acme.test",
        "--role",
        "agent",
    ]);
    assert!(
        stdout(&o).contains("generated password (shown once): "),
        "{}",
        stdout(&o)
    );
    let o = c.run(&[
        "user",
        "create",
        "--tenant",
        "acme",
        "--email",
        "eve@acme.test",
        "--role",
        "root",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("role"), "{}", stderr(&o));
    let o = c.run_with_stdin(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "short@acme.test",
            "--role",
            "agent",
            "--password-stdin",
        ],
        "short\n",
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("password"), "{}", stderr(&o));
    let o = c.run(&[
        "user", "create", "--tenant", "nowhere", "--email", "a@b.test", "--role", "agent",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("tenant not found"), "{}", stderr(&o));

    let o = c.run(&[
        "token",
        "create",
        "--tenant",
        "acme",
        "--email",
        "ada@acme.test",
        "--name",
        "ci",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let token = stdout(&o).lines().last().unwrap().to_string();
    assert!(token.starts_with("cat_") && token.len() > 70, "{token}");
    let o = c.run(&[
        "token",
        "revoke",
        "--tenant",
        "acme",
        "--email",
        "ada@acme.test",
        "--name",
        "ci",
    ]);
    assert!(stdout(&o).contains("revoked 1 token"), "{}", stderr(&o));

    let o = c.run(&["audit", "verify", "--tenant", "acme"]);
    assert!(o.status.success(), "{}", stderr(&o));
    // tenant.create, 2 × member.add, token.create, token.revoke
    assert!(stdout(&o).contains("intact: 5 entries"), "{}", stdout(&o));

    let o = c.run(&[
        "demo",
        "seed",
        "--tenant",
        "acme",
        "--tickets",
        "10",
        "--requesters",
        "3",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("created 10 tickets"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("10/10 tickets (100%)"),
        "progress is shown: {}",
        stderr(&o)
    );
    let o = c.run(&["audit", "verify", "--tenant", "acme"]);
    assert!(o.status.success(), "the chain stays intact: {}", stdout(&o));
    // Seeded tickets are history: no notification or email is pending for them.
    let o = c.run(&["jobs", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("pending 0 "),
        "no jobs left by the seed: {}",
        stdout(&o)
    );
    let o = c.run(&["audit", "verify", "--tenant", "nowhere"]);
    assert_eq!(o.status.code(), Some(1));
}

#[tokio::test]
async fn usage_errors_and_configuration() {
    let c = Cli::new().await;
    let o = c.run(&["frobnicate"]);
    assert_eq!(o.status.code(), Some(2));
    let o = c.run(&["--help"]);
    assert!(o.status.success());
    for cmd in [
        "serve", "migrate", "tenant", "user", "token", "audit", "config",
    ] {
        assert!(stdout(&o).contains(cmd), "--help lists {cmd}");
    }
    let o = c
        .command(&["config", "show"])
        .env("CATALYST_LISTEN", "nonsense")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("CATALYST_LISTEN"), "{}", stderr(&o));
    let o = c
        .command(&["config", "show"])
        .env(
            "DATABASE_URL",
            "postgres://app:s3cret-pw@db.internal/catalyst",
        )
        .env("CATALYST_LSTEN", "x")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !stdout(&o).contains("s3cret-pw") && stdout(&o).contains("app:***@db.internal"),
        "{}",
        stdout(&o)
    );
    assert!(
        stderr(&o).contains("CATALYST_LSTEN"),
        "unknown variables are warned about"
    );
}

/// Starts `catalyst serve --demo` on port 0, reads the address and the demo passwords,
/// and checks the probes; a second start does not print passwords again.
#[tokio::test]
async fn serve_on_port_zero_with_the_demo_tenant() {
    let c = Cli::new().await;
    for round in 0..2 {
        let mut child = c
            .command(&["serve", "--listen", "127.0.0.1:0", "--demo"])
            .env("CATALYST_LOG", "warn")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let mut out = Vec::new();
        let addr = loop {
            let line = lines.next().expect("server exited early").unwrap();
            if let Some(a) = line.strip_prefix("Catalyst is listening on http://") {
                break a.to_string();
            }
            out.push(line);
        };
        let text = out.join("\n");
        if round == 0 {
            assert!(
                text.contains("admin@demo.example") && text.contains("requester@demo.example"),
                "{text}"
            );
        } else {
            assert!(
                !text.contains("admin@demo.example"),
                "passwords are printed only once: {text}"
            );
        }
        for path in ["/healthz", "/readyz"] {
            let status = raw_get(&addr, path).await;
            assert_eq!(status, 200, "{path}");
        }
        // SIGTERM: graceful shutdown, exit 0.
        let pid = child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
}

async fn raw_get(addr: &str, path: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut buf = String::new();
    s.read_to_string(&mut buf).await.unwrap();
    buf.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn mail_ingest_reads_a_message_from_standard_input() {
    let c = Cli::new().await;
    assert!(c.run(&["migrate"]).status.success());
    assert!(
        c.run(&["tenant", "create", "acme", "--name", "Acme Corp"])
            .status
            .success()
    );
    let msg = "From: Dana <dana@example.com>\r\nTo: help@acme.test\r\nSubject: Scanner offline\r\nMessage-ID: <cli-1@example.com>\r\n\r\nThe scanner is offline.\r\n";
    let o = c.run_with_stdin(&["mail", "ingest", "--tenant", "acme"], msg);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "created INC-000001 (new_ticket)");
    let o = c.run_with_stdin(&["mail", "ingest", "--tenant", "acme"], msg);
    assert_eq!(stdout(&o).trim(), "duplicate: already ingested");
    let reply = "From: dana@example.com\r\nSubject: Re: [INC-000001] Scanner offline\r\nMessage-ID: <cli-2@example.com>\r\nIn-Reply-To: <cli-1@example.com>\r\n\r\nStill offline.\r\n";
    let o = c.run_with_stdin(&["mail", "ingest", "--tenant", "acme"], reply);
    assert_eq!(stdout(&o).trim(), "appended to INC-000001 (in_reply_to)");
    let o = c.run_with_stdin(&["mail", "ingest", "--tenant", "nope"], msg);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("tenant not found"), "{}", stderr(&o));
}

#[tokio::test]
async fn jobs_are_listed_and_dead_ones_retried_from_the_command_line() {
    use catalyst_store::Scope;
    use catalyst_store::repo::{jobs, tenants};
    let c = Cli::new().await;
    assert!(c.run(&["migrate"]).status.success());
    assert!(
        c.run(&["tenant", "create", "acme", "--name", "Acme"])
            .status
            .success()
    );
    let o = c.run(&["jobs", "list"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).starts_with("pending 0 (due now 0), running 0, dead 0"),
        "{}",
        stdout(&o)
    );
    // A job that can only die: an unknown kind, run once by a worker.
    let tenant = {
        let tx = c.db.store.read(Scope::Global).await.unwrap();
        let t = tenants::by_slug(&tx, "acme").await.unwrap().unwrap();
        catalyst_domain::TenantId(t.id)
    };
    let now = chrono::Utc::now();
    let tx = c.db.store.write(Scope::Tenant(tenant)).await.unwrap();
    let id = jobs::enqueue(
        &tx,
        jobs::NewJob::new("gone.kind", serde_json::json!({}), now).tenant(tenant),
        now,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let app = catalyst_app::App::new(
        c.db.store.clone(),
        std::sync::Arc::new(catalyst_app::SystemClock),
        catalyst_app::AppSettings::default(),
    );
    assert_eq!(app.drain_jobs().await.unwrap().dead, 1);

    let o = c.run(&["jobs", "list", "--dead"]);
    let out = stdout(&o);
    assert!(out.contains("dead 1"), "{out}");
    assert!(
        out.contains(&id.to_string()) && out.contains("unknown job kind"),
        "{out}"
    );
    let o = c.run(&["jobs", "retry", &id.to_string()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = c.run(&["jobs", "list"]);
    assert!(stdout(&o).contains("dead 0"), "{}", stdout(&o));
    let o = c.run(&["jobs", "retry", &id.to_string()]);
    assert_eq!(o.status.code(), Some(1), "no longer dead");
    assert!(stderr(&o).contains("not found"), "{}", stderr(&o));
}
