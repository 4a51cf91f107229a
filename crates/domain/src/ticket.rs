//! Tickets: kinds and their human numbers, ITIL priority, the lifecycle state machine,
//! and validated text fields.
//!
//! # Lifecycle
//!
//! | from \ to        | open | in_progress | waiting_on_user | resolved | closed | cancelled |
//! |------------------|:----:|:-----------:|:---------------:|:--------:|:------:|:---------:|
//! | new              |  A   |      A      |        A        |    A     |        |    A R    |
//! | open             |      |      A      |        A        |    A     |        |    A R    |
//! | in_progress      |  A   |             |        A        |    A     |        |    A      |
//! | waiting_on_user  |      |     A r     |                 |    A     |        |    A      |
//! | resolved         | A R  |             |                 |          |  A R   |           |
//! | closed           |      |             |                 |          |        |           |
//! | cancelled        |      |             |                 |          |        |           |
//!
//! A = an agent may set it; R = the requester may set it (reopen or confirm a resolution,
//! cancel their own ticket before work starts); r = happens when the requester replies.
//! A requester's reply to a resolved ticket reopens it; resolved tickets close by
//! themselves after the tenant's auto-close period.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// What a ticket is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketKind {
    Incident,
    ServiceRequest,
    Task,
}

impl TicketKind {
    pub const ALL: [TicketKind; 3] = [
        TicketKind::Incident,
        TicketKind::ServiceRequest,
        TicketKind::Task,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TicketKind::Incident => "incident",
            TicketKind::ServiceRequest => "service_request",
            TicketKind::Task => "task",
        }
    }

    /// Prefix of human numbers: `INC-000001`.
    pub fn prefix(self) -> &'static str {
        match self {
            TicketKind::Incident => "INC",
            TicketKind::ServiceRequest => "REQ",
            TicketKind::Task => "TASK",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            TicketKind::Incident => "Incident",
            TicketKind::ServiceRequest => "Service request",
            TicketKind::Task => "Task",
        }
    }

    /// The human number of the `n`-th ticket of this kind.
    pub fn number(self, n: i64) -> String {
        format!("{}-{:06}", self.prefix(), n)
    }
}

impl fmt::Display for TicketKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for TicketKind {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TicketKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                FieldError::new(
                    "kind",
                    "unknown",
                    "must be incident, service_request or task",
                )
            })
    }
}

/// Parses `INC-000123` into its kind and sequence number.
pub fn parse_number(s: &str) -> Option<(TicketKind, i64)> {
    let (prefix, n) = s.trim().split_once('-')?;
    let kind = TicketKind::ALL
        .into_iter()
        .find(|k| k.prefix().eq_ignore_ascii_case(prefix))?;
    let n: i64 = n.parse().ok()?;
    (n > 0).then_some((kind, n))
}

macro_rules! level_enum {
    ($name:ident, $field:literal) => {
        /// ITIL level: high, medium or low.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name {
            High,
            Medium,
            Low,
        }

        impl $name {
            pub const ALL: [$name; 3] = [$name::High, $name::Medium, $name::Low];
            pub fn as_str(self) -> &'static str {
                match self {
                    $name::High => "high",
                    $name::Medium => "medium",
                    $name::Low => "low",
                }
            }
            fn index(self) -> usize {
                match self {
                    $name::High => 0,
                    $name::Medium => 1,
                    $name::Low => 2,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = FieldError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $name::ALL
                    .into_iter()
                    .find(|l| l.as_str() == s)
                    .ok_or_else(|| {
                        FieldError::new($field, "unknown", "must be high, medium or low")
                    })
            }
        }
    };
}

level_enum!(Impact, "impact");
level_enum!(Urgency, "urgency");

/// ITIL priority, P1 (critical) to P4 (low).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Priority {
    P1,
    P2,
    P3,
    P4,
}

impl Priority {
    pub const ALL: [Priority; 4] = [Priority::P1, Priority::P2, Priority::P3, Priority::P4];

    pub fn as_str(self) -> &'static str {
        match self {
            Priority::P1 => "P1",
            Priority::P2 => "P2",
            Priority::P3 => "P3",
            Priority::P4 => "P4",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Priority::P1 => "P1 – Critical",
            Priority::P2 => "P2 – High",
            Priority::P3 => "P3 – Moderate",
            Priority::P4 => "P4 – Low",
        }
    }
}

impl fmt::Display for Priority {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Priority {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Priority::ALL
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| FieldError::new("priority", "unknown", "must be P1, P2, P3 or P4"))
    }
}

/// Impact × urgency → priority.
///
/// The default matrix:
///
/// | impact \ urgency | high | medium | low |
/// |------------------|:----:|:------:|:---:|
/// | high             |  P1  |   P2   | P3  |
/// | medium           |  P2  |   P3   | P4  |
/// | low              |  P3  |   P4   | P4  |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityMatrix(pub [[Priority; 3]; 3]);

