//! Notifications: the in-app bell (a `notifications` row per user, pushed live to open
//! pages) and the `event.notify` job that fans a ticket event out to the people who
//! should hear about it.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::{Permission, TenantId, UserId};
use catalyst_store::Scope;
use catalyst_store::entity::{event, notification, ticket};
use catalyst_store::repo::{events, jobs as jobs_repo, members, notifications as repo};
use catalyst_store::sea_orm::ConnectionTrait;

use crate::jobs::JobError;
use crate::mail::MailMemo;
use crate::{Actor, App, AppError, Result};

/// The job that turns a ticket event into notifications and emails.
pub const NOTIFY_JOB: &str = "event.notify";

/// Ticket events that are fanned out to people (in-app, and email when configured).
pub const NOTIFIED_EVENTS: &[&str] = &[
    "ticket.created",
    "ticket.updated",
    "ticket.reply_added",
    "ticket.note_added",
    "ticket.sla_due_soon",
    "ticket.sla_breached",
];

/// A signal to the open pages of one user that their notifications changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LiveSignal {
    pub tenant: TenantId,
    pub user: UserId,
}

/// One notification as its user sees it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: String,
    pub ticket_id: Option<Uuid>,
    pub title: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub read: bool,
}

/// The user's latest notifications and how many are unread.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct NotificationList {
    pub unread: u64,
    pub items: Vec<NotificationView>,
}

impl From<notification::Model> for NotificationView {
    fn from(n: notification::Model) -> Self {
        Self {
            id: n.id,
            kind: n.kind,
            ticket_id: n.ticket_id,
            title: n.title,
            body: n.body,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        }
    }
}

/// A notification to write.
/// An `event.notify` job, read and rendered, ready to be recorded.
pub(crate) struct PreparedNotify {
    pub tenant: TenantId,
    pub event: event::Model,
    pub ticket: ticket::Model,
    /// Who gets the in-app notice (and a live signal once it is committed).
    pub told: Vec<UserId>,
    /// Kind and title of the in-app notice, if any.
    pub notice: Option<(&'static str, String)>,
    pub mails: Vec<crate::mail::PreparedMail>,
}

pub(crate) struct Notice<'a> {
    pub kind: &'a str,
    pub ticket: Option<&'a ticket::Model>,
    pub title: String,
    pub body: String,
}

impl App {
    /// Live changes to notifications on this node (for Server-Sent Events).
    pub fn subscribe_live(&self) -> tokio::sync::broadcast::Receiver<LiveSignal> {
        self.live.subscribe()
    }

    /// Tells open pages of these users to refresh their bell. Call after the commit.
    pub(crate) fn announce(&self, tenant: TenantId, users: &[UserId]) {
        for u in users {
            // No receiver is not an error: nobody has a page open.
            let _ = self.live.send(LiveSignal { tenant, user: *u });
        }
    }

    /// Writes one notification per user inside the caller's transaction.
    pub(crate) async fn notify_users(
        &self,
        db: &impl ConnectionTrait,
        tenant: TenantId,
        users: &[UserId],
        n: &Notice<'_>,
    ) -> Result<()> {
        let mut rows = Vec::with_capacity(users.len());
        self.notice_rows(tenant, users, n, &mut rows);
        repo::insert_all(db, &rows).await?;
        Ok(())
    }

    /// The rows of one notification per user, added to `rows`.
    fn notice_rows(
        &self,
        tenant: TenantId,
        users: &[UserId],
        n: &Notice<'_>,
        rows: &mut Vec<notification::Model>,
    ) {
        let now = self.clock.now();
        rows.extend(users.iter().map(|u| notification::Model {
            id: Uuid::now_v7(),
            tenant_id: tenant.0,
            user_id: u.0,
            kind: n.kind.to_string(),
            ticket_id: n.ticket.map(|t| t.id),
            title: n.title.chars().take(300).collect(),
            body: n.body.chars().take(1000).collect(),
            created_at: now,
            read_at: None,
        }));
    }

    /// Who hears about a ticket's SLA: its assignee, or every agent of the tenant when
    /// it is unassigned.
    pub(crate) async fn ticket_watchers(
        &self,
        db: &impl ConnectionTrait,
        t: &ticket::Model,
    ) -> Result<Vec<UserId>> {
        if let Some(a) = t.assignee_id {
            return Ok(vec![UserId(a)]);
        }
        Ok(members::list_for_tenant(db, TenantId(t.tenant_id))
            .await?
            .into_iter()
            .filter(|m| m.role != "requester")
            .map(|m| UserId(m.user_id))
            .collect())
    }

    /// The caller's latest notifications.
    pub async fn notifications(&self, actor: &Actor, limit: u64) -> Result<NotificationList> {
        actor.require(Permission::UsePortal)?;
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let items = repo::latest(&tx, actor.tenant.id, actor.user_id, limit.clamp(1, 200))
            .await?
            .into_iter()
            .map(NotificationView::from)
            .collect();
        let unread = repo::unread_count(&tx, actor.tenant.id, actor.user_id).await?;
        Ok(NotificationList { unread, items })
    }

