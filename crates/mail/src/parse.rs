//! Inbound parsing: raw RFC 5322 bytes → [`ParsedMail`].
//!
//! The MIME work (transfer encodings, charsets, RFC 2047/2231 words) is done by
//! `mail-parser`; this module picks out what a helpdesk needs and never panics.

use std::fmt;

use chrono::{DateTime, Utc};
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders, PartType};

use crate::reply::strip_reply;
use crate::{Error, Result};

/// A mailbox: an address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// The address as written, e.g. `Jane.Doe@Example.com`.
    pub address: String,
    /// The decoded display name, if any.
    pub name: Option<String>,
}

impl Mailbox {
    /// The address in lower case, for comparisons.
    pub fn normalized(&self) -> String {
        self.address.trim().to_ascii_lowercase()
    }
}

/// An attachment or inline part of a message.
#[derive(Clone, PartialEq, Eq)]
pub struct Attachment {
    /// The decoded file name (a generated one when the message gives none).
    pub filename: String,
    /// `type/subtype` in lower case.
    pub content_type: String,
    /// The decoded bytes.
    pub bytes: Vec<u8>,
    /// The `Content-ID` without angle brackets (what `cid:` links point at).
    pub content_id: Option<String>,
    /// Whether the part is meant to be shown inline (an image in the HTML body).
    pub inline: bool,
}

impl fmt::Debug for Attachment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Attachment")
            .field("filename", &self.filename)
            .field("content_type", &self.content_type)
            .field("len", &self.bytes.len())
            .field("content_id", &self.content_id)
            .field("inline", &self.inline)
            .finish()
    }
}

/// The kind of ticket a subject tag refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TagKind {
    /// `INC-…`
    Incident,
    /// `REQ-…`
    Request,
    /// `TASK-…`
    Task,
}

impl TagKind {
    /// The prefix used in human ticket numbers.
    pub fn prefix(self) -> &'static str {
        match self {
            TagKind::Incident => "INC",
            TagKind::Request => "REQ",
            TagKind::Task => "TASK",
        }
    }
}

/// A ticket reference found in a subject, such as `[INC-000123]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SubjectTag {
    /// Incident, request or task.
    pub kind: TagKind,
    /// The per-tenant ticket number.
    pub number: u64,
}

impl fmt::Display for SubjectTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:06}", self.kind.prefix(), self.number)
    }
}

/// What kind of sender produced a message, for loop protection (RFC 3834).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailClass {
    /// Written by a person: may open, update and reopen tickets, gets acknowledgements.
    Human,
    /// An automatic reply (out-of-office, auto-responder, read receipt, auto-generated).
    AutoReply,
    /// Mailing-list or bulk mail.
    Bulk,
    /// A delivery status notification (bounce).
    Bounce,
}

impl MailClass {
    /// A stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            MailClass::Human => "human",
            MailClass::AutoReply => "auto_reply",
            MailClass::Bulk => "bulk",
            MailClass::Bounce => "bounce",
        }
    }

    /// Whether an automatic answer (acknowledgement) may be sent back.
    pub fn may_auto_respond(self) -> bool {
        self == MailClass::Human
    }
}

/// A parsed inbound message.
#[derive(Debug, Clone)]
pub struct ParsedMail {
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    /// `In-Reply-To` ids without angle brackets.
    pub in_reply_to: Vec<String>,
    /// `References` ids without angle brackets, oldest first.
    pub references: Vec<String>,
    /// The first `From` mailbox.
    pub from: Option<Mailbox>,
    /// The first `Reply-To` mailbox.
    pub reply_to: Option<Mailbox>,
    /// `To` mailboxes.
    pub to: Vec<Mailbox>,
    /// `Cc` mailboxes.
    pub cc: Vec<Mailbox>,
    /// The decoded subject (empty when missing).
    pub subject: String,
    /// The `Date` header.
    pub date: Option<DateTime<Utc>>,
    /// The full text body: text/plain when present, else the HTML rendered as text.
    pub text: String,
    /// The new part of the text body, with quoted replies and signature removed.
    pub reply_text: String,
    /// The HTML body, sanitised (scripts, styles, event handlers removed).
    pub html: Option<String>,
    /// Attachments and inline parts.
    pub attachments: Vec<Attachment>,
    /// A ticket tag found in the subject.
    pub tag: Option<SubjectTag>,
    /// Human, auto-reply, bulk or bounce.
    pub class: MailClass,
}

