//! IMAP source: fetch new messages by UID and mark them processed.
//!
//! The caller keeps `(UIDVALIDITY, last UID)` per mailbox. Messages are fetched by UID,
//! never by sequence number, so concurrent deletions cannot shift what is read. When the
//! server reports a different UIDVALIDITY the caller starts again from UID 0 (deduplication
//! by Message-ID keeps already ingested messages from being ingested twice).

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::TryStreamExt;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use crate::transport::Security;
use crate::{Error, Result};

/// Keyword set on processed messages when no folder to move them to is configured.
pub const PROCESSED_KEYWORD: &str = "CatalystProcessed";

/// Settings of one mailbox.
#[derive(Clone)]
pub struct ImapSettings {
    /// Server host name.
    pub host: String,
    /// Port (993 for TLS, 143 for STARTTLS or plain).
    pub port: u16,
    /// Connection security.
    pub security: Security,
    /// Login name.
    pub username: String,
    /// Password (never printed).
    pub password: String,
    /// Mailbox to read, usually `INBOX`.
    pub mailbox: String,
    /// Folder to move processed mail to; when `None` processed mail is flagged
    /// `\Seen` + [`PROCESSED_KEYWORD`] and left in place.
    pub processed_folder: Option<String>,
    /// Extra trusted root certificate (PEM), e.g. a self-signed test server's.
    pub ca_pem: Option<Vec<u8>>,
    /// Connect and command timeout.
    pub timeout: Duration,
}

impl fmt::Debug for ImapSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &"***")
            .field("mailbox", &self.mailbox)
            .field("processed_folder", &self.processed_folder)
            .finish()
    }
}

impl ImapSettings {
    /// Parses `imap://user:pass@host:port/MAILBOX` (plain), `imap+starttls://…` or
    /// `imaps://…` (TLS). User and password are percent-decoded.
    ///
    /// # Errors
    /// [`Error::Config`] when the URL is not usable.
    pub fn from_url(url: &str) -> Result<Self> {
        let bad = |why: &str| Error::Config(format!("IMAP URL: {why}"));
        let (scheme, rest) = url.split_once("://").ok_or_else(|| bad("missing scheme"))?;
        let (security, default_port) = match scheme.to_ascii_lowercase().as_str() {
            "imap" => (Security::None, 143),
            "imap+starttls" => (Security::Starttls, 143),
            "imaps" => (Security::Tls, 993),
            _ => return Err(bad("scheme must be imap, imap+starttls or imaps")),
        };
        let (authority, path) = match rest.split_once('/') {
            Some((a, p)) => (a, p),
            None => (rest, ""),
        };
        let (userinfo, hostport) = authority
            .rsplit_once('@')
            .ok_or_else(|| bad("missing user@"))?;
        let (user, pass) = userinfo.split_once(':').unwrap_or((userinfo, ""));
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => (h, p.parse::<u16>().map_err(|_| bad("invalid port"))?),
            None => (hostport, default_port),
        };
        if host.is_empty() {
            return Err(bad("missing host"));
        }
        let mailbox = percent_decode(path);
        Ok(ImapSettings {
            host: host.to_string(),
            port,
            security,
            username: percent_decode(user),
            password: percent_decode(pass),
            mailbox: if mailbox.is_empty() {
                "INBOX".into()
            } else {
                mailbox
            },
            processed_folder: None,
            ca_pem: None,
            timeout: Duration::from_secs(30),
        })
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A plain or TLS connection.
#[derive(Debug)]
pub enum ImapStream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for ImapStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for ImapStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_flush(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        match self.get_mut() {
            ImapStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            ImapStream::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

/// State of the selected mailbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MailboxState {
    /// UIDVALIDITY: when it changes, stored UIDs mean nothing any more.
    pub uid_validity: u32,
    /// The UID the next message will get (when the server reports it).
    pub uid_next: Option<u32>,
    /// Number of messages in the mailbox.
    pub exists: u32,
}

/// One fetched message.
#[derive(Debug, Clone)]
pub struct FetchedMessage {
    /// Its UID.
    pub uid: u32,
    /// Raw RFC 5322 bytes.
    pub raw: Vec<u8>,
}

/// A logged-in IMAP session.
pub struct ImapSource {
    session: async_imap::Session<ImapStream>,
    settings: ImapSettings,
    selected: Option<MailboxState>,
}

impl fmt::Debug for ImapSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ImapSource")
            .field("settings", &self.settings)
            .field("selected", &self.selected)
            .finish()
    }
}

fn imap_err(context: &str, e: async_imap::error::Error) -> Error {
    Error::Imap(format!("{context}: {e}"))
}