    pub async fn unread_notifications(&self, actor: &Actor) -> Result<u64> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        Ok(repo::unread_count(&tx, actor.tenant.id, actor.user_id).await?)
    }

    /// Marks one notification (or all) of the caller read. An id of someone else's
    /// notification is `NotFound`.
    pub async fn mark_notifications_read(&self, actor: &Actor, id: Option<Uuid>) -> Result<u64> {
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let n = repo::mark_read(&tx, actor.tenant.id, actor.user_id, id, self.clock.now()).await?;
        if id.is_some() && n == 0 {
            let mine = repo::latest(&tx, actor.tenant.id, actor.user_id, 200).await?;
            if !mine.iter().any(|m| Some(m.id) == id) {
                return Err(AppError::NotFound("notification"));
            }
        }
        tx.commit().await?;
        self.announce(actor.tenant.id, &[actor.user_id]);
        Ok(n)
    }

    /// The job that fans an outbox event out to people; it gets the event's id when the
    /// event is written (`changes::record`).
    pub(crate) fn notify_job(&self, tenant: TenantId, actor: Option<UserId>) -> jobs_repo::NewJob {
        jobs_repo::NewJob::new(NOTIFY_JOB, json!({"actorId": actor}), self.clock.now())
            .tenant(tenant)
    }

    /// The `event.notify` job on its own: [`App::prepare_notify`], then
    /// [`App::record_notify`] in a write transaction. The job runner batches the second
    /// half of many such jobs into one transaction per tenant instead.
    pub(crate) async fn on_event_job(
        &self,
        tenant: TenantId,
        payload: &serde_json::Value,
    ) -> std::result::Result<(), JobError> {
        let Some(p) = self.prepare_notify(tenant, payload).await? else {
            return Ok(());
        };
        let tx = self.store.write(Scope::Tenant(tenant)).await?;
        self.record_notify(&tx, &p).await?;
        self.commit(tx).await?;
        self.announce(tenant, &p.told);
        Ok(())
    }

    /// The read half of an `event.notify` job: reloads the event and the ticket, decides
    /// who should know and renders the emails, in a read transaction (the single writer
    /// is not held meanwhile). `None` when there is nothing to record.
    pub(crate) async fn prepare_notify(
        &self,
        tenant: TenantId,
        payload: &serde_json::Value,
    ) -> std::result::Result<Option<PreparedNotify>, JobError> {
        let tx = self.store.read(Scope::Tenant(tenant)).await?;
        self.prepare_notify_in(&tx, &mut MailMemo::default(), tenant, payload)
            .await
    }

    /// [`App::prepare_notify`] in the caller's read transaction of `tenant`, sharing
    /// `memo` with the tenant's other jobs of a batch.
    pub(crate) async fn prepare_notify_in(
        &self,
        tx: &impl ConnectionTrait,
        memo: &mut MailMemo,
        tenant: TenantId,
        payload: &serde_json::Value,
    ) -> std::result::Result<Option<PreparedNotify>, JobError> {
        let Some(event_id) = payload.get("eventId").and_then(|v| v.as_i64()) else {
            return Err(JobError::Fatal("payload has no eventId".into()));
        };
        let actor = payload
            .get("actorId")
            .and_then(|v| v.as_str())
            .and_then(|s| Uuid::parse_str(s).ok())
            .map(UserId);
        let Some(e) = events::get(tx, tenant, event_id).await? else {
            return Ok(None);
        };
        let Ok(ticket_id) = Uuid::parse_str(&e.aggregate_id) else {
            return Ok(None);
        };
        let Some(t) = catalyst_store::repo::tickets::get(tx, tenant, ticket_id).await? else {
            return Ok(None);
        };
        let mut told = Vec::new();
        let mut notice = None;
        match e.event_type.as_str() {
            "ticket.updated" => {
                if let Some(a) = e.payload.get("assignee").and_then(|v| v.as_str())
                    && let Some(assignee) = t.assignee_id
                    && a == assignee.to_string()
                    && actor != Some(UserId(assignee))
                {
                    told.push(UserId(assignee));
                    notice = Some((
                        "ticket_assigned",
                        format!("{} was assigned to you", t.number),
                    ));
                }
            }
            "ticket.reply_added" => {
                if actor == Some(UserId(t.requester_id))
                    && let Some(assignee) = t.assignee_id
                {
                    told.push(UserId(assignee));
                    notice = Some((
                        "requester_replied",
                        format!("{}: the requester replied", t.number),
                    ));
                }
            }
            _ => {}
        }
        let mails = self.prepare_emails(tx, memo, &e, Some(&t)).await?;
        if notice.is_none() && mails.is_empty() {
            return Ok(None);
        }
        Ok(Some(PreparedNotify {
            tenant,
            event: e,
            ticket: t,
            told,
            notice,
            mails,
        }))
    }

    /// The write half of an `event.notify` job, in the caller's write transaction (of
    /// the job's tenant): the in-app notifications and the queued emails.
    pub(crate) async fn record_notify(
        &self,
        tx: &impl ConnectionTrait,
        p: &PreparedNotify,
    ) -> Result<()> {
        self.record_notifies(tx, [p]).await
    }

    /// Records the notices and emails of several prepared jobs of one tenant: three
    /// multi-row statements for the batch (notices, messages, send jobs) instead of
    /// a few per job.
    pub(crate) async fn record_notifies<'p>(
        &self,
        tx: &impl ConnectionTrait,
        batch: impl IntoIterator<Item = &'p PreparedNotify>,
    ) -> Result<()> {
        let mut notices = Vec::new();
        let mut emails = crate::mail::EmailRows::default();
        for p in batch {
            if let Some((kind, title)) = &p.notice {
                let n = Notice {
                    kind,
                    ticket: Some(&p.ticket),
                    title: title.clone(),
                    body: p.ticket.subject.clone(),
                };
                self.notice_rows(p.tenant, &p.told, &n, &mut notices);
            }
            self.email_rows(&p.event, &p.mails, &mut emails)?;
        }
        repo::insert_all(tx, &notices).await?;
        emails.insert(tx, self.clock.now()).await?;
        Ok(())
    }
}
