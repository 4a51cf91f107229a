//! Notification templates: safe defaults compiled into the binary, per-tenant overrides
//! rendered by a runtime engine (minijinja). HTML parts are auto-escaped; subjects and
//! text parts are not (they are never interpreted as markup).

use std::fmt;
use std::str::FromStr;

use minijinja::{AutoEscape, Environment, UndefinedBehavior};
use serde::Serialize;

use crate::{Error, Result};

/// The notifications Catalyst sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TemplateKind {
    /// Acknowledgement to the requester when a ticket is created.
    TicketCreated,
    /// A public agent reply, to the requester and CC'd participants.
    AgentReply,
    /// A requester reply, to the assignee (or the queue's agents).
    RequesterReply,
    /// The ticket was resolved; tells how to reopen it.
    Resolved,
    /// An SLA target is due soon (to agents).
    SlaDueSoon,
    /// An SLA target was breached (to agents).
    SlaBreached,
}

impl TemplateKind {
    /// Every kind, in a stable order.
    pub const ALL: [TemplateKind; 6] = [
        TemplateKind::TicketCreated,
        TemplateKind::AgentReply,
        TemplateKind::RequesterReply,
        TemplateKind::Resolved,
        TemplateKind::SlaDueSoon,
        TemplateKind::SlaBreached,
    ];

    /// Stable snake_case name, used in storage and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateKind::TicketCreated => "ticket_created",
            TemplateKind::AgentReply => "agent_reply",
            TemplateKind::RequesterReply => "requester_reply",
            TemplateKind::Resolved => "resolved",
            TemplateKind::SlaDueSoon => "sla_due_soon",
            TemplateKind::SlaBreached => "sla_breached",
        }
    }

    /// The built-in template for one part.
    pub fn default_source(self, part: TemplatePart) -> &'static str {
        use TemplateKind as K;
        use TemplatePart as P;
        match (self, part) {
            (K::TicketCreated, P::Subject) => {
                include_str!("../templates/ticket_created.subject.txt")
            }
            (K::TicketCreated, P::Text) => include_str!("../templates/ticket_created.txt"),
            (K::TicketCreated, P::Html) => include_str!("../templates/ticket_created.html"),
            (K::AgentReply, P::Subject) => include_str!("../templates/agent_reply.subject.txt"),
            (K::AgentReply, P::Text) => include_str!("../templates/agent_reply.txt"),
            (K::AgentReply, P::Html) => include_str!("../templates/agent_reply.html"),
            (K::RequesterReply, P::Subject) => {
                include_str!("../templates/requester_reply.subject.txt")
            }
            (K::RequesterReply, P::Text) => include_str!("../templates/requester_reply.txt"),
            (K::RequesterReply, P::Html) => include_str!("../templates/requester_reply.html"),
            (K::Resolved, P::Subject) => include_str!("../templates/resolved.subject.txt"),
            (K::Resolved, P::Text) => include_str!("../templates/resolved.txt"),
            (K::Resolved, P::Html) => include_str!("../templates/resolved.html"),
            (K::SlaDueSoon, P::Subject) => include_str!("../templates/sla_due_soon.subject.txt"),
            (K::SlaDueSoon, P::Text) => include_str!("../templates/sla_due_soon.txt"),
            (K::SlaDueSoon, P::Html) => include_str!("../templates/sla_due_soon.html"),
            (K::SlaBreached, P::Subject) => include_str!("../templates/sla_breached.subject.txt"),
            (K::SlaBreached, P::Text) => include_str!("../templates/sla_breached.txt"),
            (K::SlaBreached, P::Html) => include_str!("../templates/sla_breached.html"),
        }
    }
}

impl fmt::Display for TemplateKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TemplateKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        TemplateKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| Error::Template(format!("unknown template kind {s:?}")))
    }
}

/// One of the three parts of a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TemplatePart {
    /// The subject line (the ticket tag is added when the message is built).
    Subject,
    /// The plain-text body.
    Text,
    /// The HTML body (auto-escaped).
    Html,
}

impl TemplatePart {
    /// Every part.
    pub const ALL: [TemplatePart; 3] = [
        TemplatePart::Subject,
        TemplatePart::Text,
        TemplatePart::Html,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject",
            TemplatePart::Text => "text",
            TemplatePart::Html => "html",
        }
    }

    fn template_name(self) -> &'static str {
        match self {
            TemplatePart::Subject => "subject.txt",
            TemplatePart::Text => "body.txt",
            TemplatePart::Html => "body.html",
        }
    }
}

