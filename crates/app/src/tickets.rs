//! Tickets: create, read, list, change, comment, bulk-change, history.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::ticket::{CommentBody, Description, Subject};
use catalyst_domain::{
    Changer, FieldError, Impact, Permission, Priority, PriorityMatrix, Role, Status, TicketKind,
    Urgency, UserId,
};
use catalyst_store::entity::{ticket, ticket_comment, ticket_event};
use catalyst_store::repo::tickets::{self as repo, Cursor, Filter, Sort};
use catalyst_store::repo::{changes, idempotency, members, queues, users};
use catalyst_store::sea_orm::{ConnectionTrait, DatabaseTransaction, IntoActiveModel, Set};
use catalyst_store::{Scope, entity::idempotency_key};

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result, markdown};

/// A person as shown on a ticket.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct UserRef {
    pub id: UserId,
    pub name: String,
    pub email: String,
}

/// A queue as shown on a ticket.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct QueueRef {
    pub id: Uuid,
    pub name: String,
}

/// A ticket as its viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct TicketView {
    pub id: Uuid,
    pub number: String,
    pub kind: TicketKind,
    pub subject: String,
    pub description: String,
    pub description_html: String,
    pub status: Status,
    pub impact: Impact,
    pub urgency: Urgency,
    pub priority: Priority,
    pub priority_reason: Option<String>,
    pub queue: Option<QueueRef>,
    pub requester: UserRef,
    pub assignee: Option<UserRef>,
    pub parent_id: Option<Uuid>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub first_response_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// SLA summary (`running`, `due_soon`, `breached`, `paused`, `met`); agents only.
    pub sla_state: Option<String>,
    /// The next SLA deadline of a running clock; agents only.
    pub sla_next_due_at: Option<DateTime<Utc>>,
}

/// A comment as its viewer may see it.
#[derive(Debug, Clone, Serialize)]
pub struct CommentView {
    pub id: Uuid,
    pub author: UserRef,
    pub is_private: bool,
    pub body: String,
    pub body_html: String,
    pub created_at: DateTime<Utc>,
}

impl CommentView {
    fn of(c: ticket_comment::Model, author: UserRef) -> Self {
        Self {
            id: c.id,
            author,
            is_private: c.is_private,
            body: c.body,
            body_html: c.body_html,
            created_at: c.created_at,
        }
    }
}

/// One line of a ticket's history.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub field: String,
    pub old_value: Option<String>,
    pub new_value: Option<String>,
    pub reason: Option<String>,
}

/// Input of `create_ticket`; strings are parsed here.
#[derive(Debug, Clone, Default)]
pub struct NewTicket {
    pub kind: Option<String>,
    pub subject: String,
    pub description: String,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    /// Agents only: override the matrix priority (needs `priority_reason`).
    pub priority: Option<String>,
    pub priority_reason: Option<String>,
    pub queue_id: Option<Uuid>,
    /// Agents only: open the ticket on behalf of this member.
    pub requester_id: Option<Uuid>,
    /// Tasks: the incident or request they belong to.
    pub parent_id: Option<Uuid>,
}

/// Changes to a ticket; `None` leaves a field alone. For `assignee_id`/`queue_id`,
/// `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct TicketPatch {
    pub subject: Option<String>,
    pub status: Option<String>,
    pub impact: Option<String>,
    pub urgency: Option<String>,
    pub priority: Option<String>,
    pub priority_reason: Option<String>,
    pub assignee_id: Option<Option<Uuid>>,
    pub queue_id: Option<Option<Uuid>>,
}

impl TicketPatch {
    pub fn is_empty(&self) -> bool {
        self.subject.is_none()
            && self.status.is_none()
            && self.impact.is_none()
            && self.urgency.is_none()
            && self.priority.is_none()
            && self.assignee_id.is_none()
            && self.queue_id.is_none()
    }
}

/// A validated request to open a ticket: what its write transaction needs.
struct TicketDraft {
    kind: TicketKind,
    subject: String,
    description: String,
    impact: Impact,
    urgency: Urgency,
    priority: Priority,
    /// The priority the impact × urgency matrix gives.
    matrix: Priority,
    reason: Option<String>,
    /// An agent chose a priority other than the matrix's.
    overridden: bool,
    queue_id: Option<Uuid>,
    requester: Uuid,
    requester_given: bool,
    parent_id: Option<Uuid>,
}

/// An `Idempotency-Key` with the hash of the request it came with.
#[derive(Debug, Clone)]
pub struct Idempotency {
    pub key: String,
    pub request_hash: String,
}

/// A page of tickets.
#[derive(Debug, Clone)]
pub struct TicketPage {
    pub items: Vec<TicketView>,
    pub next_cursor: Option<String>,
}

/// List parameters.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub filter: Filter,
    pub sort: Sort,
    pub cursor: Option<String>,
    pub limit: u64,
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            filter: Filter::default(),
            sort: Sort::UpdatedDesc,
            cursor: None,
            limit: 25,
        }
    }
}

/// How a comment reaches `add_comment_via`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CommentVia {
    /// The caller checked that the author may write into this ticket.
    pub authorized: bool,
    /// A requester's reply may reopen a resolved ticket.
    pub may_reopen: bool,
}

impl CommentVia {
    pub(crate) const DIRECT: CommentVia = CommentVia {
        authorized: false,
        may_reopen: true,
    };
}