impl ParsedMail {
    /// All ids this message refers to (`In-Reply-To` first, then `References` newest first),
    /// without duplicates.
    pub fn thread_ids(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for id in self.in_reply_to.iter().chain(self.references.iter().rev()) {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        out
    }
}

/// Largest message accepted by [`parse`] (bigger input is rejected, not truncated).
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024 * 1024;

/// Parses a raw RFC 5322 message.
///
/// # Errors
/// [`Error::Malformed`] when the input is empty, too large or has no header section.
pub fn parse(raw: &[u8]) -> Result<ParsedMail> {
    // mail-parser 0.11 contains `debug_assert!`s that fire on some inconsistent MIME
    // structures (seen with mutated multipart/report messages). Release builds skip them;
    // in debug builds the panic is caught here so the promise "never panics" holds for
    // every build.
    std::panic::catch_unwind(|| parse_inner(raw))
        .unwrap_or(Err(Error::Malformed("the MIME structure is inconsistent")))
}

fn parse_inner(raw: &[u8]) -> Result<ParsedMail> {
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::Malformed("the message is empty"));
    }
    if raw.len() > MAX_MESSAGE_BYTES {
        return Err(Error::Malformed("the message is too large"));
    }
    let msg = MessageParser::default()
        .parse(raw)
        .ok_or(Error::Malformed("the message has no header section"))?;
    if msg.headers().is_empty() {
        return Err(Error::Malformed("the message has no header section"));
    }

    let subject = msg.subject().map(clean_line).unwrap_or_default();
    let text = text_body(&msg);
    let html = html_body(&msg);
    let reply_text = strip_reply(&text);
    let class = classify(&msg);
    Ok(ParsedMail {
        message_id: msg.message_id().map(strip_angles).filter(|s| !s.is_empty()),
        in_reply_to: id_list(msg.in_reply_to()),
        references: id_list(msg.references()),
        from: msg.from().and_then(first_mailbox),
        reply_to: msg.reply_to().and_then(first_mailbox),
        to: msg.to().map(mailboxes).unwrap_or_default(),
        cc: msg.cc().map(mailboxes).unwrap_or_default(),
        date: msg
            .date()
            .and_then(|d| DateTime::<Utc>::from_timestamp(d.to_timestamp(), 0)),
        tag: find_tag(&subject),
        subject,
        text,
        reply_text,
        html,
        attachments: attachments(&msg),
        class,
    })
}

fn clean_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string()
}

fn strip_angles(s: &str) -> String {
    s.trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim()
        .to_string()
}

fn id_list(value: &HeaderValue<'_>) -> Vec<String> {
    let raw: Vec<&str> = match value {
        HeaderValue::Text(t) => vec![t.as_ref()],
        HeaderValue::TextList(list) => list.iter().map(|t| t.as_ref()).collect(),
        _ => Vec::new(),
    };
    raw.into_iter()
        .flat_map(|t| t.split_whitespace())
        .map(strip_angles)
        .filter(|s| !s.is_empty())
        .collect()
}

fn mailboxes(address: &Address<'_>) -> Vec<Mailbox> {
    address
        .iter()
        .filter_map(|a| {
            let addr = a.address()?.trim();
            if addr.is_empty() {
                return None;
            }
            Some(Mailbox {
                address: addr.to_string(),
                name: a
                    .name()
                    .map(clean_line)
                    .filter(|n| !n.is_empty() && n != addr),
            })
        })
        .collect()
}

fn first_mailbox(address: &Address<'_>) -> Option<Mailbox> {
    mailboxes(address).into_iter().next()
}