/// Per-tenant replacements; `None` parts use the built-in default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateOverride {
    /// Subject template.
    pub subject: Option<String>,
    /// Plain-text template.
    pub text: Option<String>,
    /// HTML template.
    pub html: Option<String>,
}

impl TemplateOverride {
    fn get(&self, part: TemplatePart) -> Option<&str> {
        match part {
            TemplatePart::Subject => self.subject.as_deref(),
            TemplatePart::Text => self.text.as_deref(),
            TemplatePart::Html => self.html.as_deref(),
        }
        .filter(|s| !s.trim().is_empty())
    }
}

/// The ticket as templates see it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TicketContext {
    /// Human number, e.g. `INC-000123`.
    pub number: String,
    /// Subject.
    pub subject: String,
    /// Status, e.g. `resolved`.
    pub status: String,
    /// Priority label, e.g. `P2 High` (empty when unknown).
    pub priority: String,
    /// Link to the ticket (portal for requesters, console for agents); may be empty.
    pub url: String,
    /// Requester's display name.
    pub requester_name: String,
    /// Assignee's display name (empty when unassigned).
    pub assignee_name: String,
    /// Queue name (empty when none).
    pub queue_name: String,
}

/// Everything a notification template can use.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NotificationContext {
    /// The tenant's display name (signature line).
    pub tenant_name: String,
    /// Who the message is addressed to.
    pub recipient_name: String,
    /// Who caused the notification (reply author).
    pub author_name: String,
    /// The reply or resolution text, if any.
    pub message: String,
    /// The ticket.
    pub ticket: TicketContext,
    /// `first response` or `resolution` (SLA notifications).
    pub sla_target: String,
    /// When the SLA target is or was due, formatted for display.
    pub due_at: String,
}

/// A rendered notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject, one line.
    pub subject: String,
    /// Plain-text body.
    pub text: String,
    /// HTML body.
    pub html: String,
}

fn environment<'a>() -> Environment<'a> {
    let mut env = Environment::new();
    env.set_auto_escape_callback(|name| {
        if name.ends_with(".html") {
            AutoEscape::Html
        } else {
            AutoEscape::None
        }
    });
    env.set_undefined_behavior(UndefinedBehavior::Chainable);
    env.set_recursion_limit(100);
    env.set_fuel(Some(200_000));
    env
}

fn template_error(kind: TemplateKind, part: TemplatePart, e: &minijinja::Error) -> Error {
    let mut msg = format!("{} {} template: {}", kind.as_str(), part.as_str(), e.kind());
    if let Some(detail) = e.detail() {
        msg.push_str(": ");
        msg.push_str(detail);
    }
    if let Some(line) = e.line() {
        msg.push_str(&format!(" (line {line})"));
    }
    Error::Template(msg)
}

/// Checks that a template compiles, so an admin sees a broken template when saving it.
///
/// # Errors
/// [`Error::Template`] with the reason and line.
pub fn validate(kind: TemplateKind, part: TemplatePart, source: &str) -> Result<()> {
    if source.len() > 64 * 1024 {
        return Err(Error::Template(format!(
            "{} {} template: longer than 64 KiB",
            kind.as_str(),
            part.as_str()
        )));
    }
    let mut env = environment();
    env.add_template(part.template_name(), source)
        .map_err(|e| template_error(kind, part, &e))?;
    // Render once with sample data, so runtime errors (e.g. calling an unknown filter)
    // show up now rather than when a customer's ticket is created.
    let tmpl = env
        .get_template(part.template_name())
        .map_err(|e| template_error(kind, part, &e))?;
    tmpl.render(sample_context())
        .map_err(|e| template_error(kind, part, &e))?;
    Ok(())
}

