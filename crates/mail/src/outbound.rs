//! Outbound building: a notification as raw RFC 5322 bytes with our own `Message-ID`.

use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Mailbox as LettreMailbox, MultiPart, SinglePart};

use crate::parse::{Mailbox, SubjectTag};
use crate::{Error, Result};

/// The SMTP envelope: return path and recipients.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Envelope {
    /// `MAIL FROM` (the bounce address).
    pub from: String,
    /// `RCPT TO` addresses.
    pub to: Vec<String>,
}

/// What to send.
#[derive(Debug, Clone)]
pub struct OutgoingMail {
    /// `From` (per tenant, e.g. `Acme Service Desk <support@acme.example>`).
    pub from: Mailbox,
    /// `Reply-To` (per tenant: the mailbox that the IMAP poller reads).
    pub reply_to: Option<Mailbox>,
    /// `To` recipients.
    pub to: Vec<Mailbox>,
    /// `Cc` recipients.
    pub cc: Vec<Mailbox>,
    /// Subject without the tag.
    pub subject: String,
    /// Ticket tag, added in front of the subject as `[INC-000123]` unless already present.
    pub tag: Option<SubjectTag>,
    /// Plain-text body.
    pub text: String,
    /// HTML body (sent as multipart/alternative with the text).
    pub html: Option<String>,
    /// Message-IDs of the ticket's thread, oldest first (without angle brackets). The
    /// newest becomes `In-Reply-To`; all (bounded) become `References`.
    pub thread: Vec<String>,
    /// Right-hand side of generated Message-IDs (e.g. `acme.example`).
    pub message_id_domain: String,
}

/// A built message.
#[derive(Debug, Clone)]
pub struct BuiltMail {
    /// Raw RFC 5322 bytes.
    pub raw: Vec<u8>,
    /// The generated Message-ID, without angle brackets.
    pub message_id: String,
    /// The SMTP envelope.
    pub envelope: Envelope,
}

/// At most this many ids go into `References` (the first and the newest ones are kept).
const MAX_REFERENCES: usize = 20;

#[derive(Debug, Clone)]
struct AutoSubmitted(String);

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

/// Asks auto-responders not to answer (Microsoft Exchange honours this).
#[derive(Debug, Clone)]
struct AutoResponseSuppress(String);

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }

    fn parse(s: &str) -> std::result::Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(Self(s.to_string()))
    }

    fn display(&self) -> HeaderValue {
        HeaderValue::new(Self::name(), self.0.clone())
    }
}

fn to_lettre(m: &Mailbox) -> Result<LettreMailbox> {
    let address = m
        .address
        .trim()
        .parse()
        .map_err(|_| Error::InvalidAddress(m.address.clone()))?;
    Ok(LettreMailbox::new(
        m.name
            .as_ref()
            .map(|n| n.replace(['\r', '\n'], " "))
            .filter(|n| !n.trim().is_empty()),
        address,
    ))
}

/// Prefixes the subject with the ticket tag unless the subject already carries it.
pub fn tagged_subject(subject: &str, tag: Option<SubjectTag>) -> String {
    let subject = subject.replace(['\r', '\n'], " ");
    let subject = subject.trim();
    match tag {
        Some(tag) if crate::parse::find_tag(subject) != Some(tag) => {
            format!("[{tag}] {subject}").trim_end().to_string()
        }
        _ => subject.to_string(),
    }
}

fn angle(id: &str) -> String {
    format!("<{}>", id.trim_matches(['<', '>', ' ']))
}

