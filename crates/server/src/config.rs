//! Configuration: one typed struct, layered defaults → `catalyst.toml` → environment →
//! command-line flags. Any key can be read from a file by setting `NAME_FILE` (for
//! secrets mounted by an orchestrator).

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use catalyst_store::Durability;

/// A value that must never be printed or logged.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Application connection (`DATABASE_URL`).
    pub database_url: Secret,
    /// Owner connection used for migrations (`DATABASE_MIGRATE_URL`); defaults to
    /// `database_url`.
    pub database_migrate_url: Option<Secret>,
    /// PostgreSQL role granted data access by `catalyst migrate` (`DATABASE_APP_ROLE`).
    pub database_app_role: Option<String>,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    /// Public address of the web UI, for links and the `Secure` cookie flag.
    pub web_base_url: String,
    pub file_max_mb: u64,
    /// Largest accepted request body other than file uploads.
    pub body_limit_kb: u64,
    pub session_ttl: Duration,
    pub sqlite_durability: Durability,
    /// Trust the last `X-Forwarded-For` entry as the client address.
    pub behind_proxy: bool,
    /// Where attachments live (`BLOB_URL`): none for `data_dir/files`, `az://container`,
    /// `s3://bucket`, `gs://bucket` or `file:///dir`.
    pub blob_url: Option<String>,
    /// Azure connection string (`BLOB_CONN`).
    pub blob_conn: Option<Secret>,
    /// Secret for signed download links (`CATALYST_SIGNING_KEY`); default: generated once
    /// and kept in `data_dir/signing.key`. Several nodes must share it.
    pub signing_key: Option<Secret>,
    pub log_level: String,
    pub log_format: LogFormat,
    /// Outbound email and the IMAP poller.
    pub email: EmailConfig,
}

/// Where outbound email goes (`EMAIL_PROVIDER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmailProvider {
    /// `.eml` files in `<data_dir>/outbox` (the default: nothing leaves the machine).
    File,
    /// An SMTP relay.
    Smtp,
    /// Only logged.
    Log,
}

/// Email settings of the process (per-tenant settings live in the database).
#[derive(Debug, Clone)]
pub struct EmailConfig {
    pub provider: EmailProvider,
    /// Default `From` address (`EMAIL_FROM`); tenants may set their own.
    pub from: String,
    pub smtp_host: Option<String>,
    pub smtp_port: Option<u16>,
    /// `none`, `starttls` (default) or `tls` (`SMTP_SECURITY`).
    pub smtp_security: catalyst_mail::Security,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<Secret>,
    /// Seconds between IMAP polls of each tenant mailbox (`CATALYST_IMAP_POLL_SECS`).
    pub imap_poll_secs: u64,
}

/// Shape of `catalyst.toml`; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    database_migrate_url: Option<String>,
    database_app_role: Option<String>,
    data_dir: Option<PathBuf>,
    listen: Option<String>,
    web_base_url: Option<String>,
    file_max_mb: Option<u64>,
    body_limit_kb: Option<u64>,
    session_ttl_hours: Option<u64>,
    sqlite_synchronous: Option<String>,
    behind_proxy: Option<bool>,
    blob_url: Option<String>,
    blob_conn: Option<String>,
    signing_key: Option<String>,
    log_level: Option<String>,
    log_format: Option<String>,
    email_provider: Option<String>,
    email_from: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    imap_poll_secs: Option<u64>,
}

/// Environment variables Catalyst reads (each also as `NAME_FILE`).
pub const ENV_KEYS: &[&str] = &[
    "DATABASE_URL",
    "DATABASE_MIGRATE_URL",
    "DATABASE_APP_ROLE",
    "CATALYST_DATA_DIR",
    "CATALYST_LISTEN",
    "WEB_BASE_URL",
    "FILE_MAX_MB",
    "CATALYST_BODY_LIMIT_KB",
    "CATALYST_SESSION_TTL_HOURS",
    "CATALYST_SQLITE_SYNCHRONOUS",
    "CATALYST_BEHIND_PROXY",
    "BLOB_URL",
    "BLOB_CONN",
    "CATALYST_SIGNING_KEY",
    "CATALYST_LOG",
    "CATALYST_LOG_FORMAT",
    "EMAIL_PROVIDER",
    "EMAIL_FROM",
    "SMTP_HOST",
    "SMTP_PORT",
    "SMTP_SECURITY",
    "SMTP_USERNAME",
    "SMTP_PASSWORD",
    "CATALYST_IMAP_POLL_SECS",
];