/// Per-ticket failure of a bulk change.
#[derive(Debug, Clone, Serialize)]
pub struct BulkFailure {
    pub id: Uuid,
    pub errors: Vec<FieldError>,
}

fn changer(role: Role) -> Changer {
    if role.allows(Permission::UseAgentConsole) {
        Changer::Agent
    } else {
        Changer::Requester
    }
}

fn parse_or<T: std::str::FromStr<Err = FieldError>>(
    v: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<T> {
    v.and_then(|s| s.parse::<T>().map_err(|e| errors.push(e)).ok())
}

fn internal<E: std::fmt::Display>(e: E) -> AppError {
    AppError::Internal(e.to_string())
}

pub(crate) fn encode_cursor(c: &Cursor) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{}|{}", c.key, c.id))
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    use base64::Engine;
    let bad = || {
        AppError::from(FieldError::new(
            "cursor",
            "format",
            "is not a cursor returned by this list",
        ))
    };
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (key, id) = text.rsplit_once('|').ok_or_else(bad)?;
    Ok(Cursor {
        key: key.to_string(),
        id: id.parse().map_err(|_| bad())?,
    })
}

impl App {
    /// Views of ticket rows, with people and queues resolved in two queries.
    pub(crate) async fn ticket_views(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        rows: Vec<ticket::Model>,
    ) -> Result<Vec<TicketView>> {
        let mut ids: Vec<UserId> = rows
            .iter()
            .flat_map(|t| [Some(t.requester_id), t.assignee_id])
            .flatten()
            .map(UserId)
            .collect();
        ids.sort();
        ids.dedup();
        // The common case of a requester's own tickets needs no lookup.
        let people: HashMap<Uuid, UserRef> = if ids == [actor.user_id] {
            HashMap::from([(
                actor.user_id.0,
                UserRef {
                    id: actor.user_id,
                    name: actor.name.clone(),
                    email: actor.email.to_string(),
                },
            )])
        } else {
            users::by_ids(db, &ids)
                .await?
                .into_iter()
                .map(|u| {
                    (
                        u.id,
                        UserRef {
                            id: UserId(u.id),
                            name: u.name,
                            email: u.email,
                        },
                    )
                })
                .collect()
        };
        let qs: HashMap<Uuid, QueueRef> = if rows.iter().any(|t| t.queue_id.is_some()) {
            queues::list(db, actor.tenant.id)
                .await?
                .into_iter()
                .map(|q| {
                    (
                        q.id,
                        QueueRef {
                            id: q.id,
                            name: q.name,
                        },
                    )
                })
                .collect()
        } else {
            HashMap::new()
        };
        let unknown = |id: Uuid| UserRef {
            id: UserId(id),
            name: "(removed user)".into(),
            email: String::new(),
        };
        let agent_view = actor.role.allows(Permission::UseAgentConsole);
        rows.into_iter()
            .map(|t| {
                Ok(TicketView {
                    id: t.id,
                    kind: t.kind.parse()?,
                    status: t.status.parse()?,
                    impact: t.impact.parse()?,
                    urgency: t.urgency.parse()?,
                    priority: t.priority.parse()?,
                    description_html: t.description_html,
                    queue: t.queue_id.and_then(|q| qs.get(&q).cloned()),
                    requester: people
                        .get(&t.requester_id)
                        .cloned()
                        .unwrap_or_else(|| unknown(t.requester_id)),
                    assignee: t
                        .assignee_id
                        .map(|a| people.get(&a).cloned().unwrap_or_else(|| unknown(a))),
                    number: t.number,
                    subject: t.subject,
                    description: t.description,
                    priority_reason: t.priority_reason,
                    parent_id: t.parent_id,
                    version: t.version,
                    created_at: t.created_at,
                    updated_at: t.updated_at,
                    first_response_at: t.first_response_at,
                    resolved_at: t.resolved_at,
                    closed_at: t.closed_at,
                    sla_state: t.sla_state.filter(|_| agent_view),
                    sla_next_due_at: t.sla_next_due_at.filter(|_| agent_view),
                })
            })
            .collect::<std::result::Result<Vec<_>, FieldError>>()
            .map_err(internal)
    }