fn text_body(msg: &mail_parser::Message<'_>) -> String {
    let mut texts = Vec::new();
    let mut htmls = Vec::new();
    for id in &msg.text_body {
        match msg.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Text(t)) => texts.push(t.as_ref()),
            Some(PartType::Html(h)) => htmls.push(h.as_ref()),
            _ => {}
        }
    }
    if texts.is_empty() {
        for id in &msg.html_body {
            if let Some(PartType::Html(h)) = msg.parts.get(*id as usize).map(|p| &p.body) {
                htmls.push(h.as_ref());
            }
        }
    }
    let body = if texts.is_empty() {
        htmls
            .iter()
            .map(|h| html_to_text(h))
            .collect::<Vec<_>>()
            .join("\n")
    } else {
        texts.join("\n")
    };
    normalize_newlines(&body)
}

fn normalize_newlines(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\r', "\n")
}

/// Renders HTML as plain text (links as footnotes, no colour codes).
pub fn html_to_text(html: &str) -> String {
    match html2text::config::plain().string_from_read(html.as_bytes(), 100) {
        Ok(text) => text
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_string(),
        // The renderer refuses some degenerate documents (e.g. deeply nested tables);
        // fall back to the sanitiser with no tags allowed.
        Err(_) => ammonia::Builder::empty().clean(html).to_string(),
    }
}

/// Sanitises untrusted HTML for display: no scripts, styles or event handlers; `cid:`
/// image links are kept so inline images can be mapped to stored attachments.
pub fn sanitize_html(html: &str) -> String {
    let mut schemes = ammonia::Builder::default().clone_url_schemes();
    schemes.insert("cid");
    ammonia::Builder::default()
        .url_schemes(schemes)
        .clean(html)
        .to_string()
}

fn html_body(msg: &mail_parser::Message<'_>) -> Option<String> {
    let parts: Vec<String> = msg
        .html_body
        .iter()
        .filter_map(|id| match msg.parts.get(*id as usize).map(|p| &p.body) {
            Some(PartType::Html(h)) => Some(sanitize_html(h)),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        None
    } else {
        Some(parts.join("\n"))
    }
}

fn attachments(msg: &mail_parser::Message<'_>) -> Vec<Attachment> {
    let mut out = Vec::new();
    for (i, id) in msg.attachments.iter().enumerate() {
        let Some(part) = msg.parts.get(*id as usize) else {
            continue;
        };
        let content_type = part
            .content_type()
            .map(|ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub),
                None => ct.ctype().to_string(),
            })
            .unwrap_or_else(|| match part.body {
                PartType::Text(_) => "text/plain".to_string(),
                PartType::Html(_) => "text/html".to_string(),
                PartType::Message(_) => "message/rfc822".to_string(),
                _ => "application/octet-stream".to_string(),
            })
            .to_ascii_lowercase();
        let content_id = part
            .content_id()
            .map(strip_angles)
            .filter(|s| !s.is_empty());
        let disposition_inline = part.content_disposition().map(|d| d.is_inline());
        let inline = match disposition_inline {
            Some(inline) => inline,
            None => content_id.is_some() || matches!(part.body, PartType::InlineBinary(_)),
        };
        let filename = part
            .attachment_name()
            .map(safe_filename)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}{}", i + 1, extension_for(&content_type)));
        let bytes = match &part.body {
            PartType::Message(m) => m.raw_message().to_vec(),
            _ => part.contents().to_vec(),
        };
        out.push(Attachment {
            filename,
            content_type,
            bytes,
            content_id,
            inline,
        });
    }
    out
}

/// Keeps the last path component and removes control characters, so a name can never
/// point outside a directory.
fn safe_filename(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or(name);
    let cleaned: String = last.chars().filter(|c| !c.is_control()).collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim();
    cleaned.chars().take(200).collect()
}

fn extension_for(content_type: &str) -> &'static str {
    match content_type {
        "image/png" => ".png",
        "image/jpeg" => ".jpg",
        "image/gif" => ".gif",
        "image/webp" => ".webp",
        "application/pdf" => ".pdf",
        "text/plain" => ".txt",
        "text/html" => ".html",
        "message/rfc822" => ".eml",
        "text/calendar" => ".ics",
        _ => ".bin",
    }
}

