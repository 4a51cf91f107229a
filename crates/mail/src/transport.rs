//! Outbound transports: `.eml` files (the default "fake email"), SMTP and the log.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use crate::outbound::Envelope;
use crate::{Error, Result};

/// How a connection is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// Plain text (only for a relay on the same host or a test server).
    None,
    /// Plain connection upgraded with STARTTLS (required: no fallback to plain text).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS port 465, IMAPS port 993).
    Tls,
}

impl std::str::FromStr for Security {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "none" | "plain" => Ok(Security::None),
            "starttls" => Ok(Security::Starttls),
            "tls" | "ssl" | "implicit" => Ok(Security::Tls),
            other => Err(Error::Config(format!(
                "unknown security {other:?}: expected none, starttls or tls"
            ))),
        }
    }
}

/// SMTP relay settings.
#[derive(Clone)]
pub struct SmtpSettings {
    /// Host name (also used for certificate verification).
    pub host: String,
    /// Port (587 for STARTTLS, 465 for TLS, 25 for a local relay).
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// User name, when the relay wants authentication.
    pub username: Option<String>,
    /// Password (never printed).
    pub password: Option<String>,
    /// Extra trusted root certificate (PEM), e.g. a private CA.
    pub ca_pem: Option<Vec<u8>>,
    /// Connect and command timeout.
    pub timeout: Duration,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Where outbound mail goes.
#[derive(Clone)]
pub enum Transport {
    /// One `.eml` file per message in a directory.
    File(PathBuf),
    /// An SMTP relay.
    Smtp(Box<AsyncSmtpTransport<Tokio1Executor>>),
    /// Only logged (headers and size, not the body).
    Log,
}

impl fmt::Debug for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::File(dir) => write!(f, "File({})", dir.display()),
            Transport::Smtp(_) => f.write_str("Smtp"),
            Transport::Log => f.write_str("Log"),
        }
    }
}

impl Transport {
    /// A transport writing `.eml` files into `dir` (created when missing).
    pub fn file(dir: impl Into<PathBuf>) -> Self {
        Transport::File(dir.into())
    }

    /// An SMTP transport. Does not connect yet.
    ///
    /// # Errors
    /// [`Error::Config`] for an unusable certificate or host name.
    pub fn smtp(settings: &SmtpSettings) -> Result<Self> {
        crate::install_crypto_provider();
        let tls_params = || -> Result<TlsParameters> {
            let mut b = TlsParameters::builder(settings.host.clone());
            if let Some(pem) = &settings.ca_pem {
                let cert = Certificate::from_pem(pem)
                    .map_err(|e| Error::Config(format!("SMTP CA certificate: {e}")))?;
                b = b.add_root_certificate(cert);
            }
            b.build_rustls()
                .map_err(|e| Error::Config(format!("SMTP TLS settings: {e}")))
        };
        let tls = match settings.security {
            Security::None => Tls::None,
            Security::Starttls => Tls::Required(tls_params()?),
            Security::Tls => Tls::Wrapper(tls_params()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(settings.timeout));
        if let Some(user) = &settings.username {
            builder = builder.credentials(Credentials::new(
                user.clone(),
                settings.password.clone().unwrap_or_default(),
            ));
        }
        Ok(Transport::Smtp(Box::new(builder.build())))
    }

    /// Sends one message.
    ///
    /// # Errors
    /// [`Error::Transport`], with `permanent` set when retrying cannot help (a 5xx answer).
    pub async fn send(&self, raw: &[u8], envelope: &Envelope) -> Result<()> {
        match self {
            Transport::File(dir) => write_eml(dir, raw).await.map(|_| ()),
            Transport::Log => {
                tracing::info!(
                    from = %envelope.from,
                    to = ?envelope.to,
                    bytes = raw.len(),
                    "email (log transport)"
                );
                Ok(())
            }
            Transport::Smtp(smtp) => {
                let env = lettre_envelope(envelope)?;
                smtp.send_raw(&env, raw)
                    .await
                    .map(|_| ())
                    .map_err(|e| Error::Transport {
                        permanent: e.is_permanent(),
                        message: smtp_error_text(&e),
                    })
            }
        }
    }
}

fn smtp_error_text(e: &lettre::transport::smtp::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(": ");
        msg.push_str(&s.to_string());
        source = s.source();
    }
    msg
}

