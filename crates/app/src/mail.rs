//! Email in and out.
//!
//! Outbound: [`App::email_on_event`] turns a ticket event into notifications (rendered
//! from the tenant's templates, built with our own Message-ID and threading headers) and
//! enqueues one `mail.send` job per message in the same transaction that records the
//! Message-ID on the ticket; [`App::run_mail_send`] delivers a job's message.
//!
//! Inbound: one pipeline, [`App::ingest_email`], behind three doors (IMAP polling, the
//! HTTP endpoint, the command line): deduplicate by Message-ID, classify (RFC 3834), rate
//! limit per sender, thread by In-Reply-To/References then subject tag, check that the
//! sender may write into the matched ticket, then append or open a ticket, with the
//! attachments stored under the same rules as uploads. What is not accepted is kept in
//! the quarantine with its reason.

use std::collections::HashMap;
use std::path::PathBuf;

use base64::Engine;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use catalyst_domain::{DisplayName, Email, FieldError, Permission, Role, Status, TenantId, UserId};
use catalyst_mail::imap::{ImapSettings, ImapSource};
use catalyst_mail::{
    MailClass, Mailbox, NotificationContext, OutgoingMail, ParsedMail, SubjectTag, TagKind,
    TemplateKind, TemplateOverride, TemplatePart, TicketContext, Transport,
};
use catalyst_store::Scope;
use catalyst_store::entity::{event, mail_quarantine, mail_setting, mail_template, ticket};
use catalyst_store::repo::jobs::{self, NewJob};
use catalyst_store::repo::{mail as repo, members, tenants, tickets, users};
use catalyst_store::sea_orm::ConnectionTrait;

use crate::audit::{Change, Who};
use crate::secrets::Purpose;
use crate::tickets::{CommentVia, NewTicket};
use crate::{Actor, App, AppError, Result, TenantRef};

/// Job kind that delivers one built message.
pub const SEND_JOB: &str = "mail.send";

/// Process-wide email settings (from the server configuration).
#[derive(Debug, Clone)]
pub struct MailConfig {
    /// Where outbound mail goes.
    pub transport: Transport,
    /// `From` address when a tenant sets none.
    pub default_from: String,
    /// Right-hand side of generated Message-IDs.
    pub message_id_domain: String,
    /// Public address of the web UI, for links in notifications (no trailing slash).
    pub web_base_url: String,
    /// Attachment size limit (same as uploads).
    pub max_attachment_bytes: u64,
    /// Largest inbound message accepted.
    pub max_message_bytes: usize,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            transport: Transport::Log,
            default_from: "catalyst@localhost".into(),
            message_id_domain: "localhost".into(),
            web_base_url: "http://127.0.0.1:8080".into(),
            max_attachment_bytes: 25 * 1024 * 1024,
            max_message_bytes: 40 * 1024 * 1024,
        }
    }
}

impl MailConfig {
    /// The file transport writing into `<data_dir>/outbox`.
    pub fn outbox(data_dir: impl Into<PathBuf>) -> Transport {
        Transport::file(data_dir.into().join("outbox"))
    }
}

/// Which door a message came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Imap,
    Http,
    Cli,
    /// Released from the quarantine by an admin.
    Release,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Imap => "imap",
            Source::Http => "http",
            Source::Cli => "cli",
            Source::Release => "release",
        }
    }
}

/// What became of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "camelCase")]
pub enum IngestOutcome {
    /// A new ticket was opened.
    #[serde(rename_all = "camelCase")]
    Created {
        ticket_id: Uuid,
        number: String,
        match_reason: String,
        attachments: usize,
        rejected_attachments: Vec<String>,
    },
    /// The message was added to an existing ticket as a public reply.
    #[serde(rename_all = "camelCase")]
    Appended {
        ticket_id: Uuid,
        number: String,
        comment_id: Uuid,
        match_reason: String,
        attachments: usize,
        rejected_attachments: Vec<String>,
    },
    /// Already processed (same Message-ID); nothing was done.
    Duplicate,
    /// Kept in the quarantine.
    #[serde(rename_all = "camelCase")]
    Quarantined { id: Uuid, reason: String },
}

/// A tenant's email settings as admins see and change them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct MailSettingsView {
    pub outbound_enabled: bool,
    pub inbound_enabled: bool,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    /// `new_ticket` or `quarantine`.
    pub unknown_sender: String,
    pub rate_limit_per_hour: i32,
    /// IMAP URL with the password replaced by `***` (write: full URL, `***` keeps it).
    pub imap_url: Option<String>,
    pub imap_processed_folder: Option<String>,
    /// `ok`, `auth_failed` or `error` after the last poll.
    pub imap_status: Option<String>,
    pub imap_error: Option<String>,
    pub imap_checked_at: Option<DateTime<Utc>>,
    pub has_inbound_token: bool,
    pub has_inbound_hmac_secret: bool,
}

/// Changes to the settings (`None` leaves a field alone; empty strings clear).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MailSettingsPatch {
    pub outbound_enabled: Option<bool>,
    pub inbound_enabled: Option<bool>,
    pub from_address: Option<String>,
    pub from_name: Option<String>,
    pub reply_to: Option<String>,
    pub unknown_sender: Option<String>,
    pub rate_limit_per_hour: Option<i32>,
    pub imap_url: Option<String>,
    pub imap_processed_folder: Option<String>,
}

/// A template override (or the default) as admins see it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct TemplateView {
    pub kind: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    pub overridden: bool,
}

/// A quarantined message as admins see it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QuarantineView {
    pub id: Uuid,
    pub source: String,
    pub reason: String,
    pub detail: Option<String>,
    pub sender: Option<String>,
    pub subject: Option<String>,
    pub message_id: Option<String>,
    pub size: usize,
    pub received_at: DateTime<Utc>,
}

/// A notification that could not be delivered (a dead `mail.send` job).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MailFailureView {
    pub job_id: Uuid,
    pub to: Vec<String>,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub failed_at: DateTime<Utc>,
}

/// What one IMAP poll of a tenant did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PollReport {
    pub fetched: usize,
    pub created: usize,
    pub appended: usize,
    pub quarantined: usize,
    pub duplicates: usize,
}

/// Failure of a mail job: worth retrying or not.
#[derive(Debug, thiserror::Error)]
pub enum MailJobError {
    #[error("{0}")]
    Retry(String),
    #[error("{0}")]
    Permanent(String),
}

/// Outgoing messages and their send jobs, written together in a few statements.
#[derive(Default)]
pub(crate) struct EmailRows {
    messages: Vec<catalyst_store::entity::mail_message::Model>,
    jobs: Vec<NewJob>,
}

impl EmailRows {
    pub(crate) async fn insert(self, tx: &impl ConnectionTrait, now: DateTime<Utc>) -> Result<()> {
        repo::insert_messages(tx, &self.messages).await?;
        jobs::enqueue_all(tx, self.jobs, now).await?;
        Ok(())
    }
}

/// A rendered notification, ready to be recorded and sent.
pub(crate) struct PreparedMail {
    ticket_id: Uuid,
    kind: &'static str,
    first_to: String,
    subject: String,
    built: catalyst_mail::BuiltMail,
}

#[derive(Debug, Serialize, Deserialize)]
struct SendPayload {
    tenant: Uuid,
    #[serde(rename = "messageId")]
    message_id: String,
    from: String,
    to: Vec<String>,
    subject: String,
    raw: String,
}

fn internal<E: std::fmt::Display>(e: E) -> AppError {
    AppError::Internal(e.to_string())
}

/// `imap://user:secret@host` → `imap://user:***@host`.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    match rest.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}")
        }
        None => url.to_string(),
    }
}

fn settings_view(m: &mail_setting::Model) -> MailSettingsView {
    MailSettingsView {
        outbound_enabled: m.outbound_enabled,
        inbound_enabled: m.inbound_enabled,
        from_address: m.from_address.clone(),
        from_name: m.from_name.clone(),
        reply_to: m.reply_to.clone(),
        unknown_sender: m.unknown_sender.clone(),
        rate_limit_per_hour: m.rate_limit_per_hour,
        imap_url: m.imap_url.as_deref().map(redact_url),
        imap_processed_folder: m.imap_processed_folder.clone(),
        imap_status: m.imap_status.clone(),
        imap_error: m.imap_error.clone(),
        imap_checked_at: m.imap_checked_at,
        has_inbound_token: m.inbound_token_hash.is_some(),
        has_inbound_hmac_secret: m.inbound_hmac_sealed.is_some(),
    }
}