    /// Loads a ticket the actor may see; others' tickets are "not found" for requesters.
    pub(crate) async fn visible_ticket(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: Uuid,
    ) -> Result<ticket::Model> {
        let t = repo::get(db, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        self.check_visible(actor, t)
    }

    /// Like `visible_ticket`, and locks the ticket for the rest of the transaction.
    async fn visible_ticket_for_update(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        id: Uuid,
    ) -> Result<ticket::Model> {
        let t = repo::get_for_update(db, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("ticket"))?;
        self.check_visible(actor, t)
    }

    fn check_visible(&self, actor: &Actor, t: ticket::Model) -> Result<ticket::Model> {
        if !actor.role.allows(Permission::UseAgentConsole) && t.requester_id != actor.user_id.0 {
            return Err(AppError::NotFound("ticket"));
        }
        Ok(t)
    }

    async fn member_exists(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        user: Uuid,
        field: &'static str,
        agent: bool,
    ) -> Result<()> {
        let m = members::get(db, actor.tenant.id, UserId(user)).await?;
        let ok = match m {
            Some(m) => {
                let role: Role = m.role.parse().map_err(internal)?;
                !agent || role.allows(Permission::UseAgentConsole)
            }
            None => false,
        };
        if ok {
            Ok(())
        } else {
            let what = if agent { "an agent" } else { "a member" };
            Err(FieldError::new(
                field,
                "unknown",
                format!("must be {what} of this workspace"),
            )
            .into())
        }
    }

    async fn queue_exists(&self, db: &impl ConnectionTrait, actor: &Actor, q: Uuid) -> Result<()> {
        match queues::get(db, actor.tenant.id, q).await? {
            Some(q) if !q.archived => Ok(()),
            _ => Err(FieldError::new(
                "queueId",
                "unknown",
                "must be an active queue of this workspace",
            )
            .into()),
        }
    }

    /// Replays an idempotent request: the ticket created by the first request with this key.
    async fn replay(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        idem: &Idempotency,
        resource_type: &str,
    ) -> Result<Option<Uuid>> {
        match idempotency::get(db, actor.tenant.id, actor.user_id, &idem.key).await? {
            None => Ok(None),
            Some(k) if k.request_hash == idem.request_hash && k.resource_type == resource_type => {
                Ok(Some(k.resource_id))
            }
            Some(_) => Err(AppError::Conflict(FieldError::new(
                "Idempotency-Key",
                "reused",
                "this Idempotency-Key was already used for a different request",
            ))),
        }
    }

    async fn remember(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        idem: Option<&Idempotency>,
        resource_type: &str,
        id: Uuid,
    ) -> Result<()> {
        if let Some(i) = idem {
            idempotency::insert(
                db,
                idempotency_key::Model {
                    tenant_id: actor.tenant.id.0,
                    user_id: actor.user_id.0,
                    key: i.key.clone(),
                    request_hash: i.request_hash.clone(),
                    resource_type: resource_type.to_string(),
                    resource_id: id,
                    created_at: self.clock.now(),
                },
            )
            .await?;
        }
        Ok(())
    }

    /// A line of a ticket's history, to be written.
    #[allow(clippy::too_many_arguments)]
    fn ticket_event_row(
        &self,
        actor: &Who,
        t: &ticket::Model,
        field: &str,
        old: Option<String>,
        new: Option<String>,
        reason: Option<String>,
        private: bool,
    ) -> ticket_event::Model {
        ticket_event::Model {
            id: Uuid::now_v7(),
            tenant_id: t.tenant_id,
            ticket_id: t.id,
            at: self.clock.now(),
            actor_id: actor.id.map(|a| a.0),
            actor_label: actor.label.clone(),
            field: field.to_string(),
            old_value: old,
            new_value: new,
            reason,
            is_private: private,
        }
    }

    /// Opens a ticket. Returns the ticket and whether it was created now (false: an
    /// idempotent replay of an earlier request).
    pub async fn create_ticket(
        &self,
        actor: &Actor,
        input: NewTicket,
        idem: Option<Idempotency>,
    ) -> Result<(TicketView, bool)> {
        let is_agent = actor.role.allows(Permission::UseAgentConsole);
        let mut errors = Vec::new();
        let kind: TicketKind = parse_or(
            Some(input.kind.as_deref().unwrap_or("incident")),
            &mut errors,
        )
        .unwrap_or(TicketKind::Incident);
        let subject = Subject::parse(&input.subject)
            .map_err(|e| errors.push(e))
            .ok();
        let description = Description::parse(&input.description)
            .map_err(|e| errors.push(e))
            .ok();
        let mut requested: Option<Priority> = parse_or(input.priority.as_deref(), &mut errors);
        // A priority alone (as in a simple portal form) picks the matching impact and
        // urgency; only an agent who also sets impact and urgency overrides the matrix.
        let (default_impact, default_urgency) = match requested {
            Some(p) if input.impact.is_none() && input.urgency.is_none() => {
                requested = None;
                canonical_levels(p)
            }
            _ => (Impact::Medium, Urgency::Medium),
        };
        let impact: Impact =
            parse_or(input.impact.as_deref(), &mut errors).unwrap_or(default_impact);
        let urgency: Urgency =
            parse_or(input.urgency.as_deref(), &mut errors).unwrap_or(default_urgency);
        let matrix = PriorityMatrix::default().priority(impact, urgency);
        let overridden = requested;
        let reason = input
            .priority_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if !is_agent {
            for (set, field) in [
                (overridden.is_some(), "priority"),
                (input.queue_id.is_some(), "queueId"),
                (input.requester_id.is_some(), "requesterId"),
            ] {
                if set {
                    errors.push(FieldError::new(
                        field,
                        "not_allowed",
                        "only agents may set this",
                    ));
                }
            }
            if kind == TicketKind::Task {
                errors.push(FieldError::new(
                    "kind",
                    "not_allowed",
                    "only agents create tasks",
                ));
            }
        }
        if overridden.is_some_and(|p| p != matrix) && reason.is_none() {
            errors.push(FieldError::new(
                "priorityReason",
                "required",
                "say why the priority differs from the impact × urgency matrix",
            ));
        }
        if kind == TicketKind::Task && input.parent_id.is_none() {
            errors.push(FieldError::new(
                "parentId",
                "required",
                "a task belongs to an incident or a service request",
            ));
        }
        if kind != TicketKind::Task && input.parent_id.is_some() {
            errors.push(FieldError::new(
                "parentId",
                "not_allowed",
                "only tasks have a parent",
            ));
        }
        let (Some(subject), Some(description), true) = (subject, description, errors.is_empty())
        else {
            return Err(AppError::Validation(errors));
        };
        let draft = Arc::new(TicketDraft {
            kind,
            subject: subject.as_str().into(),
            description: description.as_str().into(),
            impact,
            urgency,
            priority: overridden.unwrap_or(matrix),
            matrix,
            reason,
            overridden: overridden.is_some_and(|p| p != matrix),
            queue_id: input.queue_id,
            requester: input.requester_id.unwrap_or(actor.user_id.0),
            requester_given: input.requester_id.is_some(),
            parent_id: input.parent_id,
        });
        let (app, actor2, idem) = (self.clone(), actor.clone(), Arc::new(idem));
        self.write_grouped(
            Scope::TenantUser(actor.tenant.id, actor.user_id),
            Arc::new(move |tx| {
                let (app, actor, draft, idem) =
                    (app.clone(), actor2.clone(), draft.clone(), idem.clone());
                Box::pin(async move {
                    app.create_in(tx, &actor, &draft, idem.as_ref().as_ref())
                        .await
                })
            }),
        )
        .await
    }

    /// The write of a ticket's creation, in `tx` (which the caller commits).
    async fn create_in(
        &self,
        tx: &DatabaseTransaction,
        actor: &Actor,
        d: &TicketDraft,
        idem: Option<&Idempotency>,
    ) -> Result<(TicketView, bool)> {
        if let Some(i) = idem
            && let Some(id) = self.replay(tx, actor, i, "ticket").await?
        {
            let t = repo::get(tx, actor.tenant.id, id)
                .await?
                .ok_or(AppError::NotFound("ticket"))?;
            let mut v = self.ticket_views(tx, actor, vec![t]).await?;
            return v
                .pop()
                .map(|v| (v, false))
                .ok_or(AppError::NotFound("ticket"));
        }
        if let Some(q) = d.queue_id {
            self.queue_exists(tx, actor, q).await?;
        }
        if d.requester_given {
            self.member_exists(tx, actor, d.requester, "requesterId", false)
                .await?;
        }
        if let Some(p) = d.parent_id {
            let parent = repo::get(tx, actor.tenant.id, p).await?;
            if parent.is_none_or(|p| p.kind == TicketKind::Task.as_str()) {
                return Err(FieldError::new(
                    "parentId",
                    "unknown",
                    "must be an incident or service request of this workspace",
                )
                .into());
            }
        }
        // Microseconds, as PostgreSQL keeps them: the answer shows what a read returns.
        let now = self.clock.now().trunc_subsecs(6);
        let kind = d.kind;
        let seq = repo::next_seq(tx, actor.tenant.id, kind).await?;
        let t = ticket::Model {
            id: Uuid::now_v7(),
            tenant_id: actor.tenant.id.0,
            kind: kind.as_str().into(),
            seq,
            number: kind.number(seq),
            subject: d.subject.clone(),
            description: d.description.clone(),
            description_html: markdown::render(&d.description),
            status: Status::New.as_str().into(),
            impact: d.impact.as_str().into(),
            urgency: d.urgency.as_str().into(),
            priority: d.priority.as_str().into(),
            priority_reason: d.reason.clone().filter(|_| d.overridden),
            queue_id: d.queue_id,
            requester_id: d.requester,
            assignee_id: None,
            parent_id: d.parent_id,
            version: 1,
            created_at: now,
            updated_at: now,
            first_response_at: None,
            resolved_at: None,
            closed_at: None,
            sla_state: None,
            sla_next_due_at: None,
        };
        let who = Who::from(actor);
        // The ticket and its history lines go to the database with the audit entry and
        // the event (one command on SQLite).
        let mut rows = vec![
            changes::row(t.clone().into_active_model()),
            changes::row(
                self.ticket_event_row(
                    &who,
                    &t,
                    "created",
                    None,
                    Some(t.number.clone()),
                    None,
                    false,
                )
                .into_active_model(),
            ),
        ];
        if t.priority_reason.is_some() {
            rows.push(changes::row(
                self.ticket_event_row(
                    &who,
                    &t,
                    "priority",
                    Some(d.matrix.as_str().into()),
                    Some(d.priority.as_str().into()),
                    d.reason.clone(),
                    false,
                )
                .into_active_model(),
            ));
        }
        self.record_after(
            tx,
            rows,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "ticket.created",
                target_type: "ticket",
                target_id: t.id.to_string(),
                before: None,
                after: Some(json!({
                    "number": t.number, "kind": t.kind, "subject": t.subject, "status": t.status,
                    "priority": t.priority, "queueId": t.queue_id, "requesterId": t.requester_id,
                })),
            },
        )
        .await?;
        // After the ticket is written: its clocks refer to it.
        self.sla_sync(tx, None, &t).await?;
        self.remember(tx, actor, idem, "ticket", t.id).await?;
        let mut v = self.ticket_views(tx, actor, vec![t]).await?;
        v.pop()
            .map(|v| (v, true))
            .ok_or(AppError::NotFound("ticket"))
    }

