//! Writing and verifying the audit log.

use std::collections::HashMap;
use std::sync::Mutex;

use catalyst_domain::audit::{BrokenLink, ChainHead, canonical_json, verify_chain};
use catalyst_domain::{TenantId, UserId};
use catalyst_store::Scope;
use catalyst_store::repo::{audit as audit_repo, changes, events, tenants};
use catalyst_store::sea_orm::ConnectionTrait;

use crate::{Actor, App, AppError, Result, SystemActor};

/// Who did it, for the audit entry.
#[derive(Debug, Clone)]
pub(crate) struct Who {
    pub id: Option<UserId>,
    pub label: String,
    pub request_id: Option<String>,
}

impl From<&Actor> for Who {
    fn from(a: &Actor) -> Self {
        Who {
            id: Some(a.user_id),
            label: a.email.to_string(),
            request_id: a.request_id.clone(),
        }
    }
}

impl From<&SystemActor> for Who {
    fn from(a: &SystemActor) -> Self {
        Who {
            id: None,
            label: a.label.clone(),
            request_id: None,
        }
    }
}

/// The head of each tenant's audit chain as this process last wrote it, so that the next
/// entry is usually written without reading the head first (a stale guess is detected
/// by the insert and costs a read; see `audit_repo::append`).
#[derive(Default)]
pub(crate) struct AuditHeads(Mutex<HashMap<TenantId, audit_repo::Head>>);

/// Tenants whose head is remembered before the memo starts over.
const HEADS_KEPT: usize = 10_000;

impl AuditHeads {
    fn get(&self, tenant: TenantId) -> Option<audit_repo::Head> {
        self.0.lock().ok()?.get(&tenant).cloned()
    }

    fn set(&self, tenant: TenantId, head: audit_repo::Head) {
        if let Ok(mut heads) = self.0.lock() {
            if heads.len() >= HEADS_KEPT {
                heads.clear();
            }
            heads.insert(tenant, head);
        }
    }
}

/// A change to record: the audit entry and the domain event, written together.
pub(crate) struct Change<'a> {
    pub tenant: TenantId,
    pub who: &'a Who,
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl App {
    /// Appends the audit entry and the outbox event of a change (and the job that notifies
    /// people of it, for [`crate::notify::NOTIFIED_EVENTS`]), inside its transaction.
    pub(crate) async fn record(&self, db: &impl ConnectionTrait, c: Change<'_>) -> Result<()> {
        self.record_after(db, Vec::new(), c).await
    }

    /// [`App::record`], writing first the change's own new `rows` (see
    /// [`changes::row`]): on SQLite in the same command as the audit entry and event.
    pub(crate) async fn record_after(
        &self,
        db: &impl ConnectionTrait,
        rows: Vec<changes::Row>,
        c: Change<'_>,
    ) -> Result<()> {
        let now = self.clock.now();
        let known = self.audit_heads.get(c.tenant);
        let job = crate::notify::NOTIFIED_EVENTS
            .contains(&c.action)
            .then(|| self.notify_job(c.tenant, c.who.id));
        let head = changes::record_after(
            db,
            rows,
            audit_repo::NewAudit {
                tenant: c.tenant,
                actor_id: c.who.id,
                actor_label: c.who.label.clone(),
                action: c.action.to_string(),
                target_type: c.target_type.to_string(),
                target_id: c.target_id.clone(),
                before: c.before.as_ref().map(canonical_json),
                after: c.after.as_ref().map(canonical_json),
                request_id: c.who.request_id.clone(),
                at: now,
            },
            known.as_ref(),
            events::NewEvent {
                tenant: c.tenant,
                event_type: c.action,
                aggregate_type: c.target_type,
                aggregate_id: c.target_id,
                payload: c.after.unwrap_or(serde_json::Value::Null),
                at: now,
            },
            job,
        )
        .await?;
        // Kept even if this transaction is rolled back: the next append then finds the
        // guess wrong and reads the head.
        self.audit_heads.set(c.tenant, head);
        Ok(())
    }

    /// Recomputes a tenant's audit chain. `Ok(Ok(head))`: intact;
    /// `Ok(Err(link))`: the first broken link.
    pub async fn verify_audit(&self, tenant_slug: &str) -> Result<Result<ChainHead, BrokenLink>> {
        let tenant = {
            let tx = self.store.read(Scope::Global).await?;
            tenants::by_slug(&tx, tenant_slug)
                .await?
                .ok_or(AppError::NotFound("tenant"))?
        };
        let tid = TenantId(tenant.id);
        let tx = self.store.read(Scope::Tenant(tid)).await?;
        let mut entries = Vec::new();
        let mut after = 0;
        loop {
            let page = audit_repo::page(&tx, tid, after, 1000).await?;
            let Some(last) = page.last() else { break };
            after = last.seq;
            entries.extend(page.iter().map(audit_repo::to_entry));
        }
        Ok(verify_chain(entries))
    }
}