/// How long a node may poll one tenant's mailbox before another may take over (a poll
/// that outlives it risks a second node fetching the same messages, which the Message-ID
/// deduplication absorbs).
pub const IMAP_LEASE_SECS: i64 = 300;

/// How far the `X-Catalyst-Timestamp` of a signed inbound request may be from our clock.
pub const INBOUND_SIGNATURE_TOLERANCE_SECS: i64 = 300;

/// Checks an inbound request's HMAC: `signature` is `sha256=<hex>` of
/// HMAC-SHA256(secret, `"<timestamp>.<body>"`), `timestamp` Unix seconds within
/// [`INBOUND_SIGNATURE_TOLERANCE_SECS`] of `now`. Compared in constant time.
pub fn verify_inbound_signature(
    secret: &[u8],
    timestamp: &str,
    signature: &str,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<()> {
    use hmac::{Hmac, Mac};
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| AppError::Unauthenticated)?;
    if (now.timestamp() - ts).abs() > INBOUND_SIGNATURE_TOLERANCE_SECS {
        return Err(AppError::Unauthenticated);
    }
    let given = signature
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(AppError::Unauthenticated)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).map_err(internal)?;
    mac.update(timestamp.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| AppError::Unauthenticated)
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

fn tag_of(number: &str) -> Option<SubjectTag> {
    catalyst_mail::find_tag(&format!("[{number}]"))
}

fn template_override(m: Option<mail_template::Model>) -> Option<TemplateOverride> {
    m.map(|m| TemplateOverride {
        subject: m.subject,
        text: m.text,
        html: m.html,
    })
}

/// An address and a display name.
type Person = (String, String);
/// One message's `To` and `Cc`.
type Batch = (Vec<Person>, Vec<String>);

/// What identifies an inbound message while it is filed.
struct Inbound {
    message_id: String,
    sender: String,
    class: MailClass,
}

impl Inbound {
    /// The idempotency key of the ticket or reply this message creates.
    fn idempotency(&self) -> crate::tickets::Idempotency {
        crate::tickets::Idempotency {
            key: format!("mail:{}", &sha256_hex(self.message_id.as_bytes())[..40]),
            request_hash: "inbound-mail".into(),
        }
    }
}

/// Recipients of one notification.
struct Recipients {
    kind: TemplateKind,
    to: Vec<(String, String)>,
    cc: Vec<String>,
    /// One message per `to` entry (agents) instead of one message to all.
    separately: bool,
}

impl App {
    /// Uses these email settings (transport, sender, links).
    pub fn with_mail(mut self, cfg: MailConfig) -> Self {
        self.mail = std::sync::Arc::new(cfg);
        self
    }

    pub fn mail_config(&self) -> &MailConfig {
        &self.mail
    }

    async fn tenant_ref(&self, tenant: TenantId) -> Result<TenantRef> {
        let tx = self.store.read(Scope::Global).await?;
        tenants::by_id(&tx, tenant)
            .await?
            .map(|t| crate::tenants::tenant_ref(&t))
            .ok_or(AppError::NotFound("tenant"))
    }

    async fn mail_settings_of(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
    ) -> Result<mail_setting::Model> {
        Ok(repo::settings(db, tenant)
            .await?
            .unwrap_or_else(|| repo::default_settings(tenant, self.clock.now())))
    }

    // ---- admin: settings, templates, token -------------------------------------------

    /// The tenant's email settings (admins).
    pub async fn mail_settings(&self, actor: &Actor) -> Result<MailSettingsView> {
        actor.require(Permission::ManageMembers)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(settings_view(
            &self.mail_settings_of(&tx, actor.tenant.id).await?,
        ))
    }