    /// A ticket the actor may see (by id or by number such as `INC-000042`).
    pub async fn get_ticket(&self, actor: &Actor, id_or_number: &str) -> Result<TicketView> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let id = match id_or_number.parse::<Uuid>() {
            Ok(id) => id,
            Err(_) => repo::by_number(&tx, actor.tenant.id, &id_or_number.trim().to_uppercase())
                .await?
                .map(|t| t.id)
                .ok_or(AppError::NotFound("ticket"))?,
        };
        let t = self.visible_ticket(&tx, actor, id).await?;
        let mut v = self.ticket_views(&tx, actor, vec![t]).await?;
        v.pop().ok_or(AppError::NotFound("ticket"))
    }

    /// Lists tickets. Requesters only ever see their own, whatever the filter says.
    pub async fn list_tickets(&self, actor: &Actor, mut q: ListQuery) -> Result<TicketPage> {
        if !actor.role.allows(Permission::UseAgentConsole) {
            q.filter.requester = Some(actor.user_id.0);
            // SLA clocks are internal: requesters can neither filter nor sort by them.
            q.filter.sla_states.clear();
            if q.sort == repo::Sort::SlaDue {
                q.sort = repo::Sort::UpdatedDesc;
            }
        }
        if !(1..=200).contains(&q.limit) {
            return Err(FieldError::new("limit", "range", "must be between 1 and 200").into());
        }
        let cursor = q
            .cursor
            .as_deref()
            .filter(|c| !c.is_empty())
            .map(decode_cursor)
            .transpose()?;
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let (rows, more) = repo::list(
            &tx,
            actor.tenant.id,
            &q.filter,
            q.sort,
            cursor.as_ref(),
            q.limit,
        )
        .await
        .map_err(|e| match e {
            catalyst_store::StoreError::Config(_) => AppError::from(FieldError::new(
                "cursor",
                "format",
                "is not a cursor returned by this list",
            )),
            other => other.into(),
        })?;
        let next_cursor = if more {
            rows.last()
                .map(|t| encode_cursor(&repo::cursor_after(t, q.sort)))
        } else {
            None
        };
        let items = self.ticket_views(&tx, actor, rows).await?;
        Ok(TicketPage { items, next_cursor })
    }

    /// Applies a patch to a loaded ticket inside a transaction; records history. Returns
    /// the changed active model, or the field errors.
    async fn apply_patch(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        t: &ticket::Model,
        p: &TicketPatch,
    ) -> Result<(ticket::ActiveModel, Vec<(&'static str, String, String)>)> {
        let is_agent = actor.role.allows(Permission::UseAgentConsole);
        let mut errors = Vec::new();
        if !is_agent {
            for (set, f) in [
                (p.subject.is_some(), "subject"),
                (p.impact.is_some(), "impact"),
                (p.urgency.is_some(), "urgency"),
                (p.priority.is_some(), "priority"),
                (p.assignee_id.is_some(), "assigneeId"),
                (p.queue_id.is_some(), "queueId"),
            ] {
                if set {
                    errors.push(FieldError::new(
                        f,
                        "not_allowed",
                        "only agents may change this",
                    ));
                }
            }
        }
        let cur_status: Status = t.status.parse().map_err(internal)?;
        if cur_status.is_final() && is_agent && !p.is_empty() && p.status.is_none() {
            errors.push(FieldError::new(
                "status",
                "final",
                format!("the ticket is {} and cannot change", cur_status.as_str()),
            ));
        }
        let mut am = t.clone().into_active_model();
        let mut changes: Vec<(&'static str, String, String)> = Vec::new();
        let now = self.clock.now();
        if let Some(s) = &p.subject {
            match Subject::parse(s) {
                Ok(s) if s.as_str() != t.subject => {
                    changes.push(("subject", t.subject.clone(), s.as_str().into()));
                    am.subject = Set(s.as_str().into());
                }
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        if let Some(s) = p.status.as_deref() {
            match s.parse::<Status>().and_then(|to| {
                if to == cur_status {
                    Ok(to)
                } else {
                    cur_status.transition(to, changer(actor.role))
                }
            }) {
                Ok(to) if to != cur_status => {
                    changes.push(("status", cur_status.as_str().into(), to.as_str().into()));
                    am.status = Set(to.as_str().into());
                    match to {
                        Status::Resolved => am.resolved_at = Set(Some(now)),
                        Status::Closed | Status::Cancelled => am.closed_at = Set(Some(now)),
                        Status::Open if cur_status == Status::Resolved => {
                            am.resolved_at = Set(None)
                        }
                        _ => {}
                    }
                }
                Ok(_) => {}
                Err(e) => errors.push(e),
            }
        }
        let impact: Impact = parse_or(p.impact.as_deref(), &mut errors)
            .unwrap_or(t.impact.parse().map_err(internal)?);
        let urgency: Urgency = parse_or(p.urgency.as_deref(), &mut errors)
            .unwrap_or(t.urgency.parse().map_err(internal)?);
        let matrix = PriorityMatrix::default().priority(impact, urgency);
        let requested: Option<Priority> = parse_or(p.priority.as_deref(), &mut errors);
        let reason = p
            .priority_reason
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string);
        if impact.as_str() != t.impact {
            changes.push(("impact", t.impact.clone(), impact.as_str().into()));
            am.impact = Set(impact.as_str().into());
        }
        if urgency.as_str() != t.urgency {
            changes.push(("urgency", t.urgency.clone(), urgency.as_str().into()));
            am.urgency = Set(urgency.as_str().into());
        }
        let new_priority = match requested {
            Some(pr) => pr,
            // Impact or urgency changed without an explicit priority: follow the matrix,
            // unless an agent's override is in force.
            None if t.priority_reason.is_none() => matrix,
            None => t.priority.parse().map_err(internal)?,
        };
        if requested.is_some_and(|pr| pr != matrix) && reason.is_none() {
            errors.push(FieldError::new(
                "priorityReason",
                "required",
                "say why the priority differs from the impact × urgency matrix",
            ));
        }
        if new_priority.as_str() != t.priority {
            changes.push(("priority", t.priority.clone(), new_priority.as_str().into()));
            am.priority = Set(new_priority.as_str().into());
        }
        if requested.is_some() {
            am.priority_reason = Set(requested.filter(|pr| *pr != matrix).and(reason.clone()));
        }
        if let Some(a) = p.assignee_id {
            if let Some(user) = a
                && let Err(AppError::Validation(mut e)) = self
                    .member_exists(db, actor, user, "assigneeId", true)
                    .await
            {
                errors.append(&mut e);
            }
            if a != t.assignee_id {
                changes.push(("assignee", opt_id(t.assignee_id), opt_id(a)));
                am.assignee_id = Set(a);
            }
        }
        if let Some(q) = p.queue_id {
            if let Some(qid) = q
                && let Err(AppError::Validation(mut e)) = self.queue_exists(db, actor, qid).await
            {
                errors.append(&mut e);
            }
            if q != t.queue_id {
                changes.push(("queue", opt_id(t.queue_id), opt_id(q)));
                am.queue_id = Set(q);
            }
        }
        if !errors.is_empty() {
            return Err(AppError::Validation(errors));
        }
        if !changes.is_empty() {
            am.updated_at = Set(now);
        }
        Ok((am, changes))
    }

    async fn record_changes(
        &self,
        db: &impl ConnectionTrait,
        actor: &Actor,
        before: &ticket::Model,
        after: &ticket::Model,
        changes: &[(&'static str, String, String)],
        reason: Option<String>,
    ) -> Result<()> {
        self.sla_sync(db, Some(before), after).await?;
        let who = Who::from(actor);
        for (field, old, new) in changes {
            let r = if *field == "priority" {
                reason.clone()
            } else {
                None
            };
            repo::insert_event(
                db,
                self.ticket_event_row(
                    &who,
                    after,
                    field,
                    Some(old.clone()),
                    Some(new.clone()),
                    r,
                    false,
                ),
            )
            .await?;
        }
        let mut b = serde_json::Map::new();
        let mut a = serde_json::Map::new();
        for (field, old, new) in changes {
            b.insert((*field).to_string(), json!(old));
            a.insert((*field).to_string(), json!(new));
        }
        self.record(
            db,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "ticket.updated",
                target_type: "ticket",
                target_id: before.id.to_string(),
                before: Some(serde_json::Value::Object(b)),
                after: Some(serde_json::Value::Object(a)),
            },
        )
        .await
    }

    /// Changes a ticket if it is still at `expected_version` (else `Conflict` with code
    /// `stale`, which the API answers with 412).
    pub async fn update_ticket(
        &self,
        actor: &Actor,
        id: Uuid,
        expected_version: i64,
        patch: TicketPatch,
    ) -> Result<TicketView> {
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let t = self.visible_ticket_for_update(&tx, actor, id).await?;
        if t.version != expected_version {
            return Err(stale());
        }
        let (am, changes) = self.apply_patch(&tx, actor, &t, &patch).await?;
        if changes.is_empty() {
            let mut v = self.ticket_views(&tx, actor, vec![t]).await?;
            return v.pop().ok_or(AppError::NotFound("ticket"));
        }
        let saved = repo::update_if_version(&tx, am, actor.tenant.id, id, expected_version)
            .await?
            .ok_or_else(stale)?;
        self.record_changes(
            &tx,
            actor,
            &t,
            &saved,
            &changes,
            patch.priority_reason.clone(),
        )
        .await?;
        let mut v = self.ticket_views(&tx, actor, vec![saved]).await?;
        self.commit(tx).await?;
        v.pop().ok_or(AppError::NotFound("ticket"))
    }

    /// Applies the same change to many tickets, all or nothing. On any failure nothing
    /// is saved and every failing ticket is reported with its errors.
    pub async fn bulk_update(
        &self,
        actor: &Actor,
        ids: &[Uuid],
        patch: TicketPatch,
    ) -> Result<std::result::Result<Vec<TicketView>, Vec<BulkFailure>>> {
        actor.require(Permission::UseAgentConsole)?;
        if ids.is_empty() || ids.len() > 500 {
            return Err(
                FieldError::new("ids", "range", "give between 1 and 500 ticket ids").into(),
            );
        }
        if patch.is_empty() {
            return Err(FieldError::new("changes", "required", "say what to change").into());
        }
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let mut failures = Vec::new();
        let mut saved = Vec::new();
        for id in ids {
            let Some(t) = repo::get_for_update(&tx, actor.tenant.id, *id).await? else {
                failures.push(BulkFailure {
                    id: *id,
                    errors: vec![FieldError::new("id", "not_found", "no such ticket")],
                });
                continue;
            };
            match self.apply_patch(&tx, actor, &t, &patch).await {
                Ok((_, changes)) if changes.is_empty() => saved.push(t),
                Ok((am, changes)) => {
                    let after = repo::update_if_version(&tx, am, actor.tenant.id, t.id, t.version)
                        .await?
                        .ok_or_else(stale)?;
                    self.record_changes(
                        &tx,
                        actor,
                        &t,
                        &after,
                        &changes,
                        patch.priority_reason.clone(),
                    )
                    .await?;
                    saved.push(after);
                }
                Err(AppError::Validation(errors)) => failures.push(BulkFailure { id: *id, errors }),
                Err(e) => return Err(e),
            }
        }
        if !failures.is_empty() {
            return Ok(Err(failures));
        }
        let views = self.ticket_views(&tx, actor, saved).await?;
        self.commit(tx).await?;
        Ok(Ok(views))
    }

    /// Adds a public reply or (agents only) an internal note. A requester's reply reopens
    /// a resolved ticket; an agent's first public reply is the first response.
    pub async fn add_comment(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        body: &str,
        is_private: bool,
        idem: Option<Idempotency>,
    ) -> Result<(CommentView, bool)> {
        self.add_comment_via(actor, ticket_id, body, is_private, idem, CommentVia::DIRECT)
            .await
    }

    /// `add_comment` for callers that authorised the author themselves (inbound email:
    /// a participant may reply into a ticket that is not theirs) and that may forbid
    /// reopening (automatic mail never reopens a resolved ticket).
    pub(crate) async fn add_comment_via(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        body: &str,
        is_private: bool,
        idem: Option<Idempotency>,
        via: CommentVia,
    ) -> Result<(CommentView, bool)> {
        let is_agent = actor.role.allows(Permission::UseAgentConsole);
        let body = CommentBody::parse(body)?;
        if is_private && !is_agent {
            return Err(AppError::Forbidden);
        }
        let body: Arc<str> = body.as_str().into();
        let (app, actor2, idem) = (self.clone(), actor.clone(), Arc::new(idem));
        self.write_grouped(
            Scope::TenantUser(actor.tenant.id, actor.user_id),
            Arc::new(move |tx| {
                let (app, actor, body, idem) =
                    (app.clone(), actor2.clone(), body.clone(), idem.clone());
                Box::pin(async move {
                    app.comment_in(
                        tx,
                        &actor,
                        ticket_id,
                        &body,
                        is_private,
                        idem.as_ref().as_ref(),
                        via,
                    )
                    .await
                })
            }),
        )
        .await
    }

    /// The write of a comment, in `tx` (which the caller commits).
    #[allow(clippy::too_many_arguments)]
    async fn comment_in(
        &self,
        tx: &DatabaseTransaction,
        actor: &Actor,
        ticket_id: Uuid,
        body: &str,
        is_private: bool,
        idem: Option<&Idempotency>,
        via: CommentVia,
    ) -> Result<(CommentView, bool)> {
        let is_agent = actor.role.allows(Permission::UseAgentConsole);
        let t = if via.authorized {
            repo::get_for_update(tx, actor.tenant.id, ticket_id)
                .await?
                .ok_or(AppError::NotFound("ticket"))?
        } else {
            self.visible_ticket_for_update(tx, actor, ticket_id).await?
        };
        if let Some(i) = idem
            && let Some(id) = self.replay(tx, actor, i, "comment").await?
        {
            let c = repo::comment(tx, actor.tenant.id, ticket_id, id, is_agent)
                .await?
                .ok_or(AppError::NotFound("comment"))?;
            let mut v = self.comment_views(tx, vec![c]).await?;
            return v
                .pop()
                .map(|v| (v, false))
                .ok_or(AppError::NotFound("comment"));
        }
        let status: Status = t.status.parse().map_err(internal)?;
        if status.is_final() {
            return Err(FieldError::new(
                "body",
                "closed",
                format!("the ticket is {}; open a new one instead", status.as_str()),
            )
            .into());
        }
        // Microseconds, as PostgreSQL keeps them: the answer shows what a read returns.
        let now = self.clock.now().trunc_subsecs(6);
        let c = ticket_comment::Model {
            id: Uuid::now_v7(),
            tenant_id: actor.tenant.id.0,
            ticket_id,
            author_id: actor.user_id.0,
            is_private,
            body_html: markdown::render(body),
            body: body.into(),
            created_at: now,
        };
        let who = Who::from(actor);
        // The comment and its history line are written with the audit entry and event
        // below (one command on SQLite), after the ticket's own update.
        let rows = vec![
            changes::row(c.clone().into_active_model()),
            changes::row(
                self.ticket_event_row(
                    &who,
                    &t,
                    if is_private { "note" } else { "reply" },
                    None,
                    Some(c.id.to_string()),
                    None,
                    is_private,
                )
                .into_active_model(),
            ),
        ];
        // Status and first response follow the reply.
        let by = changer(actor.role);
        let next = match status.after_reply(by, !is_private) {
            _ if status == Status::Resolved && !via.may_reopen => status,
            next => next,
        };
        let mut am = t.clone().into_active_model();
        let mut changed = Vec::new();
        if next != status {
            changed.push((
                "status",
                status.as_str().to_string(),
                next.as_str().to_string(),
            ));
            am.status = Set(next.as_str().into());
            if status == Status::Resolved {
                am.resolved_at = Set(None);
            }
        }
        if by == Changer::Agent && !is_private && t.first_response_at.is_none() {
            am.first_response_at = Set(Some(now));
        }
        am.updated_at = Set(now);
        let saved = repo::update_if_version(tx, am, actor.tenant.id, t.id, t.version)
            .await?
            .ok_or_else(stale)?;
        if !changed.is_empty() {
            self.record_changes(tx, actor, &t, &saved, &changed, None)
                .await?;
        } else {
            self.sla_sync(tx, Some(&t), &saved).await?;
        }
        self.record_after(
            tx,
            rows,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: if is_private {
                    "ticket.note_added"
                } else {
                    "ticket.reply_added"
                },
                target_type: "ticket",
                target_id: t.id.to_string(),
                before: None,
                after: Some(json!({"commentId": c.id, "isPrivate": is_private})),
            },
        )
        .await?;
        self.remember(tx, actor, idem, "comment", c.id).await?;
        // The author is the actor: no need to read them back.
        let author = UserRef {
            id: actor.user_id,
            name: actor.name.clone(),
            email: actor.email.to_string(),
        };
        Ok((CommentView::of(c, author), true))
    }

    async fn comment_views(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<ticket_comment::Model>,
    ) -> Result<Vec<CommentView>> {
        let mut ids: Vec<UserId> = rows.iter().map(|c| UserId(c.author_id)).collect();
        ids.sort();
        ids.dedup();
        let people: HashMap<Uuid, UserRef> = users::by_ids(db, &ids)
            .await?
            .into_iter()
            .map(|u| {
                (
                    u.id,
                    UserRef {
                        id: UserId(u.id),
                        name: u.name,
                        email: u.email,
                    },
                )
            })
            .collect();
        Ok(rows
            .into_iter()
            .map(|c| {
                let author = people.get(&c.author_id).cloned().unwrap_or(UserRef {
                    id: UserId(c.author_id),
                    name: "(removed user)".into(),
                    email: String::new(),
                });
                CommentView::of(c, author)
            })
            .collect())
    }

    /// The conversation of a ticket; requesters never get internal notes.
    pub async fn list_comments(&self, actor: &Actor, ticket_id: Uuid) -> Result<Vec<CommentView>> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        self.visible_ticket(&tx, actor, ticket_id).await?;
        let include_private = actor.role.allows(Permission::UseAgentConsole);
        let rows = repo::comments(&tx, actor.tenant.id, ticket_id, include_private).await?;
        self.comment_views(&tx, rows).await
    }

    /// Field-by-field history; requesters do not see internal notes in it.
    pub async fn ticket_history(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
    ) -> Result<Vec<HistoryEntry>> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        self.visible_ticket(&tx, actor, ticket_id).await?;
        let include_private = actor.role.allows(Permission::UseAgentConsole);
        Ok(
            repo::events(&tx, actor.tenant.id, ticket_id, include_private)
                .await?
                .into_iter()
                .map(|e| HistoryEntry {
                    at: e.at,
                    actor: e.actor_label,
                    field: e.field,
                    old_value: e.old_value,
                    new_value: e.new_value,
                    reason: e.reason,
                })
                .collect(),
        )
    }

    /// Tasks of an incident or request.
    pub async fn child_tickets(&self, actor: &Actor, ticket_id: Uuid) -> Result<Vec<TicketView>> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        self.visible_ticket(&tx, actor, ticket_id).await?;
        if !actor.role.allows(Permission::UseAgentConsole) {
            return Ok(Vec::new());
        }
        let rows = repo::children(&tx, actor.tenant.id, ticket_id).await?;
        self.ticket_views(&tx, actor, rows).await
    }

    /// Closes resolved tickets whose tenant's auto-close period has passed. Returns how
    /// many were closed. Safe to run on several nodes at once (version checks).
    pub async fn auto_close_resolved(&self) -> Result<u64> {
        let tenants = self.list_tenants().await?;
        let now = self.clock.now();
        let mut closed = 0;
        for tenant in tenants {
            let tx = self.store.write(Scope::Tenant(tenant.id)).await?;
            let days = queues::auto_close_days(&tx, tenant.id).await?;
            let due = repo::resolved_before(
                &tx,
                tenant.id,
                now - chrono::Duration::days(i64::from(days)),
                500,
            )
            .await?;
            let who = Who {
                id: None,
                label: "system:auto-close".into(),
                request_id: None,
            };
            for t in due {
                let mut am = t.clone().into_active_model();
                am.status = Set(Status::Closed.as_str().into());
                am.closed_at = Set(Some(now));
                am.updated_at = Set(now);
                if let Some(after) =
                    repo::update_if_version(&tx, am, tenant.id, t.id, t.version).await?
                {
                    repo::insert_event(
                        &tx,
                        self.ticket_event_row(
                            &who,
                            &after,
                            "status",
                            Some("resolved".into()),
                            Some("closed".into()),
                            Some(format!("no reply within {days} days")),
                            false,
                        ),
                    )
                    .await?;
                    self.record(
                        &tx,
                        Change {
                            tenant: tenant.id,
                            who: &who,
                            action: "ticket.updated",
                            target_type: "ticket",
                            target_id: t.id.to_string(),
                            before: Some(json!({"status": "resolved"})),
                            after: Some(json!({"status": "closed"})),
                        },
                    )
                    .await?;
                    closed += 1;
                }
            }
            self.commit(tx).await?;
        }
        Ok(closed)
    }
}

/// The impact and urgency that give `p` in the default matrix.
fn canonical_levels(p: Priority) -> (Impact, Urgency) {
    match p {
        Priority::P1 => (Impact::High, Urgency::High),
        Priority::P2 => (Impact::High, Urgency::Medium),
        Priority::P3 => (Impact::Medium, Urgency::Medium),
        Priority::P4 => (Impact::Low, Urgency::Low),
    }
}

fn opt_id(id: Option<Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

pub(crate) fn stale() -> AppError {
    AppError::Conflict(FieldError::new(
        "version",
        "stale",
        "the ticket was changed by someone else; reload it and try again",
    ))
}