fn tls_connector(ca_pem: Option<&[u8]>) -> Result<TlsConnector> {
    crate::install_crypto_provider();
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = ca_pem {
        use rustls::pki_types::CertificateDer;
        use rustls::pki_types::pem::PemObject;
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|e| Error::Config(format!("IMAP CA certificate: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| Error::Config(format!("IMAP CA certificate: {e}")))?;
        }
    }
    let config = rustls::ClientConfig::builder()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

async fn tls_wrap(tcp: TcpStream, settings: &ImapSettings) -> Result<ImapStream> {
    let connector = tls_connector(settings.ca_pem.as_deref())?;
    let name = rustls::pki_types::ServerName::try_from(settings.host.clone())
        .map_err(|e| Error::Config(format!("IMAP host name: {e}")))?;
    let tls = connector
        .connect(name, tcp)
        .await
        .map_err(|e| Error::Imap(format!("TLS handshake with {}: {e}", settings.host)))?;
    Ok(ImapStream::Tls(Box::new(tls)))
}

async fn with_timeout<T>(
    timeout: Duration,
    what: &str,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(timeout, fut)
        .await
        .map_err(|_| Error::Imap(format!("{what}: timed out after {}s", timeout.as_secs())))?
}

impl ImapSource {
    /// Connects and logs in.
    ///
    /// # Errors
    /// [`Error::ImapAuth`] when the server rejects the credentials (an admin must fix
    /// them); [`Error::Imap`] for network, TLS or protocol problems (worth retrying).
    pub async fn connect(settings: &ImapSettings) -> Result<Self> {
        with_timeout(
            settings.timeout,
            "IMAP connect",
            Self::connect_inner(settings),
        )
        .await
    }

    async fn connect_inner(settings: &ImapSettings) -> Result<Self> {
        let tcp = TcpStream::connect((settings.host.as_str(), settings.port))
            .await
            .map_err(|e| {
                Error::Imap(format!(
                    "connecting to {}:{}: {e}",
                    settings.host, settings.port
                ))
            })?;
        let client = match settings.security {
            Security::None => {
                let mut c = async_imap::Client::new(ImapStream::Plain(tcp));
                read_greeting(&mut c).await?;
                c
            }
            Security::Tls => {
                let mut c = async_imap::Client::new(tls_wrap(tcp, settings).await?);
                read_greeting(&mut c).await?;
                c
            }
            Security::Starttls => {
                let mut c = async_imap::Client::new(ImapStream::Plain(tcp));
                read_greeting(&mut c).await?;
                c.run_command_and_check_ok("STARTTLS", None)
                    .await
                    .map_err(|e| imap_err("STARTTLS", e))?;
                let ImapStream::Plain(tcp) = c.into_inner() else {
                    return Err(Error::Imap("STARTTLS on a TLS stream".into()));
                };
                async_imap::Client::new(tls_wrap(tcp, settings).await?)
            }
        };
        let session = client
            .login(&settings.username, &settings.password)
            .await
            .map_err(|(e, _)| match e {
                async_imap::error::Error::No(msg) | async_imap::error::Error::Bad(msg) => {
                    Error::ImapAuth(msg)
                }
                other => imap_err("login", other),
            })?;
        Ok(ImapSource {
            session,
            settings: settings.clone(),
            selected: None,
        })
    }

    /// Selects the configured mailbox and reports its UIDVALIDITY.
    ///
    /// # Errors
    /// [`Error::Imap`] when the mailbox does not exist or the server reports no UIDVALIDITY.
    pub async fn select(&mut self) -> Result<MailboxState> {
        let timeout = self.settings.timeout;
        let mailbox = self.settings.mailbox.clone();
        let mb = with_timeout(timeout, "IMAP select", async {
            self.session
                .select(&mailbox)
                .await
                .map_err(|e| imap_err(&format!("selecting {mailbox}"), e))
        })
        .await?;
        let state = MailboxState {
            uid_validity: mb
                .uid_validity
                .ok_or_else(|| Error::Imap("the server reported no UIDVALIDITY".into()))?,
            uid_next: mb.uid_next,
            exists: mb.exists,
        };
        self.selected = Some(state);
        Ok(state)
    }

    /// Fetches up to `limit` messages with UID greater than `last_uid`, in UID order.
    ///
    /// # Errors
    /// [`Error::Imap`] on protocol or network errors, or when no mailbox is selected.
    pub async fn fetch_new(&mut self, last_uid: u32, limit: usize) -> Result<Vec<FetchedMessage>> {
        let state = self
            .selected
            .ok_or_else(|| Error::Imap("no mailbox selected".into()))?;
        if state.exists == 0 {
            return Ok(Vec::new());
        }
        let timeout = self.settings.timeout;
        let range = format!("{}:*", last_uid.saturating_add(1));
        let mut out = with_timeout(timeout, "IMAP fetch", async {
            let stream = self
                .session
                .uid_fetch(&range, "(UID BODY.PEEK[])")
                .await
                .map_err(|e| imap_err("UID FETCH", e))?;
            let fetched: Vec<_> = stream
                .try_collect()
                .await
                .map_err(|e| imap_err("UID FETCH", e))?;
            Ok(fetched
                .iter()
                .filter_map(|f| {
                    let uid = f.uid?;
                    // "n:*" always includes the newest message, even when its UID is below n.
                    (uid > last_uid).then(|| FetchedMessage {
                        uid,
                        raw: f.body().unwrap_or_default().to_vec(),
                    })
                })
                .collect::<Vec<_>>())
        })
        .await?;
        out.sort_by_key(|m| m.uid);
        out.truncate(limit);
        Ok(out)
    }

    /// Marks a message processed: moves it to the configured folder, or flags it `\Seen`
    /// and [`PROCESSED_KEYWORD`].
    ///
    /// # Errors
    /// [`Error::Imap`] on protocol or network errors.
    pub async fn mark_processed(&mut self, uid: u32) -> Result<()> {
        let timeout = self.settings.timeout;
        let folder = self.settings.processed_folder.clone();
        with_timeout(timeout, "IMAP mark processed", async {
            match folder {
                Some(folder) => {
                    let uid_s = uid.to_string();
                    if let Err(e) = self.session.uid_mv(&uid_s, &folder).await {
                        // Servers without MOVE: copy, flag deleted, expunge that UID.
                        tracing::debug!(error = %e, "UID MOVE failed, falling back to COPY");
                        self.session
                            .uid_copy(&uid_s, &folder)
                            .await
                            .map_err(|e| imap_err(&format!("copying to {folder}"), e))?;
                        let flagged: Vec<_> = self
                            .session
                            .uid_store(&uid_s, "+FLAGS.SILENT (\\Deleted)")
                            .await
                            .map_err(|e| imap_err("UID STORE", e))?
                            .try_collect()
                            .await
                            .map_err(|e| imap_err("UID STORE", e))?;
                        drop(flagged);
                        let expunged: Vec<_> = self
                            .session
                            .uid_expunge(&uid_s)
                            .await
                            .map_err(|e| imap_err("UID EXPUNGE", e))?
                            .try_collect()
                            .await
                            .map_err(|e| imap_err("UID EXPUNGE", e))?;
                        drop(expunged);
                    }
                    Ok(())
                }
                None => {
                    let updates: Vec<_> = self
                        .session
                        .uid_store(
                            uid.to_string(),
                            format!("+FLAGS.SILENT (\\Seen {PROCESSED_KEYWORD})"),
                        )
                        .await
                        .map_err(|e| imap_err("UID STORE", e))?
                        .try_collect()
                        .await
                        .map_err(|e| imap_err("UID STORE", e))?;
                    drop(updates);
                    Ok(())
                }
            }
        })
        .await
    }

    /// Appends a message to a mailbox (used by tests and tools).
    ///
    /// # Errors
    /// [`Error::Imap`] on protocol or network errors.
    pub async fn append(&mut self, mailbox: &str, raw: &[u8]) -> Result<()> {
        self.session
            .append(mailbox, None, None, raw)
            .await
            .map_err(|e| imap_err(&format!("appending to {mailbox}"), e))
    }

    /// Creates a mailbox (folder); an existing one is not an error.
    ///
    /// # Errors
    /// [`Error::Imap`] on network errors.
    pub async fn create_mailbox(&mut self, name: &str) -> Result<()> {
        match self.session.create(name).await {
            Ok(()) => Ok(()),
            Err(async_imap::error::Error::No(_)) => Ok(()),
            Err(e) => Err(imap_err(&format!("creating {name}"), e)),
        }
    }

    /// UIDs in the selected mailbox carrying a flag or keyword (e.g. `KEYWORD CatalystProcessed`).
    ///
    /// # Errors
    /// [`Error::Imap`] on protocol or network errors.
    pub async fn uid_search(&mut self, query: &str) -> Result<Vec<u32>> {
        let mut uids: Vec<u32> = self
            .session
            .uid_search(query)
            .await
            .map_err(|e| imap_err("UID SEARCH", e))?
            .into_iter()
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// Logs out (errors are ignored: the connection is dropped either way).
    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}

async fn read_greeting(client: &mut async_imap::Client<ImapStream>) -> Result<()> {
    match client.read_response().await {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(Error::Imap("the server closed the connection".into())),
        Err(e) => Err(Error::Imap(format!("reading the greeting: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_with_defaults_and_percent_decoding() {
        let s = ImapSettings::from_url("imap://help%40acme.example:p%3Ass@127.0.0.1:1143").unwrap();
        assert_eq!(s.username, "help@acme.example");
        assert_eq!(s.password, "p:ss");
        assert_eq!(s.port, 1143);
        assert_eq!(s.security, Security::None);
        assert_eq!(s.mailbox, "INBOX");
        let s = ImapSettings::from_url("imaps://u:p@mail.example/Support").unwrap();
        assert_eq!((s.port, s.security), (993, Security::Tls));
        assert_eq!(s.mailbox, "Support");
        assert!(ImapSettings::from_url("http://u:p@x").is_err());
        assert!(ImapSettings::from_url("imap://x").is_err());
        assert!(!format!("{s:?}").contains("p@"));
    }
}