/// Builds a notification: own `Message-ID`, threading headers, tagged subject,
/// `Auto-Submitted: auto-generated`, multipart/alternative text and HTML.
///
/// # Errors
/// [`Error::InvalidAddress`] for an unusable address, [`Error::Build`] when the message
/// cannot be assembled (e.g. no recipient).
pub fn build(mail: &OutgoingMail) -> Result<BuiltMail> {
    if mail.to.is_empty() && mail.cc.is_empty() {
        return Err(Error::Build("the message has no recipient".into()));
    }
    let domain = mail.message_id_domain.trim();
    let domain = if domain.is_empty() || !domain.chars().all(|c| c.is_ascii_graphic()) {
        "catalyst.invalid"
    } else {
        domain
    };
    let message_id = format!("{}@{}", uuid::Uuid::now_v7(), domain);

    let mut builder = lettre::Message::builder()
        .message_id(Some(angle(&message_id)))
        .from(to_lettre(&mail.from)?)
        .subject(tagged_subject(&mail.subject, mail.tag))
        .header(AutoSubmitted("auto-generated".into()))
        .header(AutoResponseSuppress("All".into()));
    if let Some(reply_to) = &mail.reply_to {
        builder = builder.reply_to(to_lettre(reply_to)?);
    }
    for to in &mail.to {
        builder = builder.to(to_lettre(to)?);
    }
    for cc in &mail.cc {
        builder = builder.cc(to_lettre(cc)?);
    }
    let thread: Vec<&String> = mail
        .thread
        .iter()
        .filter(|id| {
            !id.trim().is_empty()
                && id
                    .chars()
                    .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
        })
        .collect();
    if let Some(last) = thread.last() {
        builder = builder.in_reply_to(angle(last));
        let refs: Vec<&String> = if thread.len() > MAX_REFERENCES {
            std::iter::once(thread[0])
                .chain(
                    thread[thread.len() - (MAX_REFERENCES - 1)..]
                        .iter()
                        .copied(),
                )
                .collect()
        } else {
            thread.clone()
        };
        builder = builder.references(
            refs.iter()
                .map(|id| angle(id))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }

    let text = SinglePart::builder()
        .header(ContentType::TEXT_PLAIN)
        .body(mail.text.clone());
    let message = match &mail.html {
        Some(html) => builder.multipart(
            MultiPart::alternative().singlepart(text).singlepart(
                SinglePart::builder()
                    .header(ContentType::TEXT_HTML)
                    .body(html.clone()),
            ),
        ),
        None => builder.singlepart(text),
    }
    .map_err(|e| Error::Build(e.to_string()))?;

    let env = message.envelope();
    let envelope = Envelope {
        from: env.from().map(|a| a.to_string()).unwrap_or_default(),
        to: env.to().iter().map(|a| a.to_string()).collect(),
    };
    Ok(BuiltMail {
        raw: message.formatted(),
        message_id,
        envelope,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{TagKind, parse};

    fn mailbox(address: &str, name: Option<&str>) -> Mailbox {
        Mailbox {
            address: address.into(),
            name: name.map(Into::into),
        }
    }

    fn sample() -> OutgoingMail {
        OutgoingMail {
            from: mailbox("support@acme.example", Some("Acme Service Desk")),
            reply_to: Some(mailbox("helpdesk@acme.example", None)),
            to: vec![mailbox("jane@example.com", Some("Jane Müller"))],
            cc: vec![mailbox("boss@example.com", None)],
            subject: "Printer on fire".into(),
            tag: Some(SubjectTag {
                kind: TagKind::Incident,
                number: 123,
            }),
            text: "Hello Jane,\nwe are on it.".into(),
            html: Some("<p>Hello Jane,<br>we are on it.</p>".into()),
            thread: vec!["first@acme.example".into(), "second@mail.example".into()],
            message_id_domain: "acme.example".into(),
        }
    }

    #[test]
    fn built_message_round_trips_through_the_parser() {
        let built = build(&sample()).unwrap();
        let parsed = parse(&built.raw).unwrap();
        assert_eq!(
            parsed.message_id.as_deref(),
            Some(built.message_id.as_str())
        );
        assert!(built.message_id.ends_with("@acme.example"));
        assert_eq!(parsed.in_reply_to, vec!["second@mail.example".to_string()]);
        assert_eq!(
            parsed.references,
            vec![
                "first@acme.example".to_string(),
                "second@mail.example".to_string()
            ]
        );
        assert_eq!(parsed.subject, "[INC-000123] Printer on fire");
        assert_eq!(parsed.tag.map(|t| t.number), Some(123));
        assert_eq!(
            parsed.from.unwrap().name.as_deref(),
            Some("Acme Service Desk")
        );
        assert_eq!(parsed.reply_to.unwrap().address, "helpdesk@acme.example");
        assert_eq!(parsed.to[0].name.as_deref(), Some("Jane Müller"));
        assert_eq!(parsed.text.trim(), "Hello Jane,\nwe are on it.");
        assert!(parsed.html.unwrap().contains("we are on it."));
        // Our own notifications are recognised as automatic if they ever loop back.
        assert_eq!(parsed.class, crate::MailClass::AutoReply);
        let raw = String::from_utf8_lossy(&built.raw);
        assert!(raw.contains("Auto-Submitted: auto-generated"));
        assert!(raw.contains("multipart/alternative"));
        assert_eq!(built.envelope.from, "support@acme.example");
        assert_eq!(
            built.envelope.to,
            vec![
                "jane@example.com".to_string(),
                "boss@example.com".to_string()
            ]
        );
    }

    #[test]
    fn subject_tag_is_not_doubled_and_newlines_are_removed() {
        let tag = Some(SubjectTag {
            kind: TagKind::Request,
            number: 5,
        });
        assert_eq!(
            tagged_subject("Re: [REQ-000005] x", tag),
            "Re: [REQ-000005] x"
        );
        assert_eq!(tagged_subject("a\r\nBcc: x", tag), "[REQ-000005] a  Bcc: x");
    }

    #[test]
    fn long_threads_keep_the_first_and_newest_references() {
        let mut mail = sample();
        mail.thread = (0..50).map(|i| format!("m{i}@x.example")).collect();
        let parsed = parse(&build(&mail).unwrap().raw).unwrap();
        assert_eq!(parsed.references.len(), MAX_REFERENCES);
        assert_eq!(parsed.references[0], "m0@x.example");
        assert_eq!(parsed.references.last().unwrap(), "m49@x.example");
        assert_eq!(parsed.in_reply_to, vec!["m49@x.example".to_string()]);
    }

    #[test]
    fn bad_addresses_and_missing_recipients_are_errors() {
        let mut mail = sample();
        mail.to = vec![mailbox("not an address", None)];
        assert!(matches!(build(&mail), Err(Error::InvalidAddress(_))));
        mail.to.clear();
        mail.cc.clear();
        assert!(matches!(build(&mail), Err(Error::Build(_))));
    }
}