/// Renders a notification with the tenant's overrides (or the defaults).
///
/// # Errors
/// [`Error::Template`] when a template does not compile or fails while rendering.
pub fn render(
    kind: TemplateKind,
    overrides: Option<&TemplateOverride>,
    ctx: &NotificationContext,
) -> Result<Rendered> {
    let mut env = environment();
    for part in TemplatePart::ALL {
        let source = overrides
            .and_then(|o| o.get(part))
            .unwrap_or_else(|| kind.default_source(part));
        env.add_template_owned(part.template_name().to_string(), source.to_string())
            .map_err(|e| template_error(kind, part, &e))?;
    }
    let render_part = |part: TemplatePart| -> Result<String> {
        env.get_template(part.template_name())
            .and_then(|t| t.render(ctx))
            .map_err(|e| template_error(kind, part, &e))
    };
    let subject = render_part(TemplatePart::Subject)?
        .split(['\r', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Rendered {
        subject: subject.chars().take(250).collect(),
        text: render_part(TemplatePart::Text)?,
        html: render_part(TemplatePart::Html)?,
    })
}

/// Sample data used to check templates and to preview them.
pub fn sample_context() -> NotificationContext {
    NotificationContext {
        tenant_name: "Acme Service Desk".into(),
        recipient_name: "Jane Doe".into(),
        author_name: "Sam Agent".into(),
        message: "Please restart the printer and tell us if it works.".into(),
        ticket: TicketContext {
            number: "INC-000123".into(),
            subject: "Printer on floor 2 is jammed".into(),
            status: "open".into(),
            priority: "P3 Moderate".into(),
            url: "https://desk.example/tickets/INC-000123".into(),
            requester_name: "Jane Doe".into(),
            assignee_name: "Sam Agent".into(),
            queue_name: "Service Desk".into(),
        },
        sla_target: "resolution".into(),
        due_at: "2026-11-26 16:00 UTC".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_default_template_renders_with_the_ticket_number() {
        let ctx = sample_context();
        for kind in TemplateKind::ALL {
            let r = render(kind, None, &ctx).unwrap();
            assert!(!r.subject.is_empty(), "{kind}");
            assert!(r.text.contains("INC-000123"), "{kind} text");
            assert!(r.html.contains("INC-000123"), "{kind} html");
            for part in TemplatePart::ALL {
                validate(kind, part, kind.default_source(part)).unwrap();
            }
            assert_eq!(kind.as_str().parse::<TemplateKind>().unwrap(), kind);
        }
    }

    #[test]
    fn resolved_mail_tells_how_to_reopen() {
        let r = render(TemplateKind::Resolved, None, &sample_context()).unwrap();
        assert!(r.text.contains("reply to this email"));
    }

    #[test]
    fn html_is_escaped_but_text_is_not() {
        let mut ctx = sample_context();
        ctx.message = "<script>alert(1)</script> & more".into();
        let r = render(TemplateKind::AgentReply, None, &ctx).unwrap();
        assert!(
            r.html
                .contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; &amp; more")
        );
        assert!(!r.html.contains("<script>"));
        assert!(r.text.contains("<script>alert(1)</script> & more"));
    }

    #[test]
    fn overrides_replace_only_their_part_and_subjects_are_one_line() {
        let o = TemplateOverride {
            subject: Some("Ticket {{ ticket.number }}\nBcc: evil@example.com".into()),
            text: None,
            html: Some("<b>{{ ticket.subject }}</b>".into()),
        };
        let r = render(TemplateKind::TicketCreated, Some(&o), &sample_context()).unwrap();
        assert_eq!(r.subject, "Ticket INC-000123 Bcc: evil@example.com");
        assert_eq!(r.html, "<b>Printer on floor 2 is jammed</b>");
        assert!(r.text.contains("we have received your request"));
    }

    #[test]
    fn broken_templates_give_a_clear_error() {
        let err = validate(
            TemplateKind::Resolved,
            TemplatePart::Text,
            "Hi {{ ticket.number ",
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("resolved text template"), "{err}");
        assert!(err.contains("line 1"), "{err}");
        let err = validate(
            TemplateKind::Resolved,
            TemplatePart::Html,
            "{{ 1 | nosuchfilter }}",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("nosuchfilter") || err.contains("unknown filter"),
            "{err}"
        );
        let o = TemplateOverride {
            text: Some("{% for %}".into()),
            ..Default::default()
        };
        assert!(matches!(
            render(TemplateKind::Resolved, Some(&o), &sample_context()),
            Err(Error::Template(_))
        ));
    }

    #[test]
    fn runaway_templates_are_stopped() {
        let err = validate(
            TemplateKind::Resolved,
            TemplatePart::Text,
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}",
        );
        assert!(err.is_err());
    }
}