/// Other `CATALYST_` variables that are legitimately set around Catalyst (tests, tools).
const KNOWN_OTHER: &[&str] = &[
    "CATALYST_TEST_DATABASE_URL",
    "CATALYST_TEST_APP_ROLE",
    "CATALYST_CACHE_DIR",
    "CATALYST_CI_PG_PORT",
    "CATALYST_CI",
    "CATALYST_TEST_IMAP",
    "CATALYST_TEST_IMAPS",
    "CATALYST_TEST_IMAP_CA",
    "CATALYST_TEST_SMTP",
    "CATALYST_TEST_SMTP_DIR",
    "CATALYST_MAIL_SERVERS_DIR",
];

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{key}: {message}")]
    Invalid { key: String, message: String },
    #[error("reading {path}: {message}")]
    File { path: String, message: String },
}

fn invalid(key: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        message: message.into(),
    }
}

/// Command-line overrides.
#[derive(Debug, Default, Clone)]
pub struct Overrides {
    pub listen: Option<String>,
    pub data_dir: Option<PathBuf>,
}

/// Where configuration values come from (the process environment, or a map in tests).
pub trait Env {
    fn get(&self, key: &str) -> Option<String>;
    fn keys(&self) -> Vec<String>;
}

pub struct ProcessEnv;

impl Env for ProcessEnv {
    fn get(&self, key: &str) -> Option<String> {
        std::env::var(key).ok()
    }
    fn keys(&self) -> Vec<String> {
        std::env::vars_os()
            .filter_map(|(k, _)| k.into_string().ok())
            .collect()
    }
}

impl Env for std::collections::HashMap<String, String> {
    fn get(&self, key: &str) -> Option<String> {
        std::collections::HashMap::get(self, key).cloned()
    }
    fn keys(&self) -> Vec<String> {
        self.keys().cloned().collect()
    }
}

/// `NAME`, or the trimmed contents of the file named by `NAME_FILE`.
fn env_value(env: &dyn Env, key: &str) -> Result<Option<String>, ConfigError> {
    if let Some(v) = env.get(key).filter(|v| !v.is_empty()) {
        return Ok(Some(v));
    }
    let file_key = format!("{key}_FILE");
    match env.get(&file_key).filter(|v| !v.is_empty()) {
        Some(path) => std::fs::read_to_string(&path)
            .map(|s| Some(s.trim().to_string()))
            .map_err(|e| invalid(&file_key, format!("cannot read {path}: {e}"))),
        None => Ok(None),
    }
}

/// `CATALYST_*` variables that Catalyst does not know (probably typos).
pub fn unknown_env_keys(env: &dyn Env) -> Vec<String> {
    let mut out: Vec<String> = env
        .keys()
        .into_iter()
        .filter(|k| k.starts_with("CATALYST_"))
        .filter(|k| {
            let base = k.strip_suffix("_FILE").unwrap_or(k);
            !ENV_KEYS.contains(&base) && !KNOWN_OTHER.contains(&k.as_str())
        })
        .collect();
    out.sort();
    out
}

fn parse_num(key: &str, v: &str) -> Result<u64, ConfigError> {
    v.trim()
        .parse::<u64>()
        .map_err(|_| invalid(key, format!("expected a whole number, got {v:?}")))
}