impl Default for PriorityMatrix {
    fn default() -> Self {
        use Priority::*;
        PriorityMatrix([[P1, P2, P3], [P2, P3, P4], [P3, P4, P4]])
    }
}

impl PriorityMatrix {
    pub fn priority(&self, impact: Impact, urgency: Urgency) -> Priority {
        self.0[impact.index()][urgency.index()]
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    New,
    Open,
    InProgress,
    WaitingOnUser,
    Resolved,
    Closed,
    Cancelled,
}

/// Who asks for a status change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Changer {
    Agent,
    Requester,
}

impl Status {
    pub const ALL: [Status; 7] = [
        Status::New,
        Status::Open,
        Status::InProgress,
        Status::WaitingOnUser,
        Status::Resolved,
        Status::Closed,
        Status::Cancelled,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "new",
            Status::Open => "open",
            Status::InProgress => "in_progress",
            Status::WaitingOnUser => "waiting_on_user",
            Status::Resolved => "resolved",
            Status::Closed => "closed",
            Status::Cancelled => "cancelled",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::New => "New",
            Status::Open => "Open",
            Status::InProgress => "In progress",
            Status::WaitingOnUser => "Waiting on user",
            Status::Resolved => "Resolved",
            Status::Closed => "Closed",
            Status::Cancelled => "Cancelled",
        }
    }

    /// Not finished yet (counts towards queues' open work).
    pub fn is_active(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed | Status::Cancelled)
    }

    /// No further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Status::Closed | Status::Cancelled)
    }

    /// The statuses `changer` may move a ticket to from `self` (see the module table).
    pub fn next(self, changer: Changer) -> &'static [Status] {
        use Status::*;
        match (changer, self) {
            (Changer::Agent, New) => &[Open, InProgress, WaitingOnUser, Resolved, Cancelled],
            (Changer::Agent, Open) => &[InProgress, WaitingOnUser, Resolved, Cancelled],
            (Changer::Agent, InProgress) => &[Open, WaitingOnUser, Resolved, Cancelled],
            (Changer::Agent, WaitingOnUser) => &[InProgress, Resolved, Cancelled],
            (Changer::Agent, Resolved) => &[Open, Closed],
            (Changer::Requester, New | Open) => &[Cancelled],
            (Changer::Requester, Resolved) => &[Open, Closed],
            (_, Closed | Cancelled) | (Changer::Requester, InProgress | WaitingOnUser) => &[],
        }
    }

    /// Checks a transition, with a message that says what is possible instead.
    pub fn transition(self, to: Status, changer: Changer) -> Result<Status, FieldError> {
        let allowed = self.next(changer);
        if allowed.contains(&to) {
            return Ok(to);
        }
        let options = if allowed.is_empty() {
            "no status change is possible".to_string()
        } else {
            format!(
                "possible: {}",
                allowed
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        Err(FieldError::new(
            "status",
            "invalid_transition",
            format!(
                "cannot change status from {} to {} ({options})",
                self.as_str(),
                to.as_str()
            ),
        ))
    }

    /// The status after a comment: a requester's reply reopens a resolved ticket and
    /// resumes one waiting on them; an agent's public reply opens a new ticket.
    pub fn after_reply(self, by: Changer, is_public: bool) -> Status {
        match (by, self) {
            (Changer::Requester, Status::Resolved) => Status::Open,
            (Changer::Requester, Status::WaitingOnUser) => Status::InProgress,
            (Changer::Agent, Status::New) if is_public => Status::Open,
            (_, s) => s,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL.into_iter().find(|x| x.as_str() == s).ok_or_else(|| {
            FieldError::new(
                "status",
                "unknown",
                "must be new, open, in_progress, waiting_on_user, resolved, closed or cancelled",
            )
        })
    }
}

fn text(
    field: &'static str,
    input: &str,
    min: usize,
    max: usize,
    single_line: bool,
) -> Result<String, FieldError> {
    let s = input.trim();
    let n = s.chars().count();
    if n < min {
        return Err(if n == 0 {
            FieldError::new(field, "required", "must not be empty")
        } else {
            FieldError::new(
                field,
                "too_short",
                format!("must be at least {min} characters long"),
            )
        });
    }
    if n > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("must be at most {max} characters long"),
        ));
    }
    let bad = |c: char| c.is_control() && !(!single_line && (c == '\n' || c == '\r' || c == '\t'));
    if s.chars().any(bad) {
        return Err(FieldError::new(
            field,
            "format",
            "must not contain control characters",
        ));
    }
    Ok(s.to_string())
}

/// A ticket's one-line subject: 3–200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subject(String);

