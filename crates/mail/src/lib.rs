//! Catalyst ITSM: email — MIME parsing and building, reply stripping, loop classification,
//! notification templates, SMTP/file/log transports and an IMAP source.
//!
//! Nothing here touches the database: `catalyst-app` decides what to do with a parsed
//! message (threading, quarantine, notifications).

pub mod imap;
pub mod outbound;
pub mod parse;
pub mod reply;
pub mod templates;
pub mod transport;

pub use outbound::{BuiltMail, Envelope, OutgoingMail, build, tagged_subject};
pub use parse::{
    Attachment, MailClass, Mailbox, ParsedMail, SubjectTag, TagKind, find_tag, html_to_text, parse,
    sanitize_html,
};
pub use reply::strip_reply;
pub use templates::{
    NotificationContext, Rendered, TemplateKind, TemplateOverride, TemplatePart, TicketContext,
    render,
};
pub use transport::{Security, SmtpSettings, Transport};

/// Errors of the mail crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The input is not a usable RFC 5322 message.
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    /// An address could not be used.
    #[error("invalid email address {0:?}")]
    InvalidAddress(String),
    /// A message could not be assembled.
    #[error("cannot build the message: {0}")]
    Build(String),
    /// A template did not compile or failed while rendering.
    #[error("{0}")]
    Template(String),
    /// Sending failed; `permanent` when retrying cannot help.
    #[error("sending failed: {message}")]
    Transport {
        /// The server refused for good (5xx) or the envelope is unusable.
        permanent: bool,
        /// What happened.
        message: String,
    },
    /// The IMAP server rejected the credentials.
    #[error("the IMAP server rejected the login: {0}")]
    ImapAuth(String),
    /// Network, TLS or protocol error talking to the IMAP server.
    #[error("IMAP: {0}")]
    Imap(String),
    /// A setting is not usable.
    #[error("mail configuration: {0}")]
    Config(String),
}

/// Result of the mail crate.
pub type Result<T> = std::result::Result<T, Error>;

/// Installs the aws-lc-rs crypto provider for rustls, once. Both providers are compiled
/// into the workspace, so rustls cannot choose one by itself.
pub fn install_crypto_provider() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // An error means another provider is already installed, which is fine.
        let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    });
}