impl Config {
    /// Loads the layers. `file` is `--config`; without it `./catalyst.toml` is read if present.
    pub fn load(file: Option<&Path>, env: &dyn Env, o: &Overrides) -> Result<Self, ConfigError> {
        let mut f: FileConfig = match file {
            Some(p) => read_file(p)?,
            None if Path::new("catalyst.toml").exists() => read_file(Path::new("catalyst.toml"))?,
            None => FileConfig::default(),
        };

        let data_dir = o
            .data_dir
            .clone()
            .or(env_value(env, "CATALYST_DATA_DIR")?.map(PathBuf::from))
            .or(f.data_dir)
            .unwrap_or_else(|| PathBuf::from("./data"));
        let listen_s = o
            .listen
            .clone()
            .or(env_value(env, "CATALYST_LISTEN")?)
            .or(f.listen)
            .unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_s.parse::<SocketAddr>().map_err(|_| {
            invalid(
                "CATALYST_LISTEN",
                format!("expected host:port like 127.0.0.1:8080, got {listen_s:?}"),
            )
        })?;
        let database_url = env_value(env, "DATABASE_URL")?
            .or(f.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("catalyst.db").display()));
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres:")
            || database_url.starts_with("postgresql:"))
        {
            return Err(invalid(
                "DATABASE_URL",
                "must start with sqlite:// or postgres://",
            ));
        }
        let web_base_url = env_value(env, "WEB_BASE_URL")?
            .or(f.web_base_url)
            .unwrap_or_else(|| format!("http://{listen}"));
        let parsed = url::Url::parse(&web_base_url)
            .map_err(|e| invalid("WEB_BASE_URL", format!("not a URL: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(invalid(
                "WEB_BASE_URL",
                "must be an http:// or https:// URL",
            ));
        }
        let email = email_config(
            env,
            &EmailFile {
                email_provider: f.email_provider.take(),
                email_from: f.email_from.take(),
                smtp_host: f.smtp_host.take(),
                smtp_port: f.smtp_port,
                smtp_security: f.smtp_security.take(),
                smtp_username: f.smtp_username.take(),
                smtp_password: f.smtp_password.take(),
                imap_poll_secs: f.imap_poll_secs,
            },
            &parsed,
        )?;
        let file_max_mb = match env_value(env, "FILE_MAX_MB")? {
            Some(v) => parse_num("FILE_MAX_MB", &v)?,
            None => f.file_max_mb.unwrap_or(25),
        };
        if !(1..=2048).contains(&file_max_mb) {
            return Err(invalid("FILE_MAX_MB", "must be between 1 and 2048"));
        }
        let body_limit_kb = match env_value(env, "CATALYST_BODY_LIMIT_KB")? {
            Some(v) => parse_num("CATALYST_BODY_LIMIT_KB", &v)?,
            None => f.body_limit_kb.unwrap_or(1024),
        };
        if !(1..=1024 * 1024).contains(&body_limit_kb) {
            return Err(invalid(
                "CATALYST_BODY_LIMIT_KB",
                "must be between 1 and 1048576",
            ));
        }
        let ttl_hours = match env_value(env, "CATALYST_SESSION_TTL_HOURS")? {
            Some(v) => parse_num("CATALYST_SESSION_TTL_HOURS", &v)?,
            None => f.session_ttl_hours.unwrap_or(12),
        };
        if !(1..=24 * 90).contains(&ttl_hours) {
            return Err(invalid(
                "CATALYST_SESSION_TTL_HOURS",
                "must be between 1 and 2160",
            ));
        }
        let sync = env_value(env, "CATALYST_SQLITE_SYNCHRONOUS")?
            .or(f.sqlite_synchronous)
            .unwrap_or_else(|| "full".into());
        let sqlite_durability = sync
            .parse()
            .map_err(|e: String| invalid("CATALYST_SQLITE_SYNCHRONOUS", e))?;
        let log_format = match env_value(env, "CATALYST_LOG_FORMAT")?
            .or(f.log_format)
            .as_deref()
            .unwrap_or("json")
        {
            "json" => LogFormat::Json,
            "pretty" => LogFormat::Pretty,
            other => {
                return Err(invalid(
                    "CATALYST_LOG_FORMAT",
                    format!("expected json or pretty, got {other:?}"),
                ));
            }
        };
        let behind_proxy = match env_value(env, "CATALYST_BEHIND_PROXY")?.as_deref() {
            None => f.behind_proxy.unwrap_or(false),
            Some("true" | "1" | "yes") => true,
            Some("false" | "0" | "no") => false,
            Some(other) => {
                return Err(invalid(
                    "CATALYST_BEHIND_PROXY",
                    format!("expected true or false, got {other:?}"),
                ));
            }
        };
        let database_app_role = env_value(env, "DATABASE_APP_ROLE")?.or(f.database_app_role);
        Ok(Config {
            database_url: Secret(database_url),
            database_migrate_url: env_value(env, "DATABASE_MIGRATE_URL")?
                .or(f.database_migrate_url)
                .map(Secret),
            database_app_role,
            data_dir,
            listen,
            web_base_url: web_base_url.trim_end_matches('/').to_string(),
            file_max_mb,
            body_limit_kb,
            session_ttl: Duration::from_secs(ttl_hours * 3600),
            sqlite_durability,
            behind_proxy,
            blob_url: env_value(env, "BLOB_URL")?
                .or(f.blob_url)
                .filter(|u| !u.is_empty()),
            blob_conn: env_value(env, "BLOB_CONN")?.or(f.blob_conn).map(Secret),
            signing_key: env_value(env, "CATALYST_SIGNING_KEY")?
                .or(f.signing_key)
                .map(Secret),
            log_level: env_value(env, "CATALYST_LOG")?
                .or(f.log_level)
                .unwrap_or_else(|| "info".into()),
            log_format,
            email,
        })
    }

    pub fn is_https(&self) -> bool {
        self.web_base_url.starts_with("https://")
    }

    pub fn is_sqlite(&self) -> bool {
        self.database_url.expose().starts_with("sqlite:")
    }

    /// The effective configuration as TOML, with passwords in URLs redacted.
    pub fn show(&self) -> String {
        let mut out = String::new();
        let line = |out: &mut String, k: &str, v: String| {
            out.push_str(&format!("{k} = {}\n", toml_str(&v)))
        };
        line(
            &mut out,
            "database_url",
            redact_url(self.database_url.expose()),
        );
        if let Some(m) = &self.database_migrate_url {
            line(&mut out, "database_migrate_url", redact_url(m.expose()));
        }
        if let Some(r) = &self.database_app_role {
            line(&mut out, "database_app_role", r.clone());
        }
        line(&mut out, "data_dir", self.data_dir.display().to_string());
        line(&mut out, "listen", self.listen.to_string());
        line(&mut out, "web_base_url", self.web_base_url.clone());
        out.push_str(&format!("file_max_mb = {}\n", self.file_max_mb));
        out.push_str(&format!("body_limit_kb = {}\n", self.body_limit_kb));
        out.push_str(&format!(
            "session_ttl_hours = {}\n",
            self.session_ttl.as_secs() / 3600
        ));
        let sync = match self.sqlite_durability {
            Durability::Full => "full",
            Durability::Normal => "normal",
        };
        out.push_str(&format!("sqlite_synchronous = \"{sync}\"\n"));
        out.push_str(&format!("behind_proxy = {}\n", self.behind_proxy));
        if let Some(b) = &self.blob_url {
            line(&mut out, "blob_url", b.clone());
        }
        if self.blob_conn.is_some() {
            line(&mut out, "blob_conn", "<redacted>".into());
        }
        if self.signing_key.is_some() {
            line(&mut out, "signing_key", "<redacted>".into());
        }
        out.push_str(&format!("log_level = {}\n", toml_str(&self.log_level)));
        let fmt = match self.log_format {
            LogFormat::Json => "json",
            LogFormat::Pretty => "pretty",
        };
        out.push_str(&format!("log_format = \"{fmt}\"\n"));
        let provider = match self.email.provider {
            EmailProvider::File => "file",
            EmailProvider::Smtp => "smtp",
            EmailProvider::Log => "log",
        };
        out.push_str(&format!("email_provider = \"{provider}\"\n"));
        line(&mut out, "email_from", self.email.from.clone());
        if let Some(h) = &self.email.smtp_host {
            line(&mut out, "smtp_host", h.clone());
        }
        if let Some(p) = self.email.smtp_port {
            out.push_str(&format!("smtp_port = {p}\n"));
        }
        let security = match self.email.smtp_security {
            catalyst_mail::Security::None => "none",
            catalyst_mail::Security::Starttls => "starttls",
            catalyst_mail::Security::Tls => "tls",
        };
        out.push_str(&format!("smtp_security = \"{security}\"\n"));
        if let Some(u) = &self.email.smtp_username {
            line(&mut out, "smtp_username", u.clone());
        }
        if self.email.smtp_password.is_some() {
            line(&mut out, "smtp_password", "<redacted>".into());
        }
        out.push_str(&format!("imap_poll_secs = {}\n", self.email.imap_poll_secs));
        out
    }
}