/// Finds the first ticket tag such as `[INC-000123]`, `[REQ-42]` or `[TASK-7]` in a subject.
pub fn find_tag(subject: &str) -> Option<SubjectTag> {
    let mut rest = subject;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let close = after.find(']')?;
        if let Some(tag) = parse_tag(&after[..close]) {
            return Some(tag);
        }
        rest = &after[close..];
    }
    None
}

fn parse_tag(inner: &str) -> Option<SubjectTag> {
    let (prefix, digits) = inner.trim().split_once('-')?;
    let kind = match prefix.to_ascii_uppercase().as_str() {
        "INC" => TagKind::Incident,
        "REQ" => TagKind::Request,
        "TASK" => TagKind::Task,
        _ => return None,
    };
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let number = digits.parse().ok()?;
    Some(SubjectTag { kind, number })
}

fn header_text(msg: &mail_parser::Message<'_>, name: &str) -> Option<String> {
    msg.headers()
        .iter()
        .find(|h| h.name().eq_ignore_ascii_case(name))
        .map(|h| match h.value() {
            HeaderValue::Text(t) => t.to_string(),
            HeaderValue::TextList(list) => list.join(" "),
            _ => msg.header_raw(name).unwrap_or_default().to_string(),
        })
        .map(|s| s.trim().to_string())
}

fn has_header(msg: &mail_parser::Message<'_>, name: &str) -> bool {
    msg.headers()
        .iter()
        .any(|h| h.name().eq_ignore_ascii_case(name))
}

/// Classifies a message per RFC 3834 and common practice.
fn classify(msg: &mail_parser::Message<'_>) -> MailClass {
    let ct = msg.root_part().content_type();
    let is_report = ct.is_some_and(|ct| {
        ct.ctype().eq_ignore_ascii_case("multipart")
            && ct
                .subtype()
                .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let report_type = ct
        .and_then(|ct| ct.attribute("report-type"))
        .map(str::to_ascii_lowercase);
    let from_local = msg
        .from()
        .and_then(|a| a.first())
        .and_then(|a| a.address())
        .map(|a| a.split('@').next().unwrap_or_default().to_ascii_lowercase())
        .unwrap_or_default();
    if (is_report && report_type.as_deref() != Some("disposition-notification"))
        || from_local == "mailer-daemon"
        || from_local == "postmaster"
    {
        return MailClass::Bounce;
    }

    let auto_submitted = header_text(msg, "Auto-Submitted").map(|v| {
        v.split(';')
            .next()
            .unwrap_or_default()
            .trim()
            .to_ascii_lowercase()
    });
    let precedence = header_text(msg, "Precedence").map(|v| v.to_ascii_lowercase());
    if is_report
        || auto_submitted.as_deref().is_some_and(|v| v != "no")
        || has_header(msg, "X-Autoreply")
        || has_header(msg, "X-Autorespond")
        || has_header(msg, "X-Autoresponder")
        || precedence.as_deref() == Some("auto_reply")
    {
        return MailClass::AutoReply;
    }
    if matches!(precedence.as_deref(), Some("bulk" | "junk" | "list")) || has_header(msg, "List-Id")
    {
        return MailClass::Bulk;
    }
    MailClass::Human
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_found_in_any_position_and_case() {
        assert_eq!(
            find_tag("Re: [INC-000123] Printer on fire").map(|t| t.to_string()),
            Some("INC-000123".to_string())
        );
        assert_eq!(
            find_tag("AW: [ext] [req-42] x"),
            Some(SubjectTag {
                kind: TagKind::Request,
                number: 42
            })
        );
        assert_eq!(find_tag("[TASK-7]").map(|t| t.kind), Some(TagKind::Task));
        assert_eq!(find_tag("[INC-] [INC-12a] [FOO-1] INC-5"), None);
        assert_eq!(find_tag("[INC-1"), None);
    }

    #[test]
    fn filenames_cannot_escape_a_directory() {
        assert_eq!(safe_filename("../../etc/passwd"), "passwd");
        assert_eq!(safe_filename("C:\\x\\report.pdf"), "report.pdf");
        assert_eq!(safe_filename(".hidden"), "hidden");
    }
}