    /// Changes the tenant's email settings (admins).
    pub async fn update_mail_settings(
        &self,
        actor: &Actor,
        patch: MailSettingsPatch,
    ) -> Result<MailSettingsView> {
        actor.require(Permission::ManageMembers)?;
        let mut errors = Vec::new();
        let opt =
            |v: Option<String>| v.map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()));
        let from_address = opt(patch.from_address);
        let reply_to = opt(patch.reply_to);
        for (name, v) in [("fromAddress", &from_address), ("replyTo", &reply_to)] {
            if let Some(Some(a)) = v
                && Email::parse(a).is_err()
            {
                errors.push(FieldError::new(name, "format", "must be an email address"));
            }
        }
        if let Some(u) = &patch.unknown_sender
            && u != "new_ticket"
            && u != "quarantine"
        {
            errors.push(FieldError::new(
                "unknownSender",
                "unknown",
                "must be new_ticket or quarantine",
            ));
        }
        if let Some(r) = patch.rate_limit_per_hour
            && !(1..=10_000).contains(&r)
        {
            errors.push(FieldError::new(
                "rateLimitPerHour",
                "range",
                "must be between 1 and 10000",
            ));
        }
        for (name, v, max) in [
            ("fromName", &patch.from_name, 120),
            ("imapProcessedFolder", &patch.imap_processed_folder, 200),
            ("imapUrl", &patch.imap_url, 2000),
        ] {
            if v.as_ref().is_some_and(|v| v.chars().count() > max) {
                errors.push(FieldError::new(
                    name,
                    "too_long",
                    format!("must be at most {max} characters"),
                ));
            }
        }
        let imap_url = opt(patch.imap_url);
        if let Some(Some(u)) = &imap_url
            && !u.contains(":***@")
            && let Err(e) = ImapSettings::from_url(u)
        {
            errors.push(FieldError::new("imapUrl", "format", e.to_string()));
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        let mut m = self.mail_settings_of(&tx, actor.tenant.id).await?;
        if let Some(v) = patch.outbound_enabled {
            m.outbound_enabled = v;
        }
        if let Some(v) = patch.inbound_enabled {
            m.inbound_enabled = v;
        }
        if let Some(v) = from_address {
            m.from_address = v;
        }
        if let Some(v) = opt(patch.from_name) {
            m.from_name = v;
        }
        if let Some(v) = reply_to {
            m.reply_to = v;
        }
        if let Some(v) = patch.unknown_sender {
            m.unknown_sender = v;
        }
        if let Some(v) = patch.rate_limit_per_hour {
            m.rate_limit_per_hour = v;
        }
        if let Some(v) = imap_url {
            self.seal_legacy_password(&mut m);
            // "***" in place of the password keeps the stored one.
            let keep = v.as_deref().is_some_and(|u| u.contains(":***@"));
            let (url, password) = match v.as_deref() {
                Some(u) => {
                    let password = ImapSettings::from_url(u).map(|s| s.password).ok();
                    (Some(redact_url(u)), password.filter(|p| !p.is_empty()))
                }
                None => (None, None),
            };
            if url != m.imap_url {
                m.imap_uid_validity = None;
                m.imap_last_uid = None;
                m.imap_status = None;
                m.imap_error = None;
            }
            if !keep {
                m.imap_password_sealed =
                    password.map(|p| self.sealer.seal(actor.tenant.id, Purpose::ImapPassword, &p));
                m.imap_status = None;
                m.imap_error = None;
            }
            m.imap_url = url;
        }
        if let Some(v) = opt(patch.imap_processed_folder) {
            m.imap_processed_folder = v;
        }
        m.updated_at = self.clock.now();
        let view = settings_view(&m);
        repo::save_settings(&tx, m).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.settings_changed",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: None,
                after: Some(serde_json::to_value(&view).map_err(internal)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(view)
    }

    /// Creates (or replaces) the tenant's inbound token; returned once.
    pub async fn create_inbound_token(&self, actor: &Actor) -> Result<String> {
        actor.require(Permission::ManageMembers)?;
        let secret: [u8; 24] = rand::random();
        let token = format!(
            "inb_{}.{}",
            actor.tenant.slug,
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(secret)
        );
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        let mut m = self.mail_settings_of(&tx, actor.tenant.id).await?;
        m.inbound_token_hash = Some(sha256_hex(token.as_bytes()));
        m.updated_at = self.clock.now();
        repo::save_settings(&tx, m).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.inbound_token_created",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Creates (or replaces) the tenant's inbound HMAC signing secret; returned once and
    /// stored sealed.
    pub async fn create_inbound_hmac_secret(&self, actor: &Actor) -> Result<String> {
        actor.require(Permission::ManageMembers)?;
        let secret = format!(
            "whsec_{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
        );
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        let mut m = self.mail_settings_of(&tx, actor.tenant.id).await?;
        m.inbound_hmac_sealed = Some(self.sealer.seal(
            actor.tenant.id,
            Purpose::InboundHmac,
            &secret,
        ));
        m.updated_at = self.clock.now();
        repo::save_settings(&tx, m).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.inbound_hmac_secret_created",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(secret)
    }

    /// The tenant named by `slug` and its inbound HMAC secret, before the body is read;
    /// `Unauthenticated` when there is no such tenant or it has no secret.
    pub async fn inbound_hmac_secret(&self, slug: &str) -> Result<(TenantId, Vec<u8>)> {
        let tenant = self
            .tenant_by_slug(slug)
            .await
            .map_err(|_| AppError::Unauthenticated)?;
        let tx = self.store.read(Scope::Tenant(tenant.id)).await?;
        let sealed = repo::settings(&tx, tenant.id)
            .await?
            .and_then(|s| s.inbound_hmac_sealed)
            .ok_or(AppError::Unauthenticated)?;
        let secret = self
            .sealer
            .open(tenant.id, Purpose::InboundHmac, &sealed)
            .map_err(|e| {
                tracing::warn!(tenant = %tenant.slug, error = %e, "inbound HMAC secret unreadable");
                AppError::Unauthenticated
            })?;
        Ok((tenant.id, secret.into_bytes()))
    }

    /// Moves a password still written inside `imap_url` (rows saved before passwords were
    /// sealed) into the sealed column.
    fn seal_legacy_password(&self, m: &mut mail_setting::Model) {
        let Some(url) = m.imap_url.clone() else {
            return;
        };
        if url.contains(":***@") {
            return;
        }
        if let Ok(settings) = ImapSettings::from_url(&url)
            && !settings.password.is_empty()
        {
            m.imap_password_sealed = Some(self.sealer.seal(
                TenantId(m.tenant_id),
                Purpose::ImapPassword,
                &settings.password,
            ));
            m.imap_url = Some(redact_url(&url));
        }
    }

    /// Seals IMAP passwords left in plain text by an older version, in every tenant; run
    /// at start-up. Returns how many were sealed. Only a tenant whose settings still hold a
    /// plain password takes the writer.
    pub async fn seal_stored_secrets(&self) -> Result<usize> {
        let mut sealed = 0;
        for t in self.list_tenants().await? {
            let plain = {
                let tx = self.store.read(Scope::Tenant(t.id)).await?;
                repo::settings(&tx, t.id).await?.is_some_and(|mut m| {
                    let before = m.imap_url.clone();
                    self.seal_legacy_password(&mut m);
                    m.imap_url != before
                })
            };
            if !plain {
                continue;
            }
            let tx = self.store.write(Scope::Tenant(t.id)).await?;
            let Some(mut m) = repo::settings(&tx, t.id).await? else {
                continue;
            };
            let before = m.imap_url.clone();
            self.seal_legacy_password(&mut m);
            if m.imap_url != before {
                repo::save_settings(&tx, m).await?;
                tx.commit().await?;
                sealed += 1;
            }
        }
        Ok(sealed)
    }

    /// The tenant an inbound token belongs to; `Unauthenticated` for anything else.
    pub async fn authenticate_inbound_token(&self, token: &str) -> Result<TenantId> {
        use subtle::ConstantTimeEq;
        let slug = token
            .strip_prefix("inb_")
            .and_then(|t| t.split_once('.'))
            .map(|(slug, _)| slug)
            .ok_or(AppError::Unauthenticated)?;
        let tenant = self
            .tenant_by_slug(slug)
            .await
            .map_err(|_| AppError::Unauthenticated)?;
        let tx = self.store.read(Scope::Tenant(tenant.id)).await?;
        let stored = repo::settings(&tx, tenant.id)
            .await?
            .and_then(|s| s.inbound_token_hash)
            .ok_or(AppError::Unauthenticated)?;
        let given = sha256_hex(token.as_bytes());
        if bool::from(stored.as_bytes().ct_eq(given.as_bytes())) {
            Ok(tenant.id)
        } else {
            Err(AppError::Unauthenticated)
        }
    }

    /// Every notification template with the tenant's overrides applied (admins).
    pub async fn mail_templates(&self, actor: &Actor) -> Result<Vec<TemplateView>> {
        actor.require(Permission::ManageMembers)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let overrides = repo::templates(&tx, actor.tenant.id).await?;
        Ok(TemplateKind::ALL
            .into_iter()
            .map(|kind| {
                let o = overrides.iter().find(|o| o.kind == kind.as_str());
                let pick = |part: TemplatePart, v: Option<&Option<String>>| {
                    v.and_then(|v| v.clone())
                        .unwrap_or_else(|| kind.default_source(part).to_string())
                };
                TemplateView {
                    kind: kind.as_str().into(),
                    subject: pick(TemplatePart::Subject, o.map(|o| &o.subject)),
                    text: pick(TemplatePart::Text, o.map(|o| &o.text)),
                    html: pick(TemplatePart::Html, o.map(|o| &o.html)),
                    overridden: o.is_some(),
                }
            })
            .collect())
    }

    /// Saves an override after checking that every part compiles and renders (admins).
    pub async fn save_mail_template(
        &self,
        actor: &Actor,
        kind: &str,
        subject: Option<String>,
        text: Option<String>,
        html: Option<String>,
    ) -> Result<TemplateView> {
        actor.require(Permission::ManageMembers)?;
        let kind: TemplateKind = kind.parse().map_err(|_| AppError::NotFound("template"))?;
        let clean = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let (subject, text, html) = (clean(subject), clean(text), clean(html));
        let mut errors = Vec::new();
        for (name, part, v) in [
            ("subject", TemplatePart::Subject, &subject),
            ("text", TemplatePart::Text, &text),
            ("html", TemplatePart::Html, &html),
        ] {
            if let Some(src) = v
                && let Err(e) = catalyst_mail::templates::validate(kind, part, src)
            {
                errors.push(FieldError::new(name, "template", e.to_string()));
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        repo::save_template(
            &tx,
            mail_template::Model {
                id: Uuid::now_v7(),
                tenant_id: actor.tenant.id.0,
                kind: kind.as_str().into(),
                subject: subject.clone(),
                text: text.clone(),
                html: html.clone(),
                updated_at: self.clock.now(),
            },
        )
        .await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.template_saved",
                target_type: "mail_template",
                target_id: kind.as_str().into(),
                before: None,
                after: Some(json!({"subject": subject, "text": text, "html": html})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(TemplateView {
            kind: kind.as_str().into(),
            subject: subject.unwrap_or_else(|| kind.default_source(TemplatePart::Subject).into()),
            text: text.unwrap_or_else(|| kind.default_source(TemplatePart::Text).into()),
            html: html.unwrap_or_else(|| kind.default_source(TemplatePart::Html).into()),
            overridden: true,
        })
    }

    /// Removes an override: the default applies again (admins).
    pub async fn reset_mail_template(&self, actor: &Actor, kind: &str) -> Result<()> {
        actor.require(Permission::ManageMembers)?;
        let kind: TemplateKind = kind.parse().map_err(|_| AppError::NotFound("template"))?;
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        repo::delete_template(&tx, actor.tenant.id, kind.as_str()).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.template_reset",
                target_type: "mail_template",
                target_id: kind.as_str().into(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    // ---- admin: quarantine and failures -----------------------------------------------

    /// Quarantined mail of the tenant, newest first (admins).
    pub async fn list_quarantine(&self, actor: &Actor) -> Result<Vec<QuarantineView>> {
        actor.require(Permission::ManageMembers)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(repo::quarantined(&tx, actor.tenant.id, 200)
            .await?
            .into_iter()
            .map(|q| QuarantineView {
                id: q.id,
                source: q.source,
                reason: q.reason,
                detail: q.detail,
                sender: q.sender,
                subject: q.subject,
                message_id: q.message_id,
                size: q.raw.len(),
                received_at: q.received_at,
            })
            .collect())
    }

    /// Replays a quarantined message through the pipeline, skipping the check that put
    /// it there (stranger, rate limit, automatic mail). Returns the new outcome.
    pub async fn release_quarantined(&self, actor: &Actor, id: Uuid) -> Result<IngestOutcome> {
        actor.require(Permission::ManageMembers)?;
        let q = {
            let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
            repo::quarantined_one(&tx, actor.tenant.id, id)
                .await?
                .filter(|q| q.released_at.is_none())
                .ok_or(AppError::NotFound("quarantined message"))?
        };
        let outcome = self
            .ingest_inner(actor.tenant.id, &q.raw, Source::Release)
            .await?;
        let ticket = match &outcome {
            IngestOutcome::Created { ticket_id, .. }
            | IngestOutcome::Appended { ticket_id, .. } => Some(*ticket_id),
            _ => None,
        };
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        repo::mark_released(&tx, actor.tenant.id, id, ticket, self.clock.now()).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.quarantine_released",
                target_type: "mail_quarantine",
                target_id: id.to_string(),
                before: Some(json!({"reason": q.reason})),
                after: Some(serde_json::to_value(&outcome).map_err(internal)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Deletes a quarantined message (admins).
    pub async fn delete_quarantined(&self, actor: &Actor, id: Uuid) -> Result<()> {
        actor.require(Permission::ManageMembers)?;
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        if !repo::delete_quarantined(&tx, actor.tenant.id, id).await? {
            return Err(AppError::NotFound("quarantined message"));
        }
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "mail.quarantine_deleted",
                target_type: "mail_quarantine",
                target_id: id.to_string(),
                before: None,
                after: None,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Notifications that could not be delivered after every retry (admins).
    pub async fn mail_failures(&self, actor: &Actor) -> Result<Vec<MailFailureView>> {
        actor.require(Permission::ManageMembers)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(jobs::list(&tx, jobs::DEAD, Some(actor.tenant.id), 200)
            .await?
            .into_iter()
            .filter(|j| j.kind == SEND_JOB)
            .filter_map(|j| {
                let p: SendPayload = serde_json::from_value(j.payload.clone()).ok()?;
                Some(MailFailureView {
                    job_id: j.id,
                    to: p.to,
                    subject: p.subject,
                    attempts: j.attempts,
                    last_error: j.last_error,
                    failed_at: j.updated_at,
                })
            })
            .collect())
    }

    // ---- outbound ---------------------------------------------------------------------

    /// Turns a ticket event into email notifications: renders, builds and enqueues them
    /// (one `mail.send` job each) and records their Message-IDs on the ticket. Returns
    /// how many messages were queued.
    pub async fn email_on_event(&self, ev: &event::Model) -> Result<usize> {
        let tenant = TenantId(ev.tenant_id);
        let prepared = {
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            self.prepare_emails(&tx, &mut MailMemo::default(), ev, None)
                .await?
        };
        if prepared.is_empty() {
            return Ok(0);
        }
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        let queued = self.queue_emails(&tx, ev, &prepared).await?;
        self.commit(tx).await?;
        Ok(queued)
    }

    /// Reads and renders the emails a ticket event calls for, without writing: callers
    /// run it in a read transaction, so the single writer is not held while templates
    /// render and messages are built. [`App::queue_emails`] then records them.
    /// `ticket`: the event's ticket when the caller has read it already.
    /// `memo`: what the tenant's other events of this batch already read (start with an
    /// empty one for each read transaction).
    pub(crate) async fn prepare_emails(
        &self,
        tx: &impl ConnectionTrait,
        memo: &mut MailMemo,
        ev: &event::Model,
        ticket: Option<&ticket::Model>,
    ) -> Result<Vec<PreparedMail>> {
        if ev.aggregate_type != "ticket" {
            return Ok(Vec::new());
        }
        let Ok(ticket_id) = ev.aggregate_id.parse::<Uuid>() else {
            return Ok(Vec::new());
        };
        let tenant = TenantId(ev.tenant_id);
        let settings = match &memo.settings {
            Some(s) => s.clone(),
            None => {
                let s = self.mail_settings_of(tx, tenant).await?;
                memo.settings = Some(s.clone());
                s
            }
        };
        if !settings.outbound_enabled {
            return Ok(Vec::new());
        }
        let read;
        let t = match ticket.filter(|t| t.id == ticket_id) {
            Some(t) => t,
            None => match tickets::get(tx, tenant, ticket_id).await? {
                Some(t) => {
                    read = t;
                    &read
                }
                None => return Ok(Vec::new()),
            },
        };
        let mut l = Lookups::new(tx, &mut memo.users, tenant, ev, t);
        let Some(recipients) = self.recipients(&mut l, ev, t).await? else {
            return Ok(Vec::new());
        };
        let tenant_ref = match &memo.tenant {
            Some(r) => r.clone(),
            None => {
                let r = tenants::by_id(tx, tenant)
                    .await?
                    .map(|t| crate::tenants::tenant_ref(&t))
                    .ok_or(AppError::NotFound("tenant"))?;
                memo.tenant = Some(r.clone());
                r
            }
        };
        let kind = recipients.kind.as_str();
        let overrides = match memo.templates.get(kind) {
            Some(o) => o.clone(),
            None => {
                let o = template_override(repo::template(tx, tenant, kind).await?);
                memo.templates.insert(kind, o.clone());
                o
            }
        };
        let mut ctx = self
            .notification_context(&mut l, &tenant_ref, ev, t)
            .await?;
        let thread: Vec<String> = l
            .thread()
            .await?
            .iter()
            .map(|m| m.message_id.clone())
            .collect();
        let from = Mailbox {
            address: settings
                .from_address
                .clone()
                .unwrap_or_else(|| self.mail.default_from.clone()),
            name: Some(
                settings
                    .from_name
                    .clone()
                    .unwrap_or_else(|| tenant_ref.name.clone()),
            ),
        };
        let reply_to = settings.reply_to.clone().map(|a| Mailbox {
            address: a,
            name: None,
        });
        let batches: Vec<Batch> = if recipients.separately {
            recipients
                .to
                .iter()
                .map(|r| (vec![r.clone()], Vec::new()))
                .collect()
        } else {
            vec![(recipients.to.clone(), recipients.cc.clone())]
        };
        let mut prepared = Vec::new();
        for (to, cc) in batches {
            if to.is_empty() {
                continue;
            }
            ctx.recipient_name = to.first().map(|(_, n)| n.clone()).unwrap_or_default();
            let rendered = catalyst_mail::render(recipients.kind, overrides.as_ref(), &ctx)
                .map_err(internal)?;
            let subject = catalyst_mail::tagged_subject(&rendered.subject, tag_of(&t.number));
            let built = catalyst_mail::build(&OutgoingMail {
                from: from.clone(),
                reply_to: reply_to.clone(),
                to: to
                    .iter()
                    .map(|(a, n)| Mailbox {
                        address: a.clone(),
                        name: Some(n.clone()).filter(|n| !n.is_empty()),
                    })
                    .collect(),
                cc: cc
                    .iter()
                    .map(|a| Mailbox {
                        address: a.clone(),
                        name: None,
                    })
                    .collect(),
                subject: rendered.subject,
                tag: tag_of(&t.number),
                text: rendered.text,
                html: Some(rendered.html),
                thread: thread.clone(),
                message_id_domain: self.mail.message_id_domain.clone(),
            });
            let built = match built {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, ticket = %t.number, "notification not built");
                    continue;
                }
            };
            prepared.push(PreparedMail {
                ticket_id: t.id,
                kind: recipients.kind.as_str(),
                first_to: to.first().map(|(a, _)| a.clone()).unwrap_or_default(),
                subject,
                built,
            });
        }
        Ok(prepared)
    }

    /// Records prepared emails in the caller's write transaction: each Message-ID on the
    /// ticket and one `mail.send` job per message. Returns how many were queued.
    pub(crate) async fn queue_emails(
        &self,
        tx: &impl ConnectionTrait,
        ev: &event::Model,
        prepared: &[PreparedMail],
    ) -> Result<usize> {
        let mut rows = EmailRows::default();
        self.email_rows(ev, prepared, &mut rows)?;
        let queued = rows.messages.len();
        rows.insert(tx, self.clock.now()).await?;
        Ok(queued)
    }

    /// The outgoing message rows and send jobs of an event's prepared emails, added to
    /// `rows`.
    pub(crate) fn email_rows(
        &self,
        ev: &event::Model,
        prepared: &[PreparedMail],
        rows: &mut EmailRows,
    ) -> Result<()> {
        let tenant = TenantId(ev.tenant_id);
        let now = self.clock.now();
        for p in prepared {
            let built = &p.built;
            rows.messages
                .push(catalyst_store::entity::mail_message::Model {
                    id: Uuid::now_v7(),
                    tenant_id: tenant.0,
                    direction: repo::OUT.into(),
                    message_id: built.message_id.clone(),
                    ticket_id: Some(p.ticket_id),
                    comment_id: None,
                    sender: None,
                    match_reason: Some(p.kind.into()),
                    class: None,
                    created_at: now,
                });
            let payload = SendPayload {
                tenant: tenant.0,
                message_id: built.message_id.clone(),
                from: built.envelope.from.clone(),
                to: built.envelope.to.clone(),
                subject: p.subject.clone(),
                raw: base64::engine::general_purpose::STANDARD.encode(&built.raw),
            };
            rows.jobs.push(
                NewJob::new(
                    SEND_JOB,
                    serde_json::to_value(&payload).map_err(internal)?,
                    now,
                )
                .tenant(tenant)
                .dedupe(format!("mail:{}:{}:{}", ev.id, p.kind, p.first_to)),
            );
        }
        Ok(())
    }

    async fn recipients<C: ConnectionTrait>(
        &self,
        l: &mut Lookups<'_, C>,
        ev: &event::Model,
        t: &ticket::Model,
    ) -> Result<Option<Recipients>> {
        let (db, tenant) = (l.db, l.tenant);
        let person = |u: catalyst_store::entity::user::Model| (u.email, u.name);
        let requester = l.user(t.requester_id).await?.map(person);
        let kind = match ev.event_type.as_str() {
            "ticket.created" => {
                // No acknowledgement to automatic or bulk mail (RFC 3834).
                let auto = l.thread().await?.iter().any(|m| {
                    m.direction == repo::IN && m.class.as_deref().is_some_and(|c| c != "human")
                });
                if auto {
                    return Ok(None);
                }
                return Ok(requester.map(|r| Recipients {
                    kind: TemplateKind::TicketCreated,
                    to: vec![r],
                    cc: Vec::new(),
                    separately: false,
                }));
            }
            "ticket.reply_added" => {
                if ev.payload.get("isPrivate").and_then(|v| v.as_bool()) != Some(false) {
                    return Ok(None);
                }
                let author = l.comment().await?.map(|c| c.author_id);
                let author_is_agent = match author {
                    Some(a) => self.is_agent(db, tenant, a).await?,
                    None => false,
                };
                if author_is_agent {
                    TemplateKind::AgentReply
                } else {
                    TemplateKind::RequesterReply
                }
            }
            "ticket.updated"
                if ev.payload.get("status").and_then(|v| v.as_str()) == Some("resolved") =>
            {
                TemplateKind::Resolved
            }
            "ticket.sla_due_soon" => TemplateKind::SlaDueSoon,
            "ticket.sla_breached" => TemplateKind::SlaBreached,
            _ => return Ok(None),
        };
        let author_email = match l.comment().await?.map(|c| c.author_id) {
            Some(a) => l.user(a).await?.map(|u| u.email),
            None => None,
        };
        let not_author = |e: &String| author_email.as_deref() != Some(e.as_str());
        Ok(Some(match kind {
            TemplateKind::AgentReply | TemplateKind::Resolved => {
                let cc: Vec<String> = if kind == TemplateKind::AgentReply {
                    repo::participants(db, tenant, t.id)
                        .await?
                        .into_iter()
                        .filter(|p| Some(p) != requester.as_ref().map(|r| &r.0))
                        .filter(not_author)
                        .collect()
                } else {
                    Vec::new()
                };
                Recipients {
                    kind,
                    to: requester.into_iter().collect(),
                    cc,
                    separately: false,
                }
            }
            _ => {
                let agents = self.agents_for(db, tenant, t).await?;
                Recipients {
                    kind,
                    to: agents.into_iter().filter(|(e, _)| not_author(e)).collect(),
                    cc: Vec::new(),
                    separately: true,
                }
            }
        }))
    }

    async fn is_agent(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        user: Uuid,
    ) -> Result<bool> {
        Ok(match members::get(db, tenant, UserId(user)).await? {
            Some(m) => m
                .role
                .parse::<Role>()
                .is_ok_and(|r| r.allows(Permission::UseAgentConsole)),
            None => false,
        })
    }

    /// The assignee, or else every agent of the tenant.
    async fn agents_for(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        t: &ticket::Model,
    ) -> Result<Vec<(String, String)>> {
        if let Some(a) = t.assignee_id
            && let Some(u) = users::by_id(db, UserId(a)).await?
        {
            return Ok(vec![(u.email, u.name)]);
        }
        let ids: Vec<UserId> = members::list_for_tenant(db, tenant)
            .await?
            .into_iter()
            .filter(|m| {
                m.role
                    .parse::<Role>()
                    .is_ok_and(|r| r.allows(Permission::UseAgentConsole))
            })
            .map(|m| UserId(m.user_id))
            .collect();
        Ok(users::by_ids(db, &ids)
            .await?
            .into_iter()
            .filter(|u| !u.disabled)
            .map(|u| (u.email, u.name))
            .collect())
    }

    async fn notification_context<C: ConnectionTrait>(
        &self,
        l: &mut Lookups<'_, C>,
        tenant: &TenantRef,
        ev: &event::Model,
        t: &ticket::Model,
    ) -> Result<NotificationContext> {
        let name_of =
            |u: Option<catalyst_store::entity::user::Model>| u.map(|u| u.name).unwrap_or_default();
        let requester_name = name_of(l.user(t.requester_id).await?);
        let assignee_name = match t.assignee_id {
            Some(a) => name_of(l.user(a).await?),
            None => String::new(),
        };
        let comment = l
            .comment()
            .await?
            .map(|c| (c.author_id, (!c.is_private).then(|| c.body.clone())));
        let (author_name, message) = match comment {
            // An internal note's text never goes out by email.
            Some((author, body)) => (name_of(l.user(author).await?), body.unwrap_or_default()),
            None => (String::new(), String::new()),
        };
        let base = self.mail.web_base_url.trim_end_matches('/');
        Ok(NotificationContext {
            tenant_name: tenant.name.clone(),
            recipient_name: String::new(),
            author_name,
            message,
            ticket: TicketContext {
                number: t.number.clone(),
                subject: t.subject.clone(),
                status: t.status.clone(),
                priority: t.priority.clone(),
                url: format!("{base}/portal/tickets/{}", t.id),
                requester_name,
                assignee_name,
                queue_name: String::new(),
            },
            sla_target: ev
                .payload
                .get("metric")
                .or_else(|| ev.payload.get("target"))
                .and_then(|v| v.as_str())
                .unwrap_or("resolution")
                .replace('_', " "),
            due_at: ev
                .payload
                .get("dueAt")
                .and_then(|v| v.as_str())
                .map(|d| {
                    DateTime::parse_from_rfc3339(d)
                        .map(|d| {
                            d.with_timezone(&Utc)
                                .format("%Y-%m-%d %H:%M UTC")
                                .to_string()
                        })
                        .unwrap_or_else(|_| d.to_string())
                })
                .unwrap_or_default(),
        })
    }

    /// Delivers the message of a `mail.send` job. Transient failures should be retried
    /// with backoff; permanent ones (a 5xx answer, a broken payload) should not.
    pub async fn run_mail_send(&self, payload: &serde_json::Value) -> Result<(), MailJobError> {
        let p: SendPayload = serde_json::from_value(payload.clone())
            .map_err(|e| MailJobError::Permanent(format!("bad payload: {e}")))?;
        let raw = base64::engine::general_purpose::STANDARD
            .decode(p.raw.as_bytes())
            .map_err(|e| MailJobError::Permanent(format!("bad payload: {e}")))?;
        let envelope = catalyst_mail::Envelope {
            from: p.from,
            to: p.to,
        };
        match self.mail.transport.send(&raw, &envelope).await {
            Ok(()) => Ok(()),
            Err(catalyst_mail::Error::Transport {
                permanent: true,
                message,
            }) => Err(MailJobError::Permanent(message)),
            Err(e) => Err(MailJobError::Retry(e.to_string())),
        }
    }

    // ---- inbound ----------------------------------------------------------------------

    /// Ingests one raw RFC 5322 message for a tenant (IMAP, HTTP, command line).
    pub async fn ingest_email(
        &self,
        tenant: TenantId,
        raw: &[u8],
        source: Source,
    ) -> Result<IngestOutcome> {
        self.ingest_inner(tenant, raw, source).await
    }

    /// Ingests for the tenant with this slug (command line).
    pub async fn ingest_email_for_slug(
        &self,
        slug: &str,
        raw: &[u8],
        source: Source,
    ) -> Result<IngestOutcome> {
        let tenant = self.tenant_by_slug(slug).await?;
        self.ingest_inner(tenant.id, raw, source).await
    }

    #[allow(clippy::too_many_arguments)]
    async fn quarantine_mail(
        &self,
        tenant: TenantId,
        raw: &[u8],
        source: Source,
        parsed: Option<&ParsedMail>,
        message_id: Option<&str>,
        reason: &str,
        detail: Option<String>,
    ) -> Result<IngestOutcome> {
        let id = Uuid::now_v7();
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        repo::quarantine(
            &tx,
            mail_quarantine::Model {
                id,
                tenant_id: tenant.0,
                source: source.as_str().into(),
                reason: reason.into(),
                detail,
                sender: parsed
                    .and_then(|p| p.from.as_ref())
                    .map(|f| f.normalized().chars().take(320).collect()),
                subject: parsed.map(|p| p.subject.chars().take(500).collect()),
                message_id: message_id.map(|m| m.chars().take(500).collect()),
                raw: raw.to_vec(),
                received_at: self.clock.now(),
                released_at: None,
                released_ticket_id: None,
            },
        )
        .await?;
        tx.commit().await?;
        tracing::info!(tenant = %tenant, reason, "inbound mail quarantined");
        Ok(IngestOutcome::Quarantined {
            id,
            reason: reason.into(),
        })
    }

    #[allow(clippy::too_many_lines)]
    async fn ingest_inner(
        &self,
        tenant: TenantId,
        raw: &[u8],
        source: Source,
    ) -> Result<IngestOutcome> {
        let release = source == Source::Release;
        if raw.len() > self.mail.max_message_bytes {
            return Err(AppError::TooLarge {
                max_bytes: self.mail.max_message_bytes as u64,
            });
        }
        let settings = {
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            self.mail_settings_of(&tx, tenant).await?
        };
        let parsed = match catalyst_mail::parse(raw) {
            Ok(p) => p,
            Err(e) => {
                return self
                    .quarantine_mail(
                        tenant,
                        raw,
                        source,
                        None,
                        None,
                        "unparseable",
                        Some(e.to_string()),
                    )
                    .await;
            }
        };
        let message_id = parsed
            .message_id
            .clone()
            .map(|m| m.chars().take(490).collect::<String>())
            .unwrap_or_else(|| format!("sha256-{}@catalyst.invalid", &sha256_hex(raw)[..32]));
        let q = |reason: &'static str, detail: Option<String>| {
            let message_id = message_id.clone();
            let parsed = &parsed;
            async move {
                self.quarantine_mail(
                    tenant,
                    raw,
                    source,
                    Some(parsed),
                    Some(&message_id),
                    reason,
                    detail,
                )
                .await
            }
        };
        {
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            if repo::message(&tx, tenant, repo::IN, &message_id)
                .await?
                .is_some()
                || (!release && repo::is_quarantined(&tx, tenant, &message_id).await?)
            {
                return Ok(IngestOutcome::Duplicate);
            }
        }
        if !settings.inbound_enabled && !release {
            return q("inbound_disabled", None).await;
        }
        let Some(sender) = parsed.from.clone() else {
            return q("no_sender", None).await;
        };
        let sender_addr = sender.normalized();
        let Ok(sender_email) = Email::parse(&sender_addr) else {
            return q("bad_sender", Some(sender.address.clone())).await;
        };
        let own = [
            settings.from_address.as_deref(),
            settings.reply_to.as_deref(),
            Some(self.mail.default_from.as_str()),
        ];
        if own
            .iter()
            .flatten()
            .any(|a| a.eq_ignore_ascii_case(&sender_addr))
        {
            return q("own_address", None).await;
        }
        if !release {
            match parsed.class {
                MailClass::AutoReply => return q("auto_reply", None).await,
                MailClass::Bounce => return q("bounce", None).await,
                MailClass::Bulk | MailClass::Human => {}
            }
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            let recent = repo::count_from_sender(
                &tx,
                tenant,
                &sender_addr,
                self.clock.now() - Duration::hours(1),
            )
            .await?;
            if recent >= u64::try_from(settings.rate_limit_per_hour.max(1)).unwrap_or(30) {
                return q(
                    "rate_limited",
                    Some(format!(
                        "more than {} messages from {sender_addr} within an hour",
                        settings.rate_limit_per_hour
                    )),
                )
                .await;
            }
        }

        let meta = Inbound {
            message_id: message_id.clone(),
            sender: sender_addr.chars().take(320).collect(),
            class: parsed.class,
        };
        match self
            .thread_and_store(tenant, &settings, &parsed, &sender, &sender_email, &meta, release)
            .await?
        {
            Some(outcome) => Ok(outcome),
            None => {
                q(
                    "stranger",
                    Some(format!(
                        "{sender_addr} is not the requester, a participant or an agent of the matched ticket"
                    )),
                )
                .await
            }
        }
    }

    /// Records the Message-ID of an ingested message with its ticket, comment and match
    /// reason (and the ticket's new participants) in one transaction.
    async fn record_inbound(
        &self,
        tenant: TenantId,
        meta: &Inbound,
        ticket: Uuid,
        comment: Option<Uuid>,
        reason: &str,
        participants: &[String],
    ) -> Result<()> {
        let now = self.clock.now();
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        for p in participants {
            repo::add_participant(&tx, tenant, ticket, p, now).await?;
        }
        let r = repo::insert_message(
            &tx,
            catalyst_store::entity::mail_message::Model {
                id: Uuid::now_v7(),
                tenant_id: tenant.0,
                direction: repo::IN.into(),
                message_id: meta.message_id.clone(),
                ticket_id: Some(ticket),
                comment_id: comment,
                sender: Some(meta.sender.clone()),
                match_reason: Some(reason.into()),
                class: Some(meta.class.as_str().into()),
                created_at: now,
            },
        )
        .await;
        match r {
            Ok(()) => tx.commit().await?,
            // Recorded by a concurrent delivery of the same message: nothing to add.
            Err(catalyst_store::StoreError::Duplicate { .. }) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Finds the ticket, checks the sender, appends or creates. `None`: a stranger wrote
    /// into someone's ticket and the tenant quarantines that.
    #[allow(clippy::too_many_arguments)]
    async fn thread_and_store(
        &self,
        tenant: TenantId,
        settings: &mail_setting::Model,
        parsed: &ParsedMail,
        sender: &Mailbox,
        sender_email: &Email,
        meta: &Inbound,
        release: bool,
    ) -> Result<Option<IngestOutcome>> {
        let tenant_ref = self.tenant_ref(tenant).await?;
        // 1. Threading headers against Message-IDs we sent or received.
        let (matched, reason) = {
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            let ids = parsed.thread_ids();
            let known = repo::messages_with_ids(&tx, tenant, &ids).await?;
            let by_header = ids.iter().find_map(|id| {
                known
                    .iter()
                    .find(|m| &m.message_id == id)
                    .and_then(|m| m.ticket_id)
                    .map(|t| {
                        let reason = if parsed.in_reply_to.contains(id) {
                            "in_reply_to"
                        } else {
                            "references"
                        };
                        (t, reason)
                    })
            });
            match by_header {
                Some((t, r)) => (tickets::get(&tx, tenant, t).await?, r),
                // 2. The subject tag.
                None => match parsed.tag {
                    Some(tag) => match tickets::by_number(&tx, tenant, &tag.to_string()).await? {
                        Some(t) => (Some(t), "subject_tag"),
                        None => (None, "new_ticket"),
                    },
                    None => (None, "new_ticket"),
                },
            }
        };
        let member = self
            .member_for(&tenant_ref, sender, sender_email, matched.is_none())
            .await?;
        if let Some(t) = matched {
            let status: Status = t.status.parse().map_err(internal)?;
            // A message released by an admin was vouched for.
            let allowed = release
                || match &member {
                    Some(actor) => {
                        actor.user_id.0 == t.requester_id
                            || actor.role.allows(Permission::UseAgentConsole)
                            || self.is_participant(tenant, t.id, sender_email).await?
                    }
                    None => self.is_participant(tenant, t.id, sender_email).await?,
                };
            if allowed && !status.is_final() {
                let actor = match member {
                    Some(a) => a,
                    None => self
                        .member_for(&tenant_ref, sender, sender_email, true)
                        .await?
                        .ok_or_else(|| AppError::Internal("sender account".into()))?,
                };
                return self
                    .append_reply(tenant, &actor, &t, parsed, reason, meta)
                    .await
                    .map(Some);
            }
            if !allowed && settings.unknown_sender == "quarantine" {
                return Ok(None);
            }
            let reason = if allowed {
                "closed_ticket"
            } else {
                "stranger_new_ticket"
            };
            let actor = match member {
                Some(a) => a,
                None => self
                    .member_for(&tenant_ref, sender, sender_email, true)
                    .await?
                    .ok_or_else(|| AppError::Internal("sender account".into()))?,
            };
            return self
                .open_ticket(tenant, settings, &actor, parsed, reason, meta)
                .await
                .map(Some);
        }
        let actor = member.ok_or_else(|| AppError::Internal("sender account".into()))?;
        self.open_ticket(tenant, settings, &actor, parsed, reason, meta)
            .await
            .map(Some)
    }

    async fn is_participant(&self, tenant: TenantId, ticket: Uuid, email: &Email) -> Result<bool> {
        let tx = self.store.read(Scope::Tenant(tenant)).await?;
        Ok(repo::participants(&tx, tenant, ticket)
            .await?
            .iter()
            .any(|p| p.eq_ignore_ascii_case(email.as_str())))
    }

    /// The sender as an actor of the tenant. With `create`, a stranger gets a requester
    /// account without a password (they can set one through a reset later).
    async fn member_for(
        &self,
        tenant: &TenantRef,
        sender: &Mailbox,
        email: &Email,
        create: bool,
    ) -> Result<Option<Actor>> {
        let actor = |user: catalyst_store::entity::user::Model, role: Role| {
            (!user.disabled).then(|| Actor {
                user_id: UserId(user.id),
                email: email.clone(),
                name: user.name,
                tenant: tenant.clone(),
                role,
                request_id: None,
            })
        };
        // Usually the sender is known: a read, no write transaction.
        {
            let tx = self.store.read(Scope::Tenant(tenant.id)).await?;
            if let Some(u) = users::by_email(&tx, email).await?
                && let Some(m) = members::get(&tx, tenant.id, UserId(u.id)).await?
            {
                return Ok(actor(u, m.role.parse::<Role>().map_err(internal)?));
            }
        }
        if !create {
            return Ok(None);
        }
        let now = self.clock.now();
        let tx = self.store.write(Scope::Tenant(tenant.id)).await?;
        let user = match users::by_email(&tx, email).await? {
            Some(u) => u,
            None if create => {
                let fallback = email.as_str().split('@').next().unwrap_or("requester");
                let name = sender
                    .name
                    .as_deref()
                    .and_then(|n| DisplayName::parse(n).ok())
                    .or_else(|| DisplayName::parse(fallback).ok())
                    .or_else(|| DisplayName::parse("Email requester").ok())
                    .ok_or_else(|| AppError::Internal("display name".into()))?;
                users::insert(&tx, email, &name, None, now).await?
            }
            None => return Ok(None),
        };
        let role = match members::get(&tx, tenant.id, UserId(user.id)).await? {
            Some(m) => m.role.parse::<Role>().map_err(internal)?,
            None if create => {
                members::insert(&tx, tenant.id, UserId(user.id), Role::Requester, now).await?;
                Role::Requester
            }
            None => return Ok(None),
        };
        tx.commit().await?;
        Ok(actor(user, role))
    }

    fn body_of(parsed: &ParsedMail) -> String {
        let body = if parsed.reply_text.trim().is_empty() {
            parsed.text.trim()
        } else {
            parsed.reply_text.trim()
        };
        let body: String = body.chars().take(19_000).collect();
        if body.trim().is_empty() {
            "(no text)".into()
        } else {
            body
        }
    }

    async fn append_reply(
        &self,
        tenant: TenantId,
        actor: &Actor,
        t: &ticket::Model,
        parsed: &ParsedMail,
        reason: &str,
        meta: &Inbound,
    ) -> Result<IngestOutcome> {
        let via = CommentVia {
            authorized: true,
            // Bulk mail never reopens a resolved ticket (auto-replies and bounces are
            // quarantined before they get here).
            may_reopen: parsed.class == MailClass::Human,
        };
        let (comment, new) = self
            .add_comment_via(
                actor,
                t.id,
                &Self::body_of(parsed),
                false,
                Some(meta.idempotency()),
                via,
            )
            .await?;
        if !new {
            return Ok(IngestOutcome::Duplicate);
        }
        let (stored, rejected) = self.store_attachments(actor, t.id, parsed).await;
        self.record_inbound(tenant, meta, t.id, Some(comment.id), reason, &[])
            .await?;
        Ok(IngestOutcome::Appended {
            ticket_id: t.id,
            number: t.number.clone(),
            comment_id: comment.id,
            match_reason: reason.into(),
            attachments: stored,
            rejected_attachments: rejected,
        })
    }

    async fn open_ticket(
        &self,
        tenant: TenantId,
        settings: &mail_setting::Model,
        actor: &Actor,
        parsed: &ParsedMail,
        reason: &str,
        meta: &Inbound,
    ) -> Result<IngestOutcome> {
        let mut subject: String = parsed.subject.trim().chars().take(200).collect();
        if subject.chars().count() < 3 {
            subject = format!("Email from {}", actor.email);
        }
        let input = NewTicket {
            kind: Some("incident".into()),
            subject,
            description: Self::body_of(parsed),
            ..Default::default()
        };
        // The ticket is opened by the sender themselves (as in the portal), keyed by the
        // Message-ID so that two deliveries of one message open one ticket.
        let (view, new) = self
            .create_ticket(actor, input, Some(meta.idempotency()))
            .await?;
        if !new {
            return Ok(IngestOutcome::Duplicate);
        }
        let (stored, rejected) = self.store_attachments(actor, view.id, parsed).await;
        // People CC'd on the first message may reply into the ticket and get replies.
        let own: Vec<String> = [
            settings.from_address.clone(),
            settings.reply_to.clone(),
            Some(self.mail.default_from.clone()),
        ]
        .into_iter()
        .flatten()
        .map(|a| a.to_ascii_lowercase())
        .collect();
        let participants: Vec<String> = if parsed.class == MailClass::Human {
            parsed
                .cc
                .iter()
                .take(20)
                .map(Mailbox::normalized)
                .filter(|a| a != actor.email.as_str() && !own.contains(a))
                .filter(|a| Email::parse(a).is_ok())
                .collect()
        } else {
            Vec::new()
        };
        self.record_inbound(tenant, meta, view.id, None, reason, &participants)
            .await?;
        Ok(IngestOutcome::Created {
            ticket_id: view.id,
            number: view.number,
            match_reason: reason.into(),
            attachments: stored,
            rejected_attachments: rejected,
        })
    }

    /// Stores attachments and inline images under the upload rules; returns how many were
    /// stored and the names of those refused (too large, forbidden type).
    async fn store_attachments(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        parsed: &ParsedMail,
    ) -> (usize, Vec<String>) {
        let mut stored = 0;
        let mut rejected = Vec::new();
        if parsed.attachments.is_empty() {
            return (0, rejected);
        }
        for a in &parsed.attachments {
            let body = futures::stream::iter(vec![Ok::<_, std::io::Error>(bytes::Bytes::from(
                a.bytes.clone(),
            ))]);
            match self
                .add_attachment_via(
                    actor,
                    ticket_id,
                    &a.filename,
                    false,
                    body,
                    self.mail.max_attachment_bytes,
                    true,
                )
                .await
            {
                Ok(_) => stored += 1,
                Err(e) => {
                    tracing::info!(file = %a.filename, error = %e, "email attachment refused");
                    rejected.push(a.filename.clone());
                }
            }
        }
        (stored, rejected)
    }

    // ---- IMAP -------------------------------------------------------------------------

    /// Polls the tenant's mailbox once: fetches messages above the last UID seen (reset
    /// when UIDVALIDITY changes), ingests each, marks it processed and stores the UID.
    /// A rejected login is recorded as `auth_failed` for the admin page.
    pub async fn poll_imap(&self, tenant: TenantId, batch: usize) -> Result<PollReport> {
        let settings = {
            let tx = self.store.read(Scope::Tenant(tenant)).await?;
            self.mail_settings_of(&tx, tenant).await?
        };
        let Some(url) = settings.imap_url.clone() else {
            return Ok(PollReport::default());
        };
        if !settings.inbound_enabled {
            return Ok(PollReport::default());
        }
        let mut imap = ImapSettings::from_url(&url).map_err(internal)?;
        imap.processed_folder = settings.imap_processed_folder.clone();
        let opened = match &settings.imap_password_sealed {
            Some(sealed) if url.contains(":***@") => self
                .sealer
                .open(tenant, Purpose::ImapPassword, sealed)
                .map(|p| imap.password = p)
                .map_err(|e| PollError::Auth(e.to_string())),
            _ => Ok(()),
        };
        let result = match opened {
            Ok(()) => self.poll_imap_inner(tenant, &settings, &imap, batch).await,
            Err(e) => Err(e),
        };
        let (status, error) = match &result {
            Ok(_) => ("ok", None),
            Err(PollError::Auth(e)) => ("auth_failed", Some(e.clone())),
            Err(PollError::Other(e)) => ("error", Some(e.clone())),
        };
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        let mut m = self.mail_settings_of(&tx, tenant).await?;
        let alert = status != "ok" && m.imap_status.as_deref() != Some(status);
        m.imap_status = Some(status.into());
        m.imap_error = error.clone();
        m.imap_checked_at = Some(self.clock.now());
        repo::save_settings(&tx, m).await?;
        if alert {
            // Recorded once per change of state, so admins see it in the audit log too.
            self.record(
                &tx,
                Change {
                    tenant,
                    who: &Who {
                        id: None,
                        label: "system:imap".into(),
                        request_id: None,
                    },
                    action: "mail.imap_failed",
                    target_type: "tenant",
                    target_id: tenant.to_string(),
                    before: None,
                    after: Some(json!({"status": status, "error": error})),
                },
            )
            .await?;
        }
        tx.commit().await?;
        match result {
            Ok(r) => Ok(r),
            Err(PollError::Auth(e)) | Err(PollError::Other(e)) => Err(AppError::Internal(e)),
        }
    }

    async fn poll_imap_inner(
        &self,
        tenant: TenantId,
        settings: &mail_setting::Model,
        imap: &ImapSettings,
        batch: usize,
    ) -> std::result::Result<PollReport, PollError> {
        let other = |e: &dyn std::fmt::Display| PollError::Other(e.to_string());
        let mut src = ImapSource::connect(imap).await.map_err(|e| match e {
            catalyst_mail::Error::ImapAuth(m) => PollError::Auth(m),
            e => PollError::Other(e.to_string()),
        })?;
        let state = src.select().await.map_err(|e| other(&e))?;
        let validity = i64::from(state.uid_validity);
        let mut last = match settings.imap_uid_validity {
            Some(v) if v == validity => settings.imap_last_uid.unwrap_or(0),
            _ => 0,
        };
        let mut report = PollReport::default();
        let fetched = src
            .fetch_new(u32::try_from(last).unwrap_or(0), batch)
            .await
            .map_err(|e| other(&e))?;
        for msg in fetched {
            report.fetched += 1;
            match self.ingest_inner(tenant, &msg.raw, Source::Imap).await {
                Ok(IngestOutcome::Created { .. }) => report.created += 1,
                Ok(IngestOutcome::Appended { .. }) => report.appended += 1,
                Ok(IngestOutcome::Quarantined { .. }) => report.quarantined += 1,
                Ok(IngestOutcome::Duplicate) => report.duplicates += 1,
                Err(e) => {
                    // Not marked and not advanced: the next poll tries it again.
                    src.logout().await;
                    return Err(other(&e));
                }
            }
            src.mark_processed(msg.uid).await.map_err(|e| other(&e))?;
            last = i64::from(msg.uid);
            let tx = self
                .store
                .write(Scope::Tenant(tenant))
                .await
                .map_err(|e| other(&e))?;
            let mut m = self
                .mail_settings_of(&tx, tenant)
                .await
                .map_err(|e| other(&e))?;
            m.imap_uid_validity = Some(validity);
            m.imap_last_uid = Some(last);
            repo::save_settings(&tx, m).await.map_err(|e| other(&e))?;
            tx.commit().await.map_err(|e| other(&e))?;
        }
        src.logout().await;
        Ok(report)
    }

    /// Polls every tenant that has a mailbox and whose polling lease `node` can take;
    /// one tenant's failure does not stop others. With several nodes, each mailbox is
    /// polled by one node at a time (a lease of [`IMAP_LEASE_SECS`], renewed per poll and
    /// given up afterwards). Returns how many mailboxes this node polled.
    pub async fn poll_all_imap(&self, node: &str, batch: usize) -> Result<usize> {
        let tenants = self.list_tenants().await?;
        let mut polled = 0;
        for t in tenants {
            let leased = {
                let tx = self.store.write(Scope::Tenant(t.id)).await?;
                let has_mailbox = repo::settings(&tx, t.id)
                    .await?
                    .is_some_and(|s| s.imap_url.is_some() && s.inbound_enabled);
                let now = self.clock.now();
                let leased = has_mailbox
                    && repo::try_lease_imap(
                        &tx,
                        t.id,
                        node,
                        now,
                        now + Duration::seconds(IMAP_LEASE_SECS),
                    )
                    .await?;
                tx.commit().await?;
                leased
            };
            if !leased {
                continue;
            }
            polled += 1;
            if let Err(e) = self.poll_imap(t.id, batch).await {
                tracing::warn!(tenant = %t.slug, error = %e, "IMAP poll failed");
            }
            let tx = self.store.write(Scope::Tenant(t.id)).await?;
            repo::release_imap_lease(&tx, t.id, node).await?;
            tx.commit().await?;
        }
        Ok(polled)
    }

    /// Ticket number helper for callers that only have a tag.
    pub fn ticket_tag(kind: TagKind, number: u64) -> String {
        SubjectTag { kind, number }.to_string()
    }
}

#[derive(Debug)]
enum PollError {
    Auth(String),
    Other(String),
}

/// What preparing one event's emails reads, each read at most once.
/// What the emails of one tenant's events have in common, read once for a batch of
/// events (in one read transaction): the tenant, its email settings and templates, and
/// the people involved.
#[derive(Default)]
pub(crate) struct MailMemo {
    settings: Option<mail_setting::Model>,
    tenant: Option<TenantRef>,
    templates: HashMap<&'static str, Option<TemplateOverride>>,
    users: HashMap<Uuid, Option<catalyst_store::entity::user::Model>>,
}

struct Lookups<'a, C: ConnectionTrait> {
    db: &'a C,
    tenant: TenantId,
    ticket: Uuid,
    /// The comment the event is about (from its `commentId`), internal or not.
    comment_id: Option<Uuid>,
    users: &'a mut HashMap<Uuid, Option<catalyst_store::entity::user::Model>>,
    comment: Option<Option<catalyst_store::entity::ticket_comment::Model>>,
    thread: Option<Vec<catalyst_store::entity::mail_message::Model>>,
}

impl<'a, C: ConnectionTrait> Lookups<'a, C> {
    fn new(
        db: &'a C,
        users: &'a mut HashMap<Uuid, Option<catalyst_store::entity::user::Model>>,
        tenant: TenantId,
        ev: &event::Model,
        t: &ticket::Model,
    ) -> Self {
        Lookups {
            db,
            tenant,
            ticket: t.id,
            comment_id: ev
                .payload
                .get("commentId")
                .and_then(|v| v.as_str())
                .and_then(|s| s.parse::<Uuid>().ok()),
            users,
            comment: None,
            thread: None,
        }
    }

    async fn user(&mut self, id: Uuid) -> Result<Option<catalyst_store::entity::user::Model>> {
        if let Some(u) = self.users.get(&id) {
            return Ok(u.clone());
        }
        let u = users::by_id(self.db, UserId(id)).await?;
        self.users.insert(id, u.clone());
        Ok(u)
    }

    async fn comment(&mut self) -> Result<Option<&catalyst_store::entity::ticket_comment::Model>> {
        if self.comment.is_none() {
            let c = match self.comment_id {
                Some(id) => tickets::comment(self.db, self.tenant, self.ticket, id, true).await?,
                None => None,
            };
            self.comment = Some(c);
        }
        Ok(self.comment.as_ref().and_then(Option::as_ref))
    }

    /// The ticket's email thread (Message-IDs in and out).
    async fn thread(&mut self) -> Result<&[catalyst_store::entity::mail_message::Model]> {
        if self.thread.is_none() {
            self.thread = Some(repo::thread(self.db, self.tenant, self.ticket).await?);
        }
        Ok(self.thread.as_deref().unwrap_or_default())
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn imap_passwords_are_redacted() {
        assert_eq!(
            redact_url("imaps://help%40acme:s3cret@mail.example:993/INBOX"),
            "imaps://help%40acme:***@mail.example:993/INBOX"
        );
        assert_eq!(redact_url("nonsense"), "nonsense");
    }
}