/// The email keys of `catalyst.toml`.
struct EmailFile {
    email_provider: Option<String>,
    email_from: Option<String>,
    smtp_host: Option<String>,
    smtp_port: Option<u16>,
    smtp_security: Option<String>,
    smtp_username: Option<String>,
    smtp_password: Option<String>,
    imap_poll_secs: Option<u64>,
}

fn email_config(env: &dyn Env, f: &EmailFile, base: &url::Url) -> Result<EmailConfig, ConfigError> {
    let provider = match env_value(env, "EMAIL_PROVIDER")?
        .or(f.email_provider.clone())
        .as_deref()
        .unwrap_or("file")
    {
        "file" => EmailProvider::File,
        "smtp" => EmailProvider::Smtp,
        "log" => EmailProvider::Log,
        other => {
            return Err(invalid(
                "EMAIL_PROVIDER",
                format!("expected file, smtp or log, got {other:?}"),
            ));
        }
    };
    let host = base.host_str().unwrap_or("localhost");
    let from = env_value(env, "EMAIL_FROM")?
        .or(f.email_from.clone())
        .unwrap_or_else(|| format!("catalyst@{host}"));
    if catalyst_domain::Email::parse(&from).is_err() {
        return Err(invalid(
            "EMAIL_FROM",
            format!("not an email address: {from:?}"),
        ));
    }
    let smtp_security = env_value(env, "SMTP_SECURITY")?
        .or(f.smtp_security.clone())
        .unwrap_or_else(|| "starttls".into())
        .parse::<catalyst_mail::Security>()
        .map_err(|e| invalid("SMTP_SECURITY", e.to_string()))?;
    let smtp_port = match env_value(env, "SMTP_PORT")? {
        Some(v) => Some(
            u16::try_from(parse_num("SMTP_PORT", &v)?)
                .map_err(|_| invalid("SMTP_PORT", "must be a port number"))?,
        ),
        None => f.smtp_port,
    };
    let smtp_host = env_value(env, "SMTP_HOST")?.or(f.smtp_host.clone());
    if provider == EmailProvider::Smtp && smtp_host.is_none() {
        return Err(invalid("SMTP_HOST", "required when EMAIL_PROVIDER=smtp"));
    }
    let imap_poll_secs = match env_value(env, "CATALYST_IMAP_POLL_SECS")? {
        Some(v) => parse_num("CATALYST_IMAP_POLL_SECS", &v)?,
        None => f.imap_poll_secs.unwrap_or(60),
    };
    if !(5..=86_400).contains(&imap_poll_secs) {
        return Err(invalid(
            "CATALYST_IMAP_POLL_SECS",
            "must be between 5 and 86400",
        ));
    }
    Ok(EmailConfig {
        provider,
        from,
        smtp_host,
        smtp_port,
        smtp_security,
        smtp_username: env_value(env, "SMTP_USERNAME")?.or(f.smtp_username.clone()),
        smtp_password: env_value(env, "SMTP_PASSWORD")?
            .or(f.smtp_password.clone())
            .map(Secret),
        imap_poll_secs,
    })
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

fn read_file(p: &Path) -> Result<FileConfig, ConfigError> {
    let text = std::fs::read_to_string(p).map_err(|e| ConfigError::File {
        path: p.display().to_string(),
        message: e.to_string(),
    })?;
    toml::from_str(&text).map_err(|e| ConfigError::File {
        path: p.display().to_string(),
        message: e.message().to_string(),
    })
}

/// Replaces the password of a connection URL with `***`.
pub fn redact_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => u.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults() {
        let c = Config::load(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.data_dir, PathBuf::from("./data"));
        assert_eq!(c.database_url.expose(), "sqlite://./data/catalyst.db");
        assert_eq!(c.file_max_mb, 25);
        assert_eq!(c.log_format, LogFormat::Json);
        assert!(!c.is_https());
    }

    #[test]
    fn layers_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("catalyst.toml");
        std::fs::write(
            &p,
            "listen = \"127.0.0.1:9000\"\nfile_max_mb = 10\ndata_dir = \"/srv/a\"\n",
        )
        .unwrap();
        let e = env(&[("FILE_MAX_MB", "12"), ("CATALYST_DATA_DIR", "/srv/b")]);
        let c = Config::load(Some(&p), &e, &Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 9000, "file");
        assert_eq!(c.file_max_mb, 12, "env beats file");
        assert_eq!(c.data_dir, PathBuf::from("/srv/b"));
        let o = Overrides {
            listen: Some("127.0.0.1:7000".into()),
            data_dir: Some("/srv/c".into()),
        };
        let c = Config::load(Some(&p), &e, &o).unwrap();
        assert_eq!(c.listen.port(), 7000, "flag beats env");
        assert_eq!(c.data_dir, PathBuf::from("/srv/c"));
    }

    #[test]
    fn secrets_from_files_and_redacted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("db");
        std::fs::write(&p, "postgres://app:hunter2@db/catalyst\n").unwrap();
        let e = env(&[("DATABASE_URL_FILE", p.to_str().unwrap())]);
        let c = Config::load(None, &e, &Overrides::default()).unwrap();
        assert_eq!(
            c.database_url.expose(),
            "postgres://app:hunter2@db/catalyst"
        );
        assert!(!c.show().contains("hunter2"));
        assert!(c.show().contains("app:***@db"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn bad_values_name_the_key() {
        for (k, v) in [
            ("CATALYST_LISTEN", "nowhere"),
            ("FILE_MAX_MB", "lots"),
            ("FILE_MAX_MB", "0"),
            ("DATABASE_URL", "mysql://x"),
            ("WEB_BASE_URL", "ftp://x"),
            ("CATALYST_LOG_FORMAT", "xml"),
            ("CATALYST_SQLITE_SYNCHRONOUS", "off"),
            ("CATALYST_BEHIND_PROXY", "maybe"),
            ("EMAIL_PROVIDER", "carrier-pigeon"),
            ("EMAIL_FROM", "not an address"),
            ("SMTP_SECURITY", "sometimes"),
            ("SMTP_PORT", "99999"),
            ("CATALYST_IMAP_POLL_SECS", "1"),
        ] {
            let err = Config::load(None, &env(&[(k, v)]), &Overrides::default()).unwrap_err();
            assert!(err.to_string().starts_with(k), "{k}={v}: {err}");
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "lisen = 1\n").unwrap();
        assert!(Config::load(Some(&p), &env(&[]), &Overrides::default()).is_err());
    }

    #[test]
    fn unknown_catalyst_variables_are_reported() {
        let e = env(&[
            ("CATALYST_LISTN", "x"),
            ("CATALYST_LISTEN", "x"),
            ("CATALYST_LOG_FILE", "x"),
            ("HOME", "/"),
        ]);
        assert_eq!(unknown_env_keys(&e), vec!["CATALYST_LISTN".to_string()]);
    }

    #[test]
    fn email_defaults_and_smtp_settings() {
        let c = Config::load(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.email.provider, EmailProvider::File);
        assert_eq!(c.email.from, "catalyst@127.0.0.1");
        assert_eq!(c.email.imap_poll_secs, 60);
        let err = Config::load(
            None,
            &env(&[("EMAIL_PROVIDER", "smtp")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("SMTP_HOST"), "{err}");
        let c = Config::load(
            None,
            &env(&[
                ("EMAIL_PROVIDER", "smtp"),
                ("SMTP_HOST", "smtp.example.com"),
                ("SMTP_PORT", "465"),
                ("SMTP_SECURITY", "tls"),
                ("SMTP_USERNAME", "desk"),
                ("SMTP_PASSWORD", "hunter2"),
                ("EMAIL_FROM", "help@example.com"),
            ]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.email.provider, EmailProvider::Smtp);
        assert_eq!(c.email.smtp_port, Some(465));
        assert_eq!(c.email.smtp_security, catalyst_mail::Security::Tls);
        assert!(!c.show().contains("hunter2"));
        assert!(c.show().contains("smtp_host = \"smtp.example.com\""));
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn https_base_url_is_detected() {
        let c = Config::load(
            None,
            &env(&[("WEB_BASE_URL", "https://help.example.com/")]),
            &Overrides::default(),
        )
        .unwrap();
        assert!(c.is_https());
        assert_eq!(c.web_base_url, "https://help.example.com");
    }
}