fn lettre_envelope(envelope: &Envelope) -> Result<lettre::address::Envelope> {
    let from = if envelope.from.is_empty() {
        None
    } else {
        Some(
            envelope
                .from
                .parse()
                .map_err(|_| Error::InvalidAddress(envelope.from.clone()))?,
        )
    };
    let to = envelope
        .to
        .iter()
        .map(|a| a.parse().map_err(|_| Error::InvalidAddress(a.clone())))
        .collect::<Result<Vec<_>>>()?;
    lettre::address::Envelope::new(from, to).map_err(|e| Error::Transport {
        permanent: true,
        message: e.to_string(),
    })
}

/// Writes `raw` to a new `.eml` file in `dir` (written under a temporary name, then
/// renamed, so a reader never sees half a message). Returns the file's path.
async fn write_eml(dir: &Path, raw: &[u8]) -> Result<PathBuf> {
    let io = |e: std::io::Error| Error::Transport {
        permanent: false,
        message: format!("writing to {}: {e}", dir.display()),
    };
    tokio::fs::create_dir_all(dir).await.map_err(io)?;
    let name = format!(
        "{}-{}",
        chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ"),
        uuid::Uuid::now_v7().simple()
    );
    let tmp = dir.join(format!(".{name}.tmp"));
    let path = dir.join(format!("{name}.eml"));
    tokio::fs::write(&tmp, raw).await.map_err(io)?;
    tokio::fs::rename(&tmp, &path).await.map_err(io)?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn file_transport_writes_one_eml_per_message() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let t = Transport::file(&outbox);
        let env = Envelope {
            from: "a@x.example".into(),
            to: vec!["b@y.example".into()],
        };
        t.send(b"Subject: one\r\n\r\nbody 1\r\n", &env)
            .await
            .unwrap();
        t.send(b"Subject: two\r\n\r\nbody 2\r\n", &env)
            .await
            .unwrap();
        let mut files: Vec<_> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert_eq!(files.len(), 2);
        assert!(files.iter().all(|p| p.extension().unwrap() == "eml"));
        let bodies: Vec<String> = files
            .iter()
            .map(|p| std::fs::read_to_string(p).unwrap())
            .collect();
        assert!(bodies.iter().any(|b| b.contains("body 1")));
        assert!(bodies.iter().any(|b| b.contains("body 2")));
    }

    #[tokio::test]
    async fn file_transport_reports_an_unwritable_directory() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        std::fs::write(&blocker, b"x").unwrap();
        let t = Transport::file(blocker.join("outbox"));
        let env = Envelope {
            from: String::new(),
            to: vec!["b@y.example".into()],
        };
        let err = t.send(b"x", &env).await.unwrap_err();
        assert!(
            matches!(
                err,
                Error::Transport {
                    permanent: false,
                    ..
                }
            ),
            "{err:?}"
        );
    }

    #[test]
    fn security_names_parse() {
        assert_eq!("STARTTLS".parse::<Security>().unwrap(), Security::Starttls);
        assert_eq!("tls".parse::<Security>().unwrap(), Security::Tls);
        assert_eq!("none".parse::<Security>().unwrap(), Security::None);
        assert!("maybe".parse::<Security>().is_err());
    }

    #[test]
    fn settings_never_print_the_password() {
        let s = SmtpSettings {
            host: "smtp.example".into(),
            port: 587,
            security: Security::Starttls,
            username: Some("u".into()),
            password: Some("hunter2".into()),
            ca_pem: None,
            timeout: Duration::from_secs(5),
        };
        assert!(!format!("{s:?}").contains("hunter2"));
    }
}