impl Subject {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        text("subject", input, 3, 200, true).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A ticket's description (Markdown): up to 20,000 characters, may be empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Description(String);

impl Description {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        if input.trim().is_empty() {
            return Ok(Self(String::new()));
        }
        text("description", input, 0, 20_000, false).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A comment's body (Markdown): 1–20,000 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentBody(String);

impl CommentBody {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        text("body", input, 1, 20_000, false).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A queue's name: 2–80 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueName(String);

impl QueueName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        text("name", input, 2, 80, true).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_format_and_parse() {
        assert_eq!(TicketKind::Incident.number(1), "INC-000001");
        assert_eq!(TicketKind::ServiceRequest.number(123_456), "REQ-123456");
        assert_eq!(TicketKind::Task.number(1_234_567), "TASK-1234567");
        assert_eq!(parse_number("inc-000042"), Some((TicketKind::Incident, 42)));
        assert_eq!(parse_number("TASK-7"), Some((TicketKind::Task, 7)));
        for bad in ["INC", "INC-", "INC-0", "XYZ-1", "INC-abc", "INC--1"] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn default_priority_matrix() {
        use Impact as I;
        use Priority::*;
        use Urgency as U;
        let m = PriorityMatrix::default();
        let expect = [
            (I::High, U::High, P1),
            (I::High, U::Medium, P2),
            (I::High, U::Low, P3),
            (I::Medium, U::High, P2),
            (I::Medium, U::Medium, P3),
            (I::Medium, U::Low, P4),
            (I::Low, U::High, P3),
            (I::Low, U::Medium, P4),
            (I::Low, U::Low, P4),
        ];
        for (i, u, p) in expect {
            assert_eq!(m.priority(i, u), p, "{i} × {u}");
        }
    }

    /// The whole transition table, cell by cell, as documented in the module.
    #[test]
    fn transition_table() {
        use Status::*;
        let agent: &[(Status, &[Status])] = &[
            (New, &[Open, InProgress, WaitingOnUser, Resolved, Cancelled]),
            (Open, &[InProgress, WaitingOnUser, Resolved, Cancelled]),
            (InProgress, &[Open, WaitingOnUser, Resolved, Cancelled]),
            (WaitingOnUser, &[InProgress, Resolved, Cancelled]),
            (Resolved, &[Open, Closed]),
            (Closed, &[]),
            (Cancelled, &[]),
        ];
        let requester: &[(Status, &[Status])] = &[
            (New, &[Cancelled]),
            (Open, &[Cancelled]),
            (InProgress, &[]),
            (WaitingOnUser, &[]),
            (Resolved, &[Open, Closed]),
            (Closed, &[]),
            (Cancelled, &[]),
        ];
        for (changer, table) in [(Changer::Agent, agent), (Changer::Requester, requester)] {
            for (from, allowed) in table {
                for to in Status::ALL {
                    let ok = from.transition(to, changer).is_ok();
                    assert_eq!(ok, allowed.contains(&to), "{changer:?}: {from} → {to}");
                }
            }
        }
        let err = Closed.transition(Open, Changer::Agent).unwrap_err();
        assert_eq!(err.code, "invalid_transition");
        assert!(err.message.contains("no status change is possible"));
        let err = New.transition(Closed, Changer::Agent).unwrap_err();
        assert!(err.message.contains("possible: open"), "{}", err.message);
    }

    #[test]
    fn replies_move_the_status() {
        use Status::*;
        assert_eq!(Resolved.after_reply(Changer::Requester, true), Open);
        assert_eq!(
            WaitingOnUser.after_reply(Changer::Requester, true),
            InProgress
        );
        assert_eq!(New.after_reply(Changer::Agent, true), Open);
        assert_eq!(
            New.after_reply(Changer::Agent, false),
            New,
            "internal notes change nothing"
        );
        assert_eq!(InProgress.after_reply(Changer::Requester, true), InProgress);
        assert_eq!(Closed.after_reply(Changer::Requester, true), Closed);
    }

    #[test]
    fn text_fields() {
        assert_eq!(Subject::parse("  VPN down  ").unwrap().as_str(), "VPN down");
        assert_eq!(Subject::parse("").unwrap_err().code, "required");
        assert_eq!(Subject::parse("ab").unwrap_err().code, "too_short");
        assert_eq!(
            Subject::parse(&"x".repeat(201)).unwrap_err().code,
            "too_long"
        );
        assert_eq!(Subject::parse("a\nb c").unwrap_err().code, "format");
        assert_eq!(Description::parse("").unwrap().as_str(), "");
        assert!(Description::parse("line 1\nline 2\ttab").is_ok());
        assert_eq!(Description::parse("bell\u{7}").unwrap_err().code, "format");
        assert_eq!(CommentBody::parse(" ").unwrap_err().code, "required");
        assert_eq!(QueueName::parse("Network").unwrap().as_str(), "Network");
    }

    #[test]
    fn enums_parse_their_wire_names() {
        for s in Status::ALL {
            assert_eq!(s.as_str().parse::<Status>().unwrap(), s);
        }
        for k in TicketKind::ALL {
            assert_eq!(k.as_str().parse::<TicketKind>().unwrap(), k);
        }
        assert_eq!("p2".parse::<Priority>().unwrap(), Priority::P2);
        assert_eq!("urgent".parse::<Urgency>().unwrap_err().field, "urgency");
        assert_eq!("huge".parse::<Impact>().unwrap_err().field, "impact");
    }
}
