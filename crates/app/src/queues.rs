//! Queues (admins configure them; agents work from them) and saved filters.

use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::ticket::QueueName;
use catalyst_domain::{FieldError, Permission};
use catalyst_store::Scope;
use catalyst_store::entity::{queue, saved_filter};
use catalyst_store::repo::{queues, tickets};
use catalyst_store::sea_orm::{IntoActiveModel, Set};

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result};

/// A queue with its count of unresolved tickets.
#[derive(Debug, Clone, Serialize)]
pub struct QueueView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub archived: bool,
    pub open_count: i64,
}

/// Changes to a queue; `None` leaves a field alone.
#[derive(Debug, Clone, Default)]
pub struct QueuePatch {
    pub name: Option<String>,
    pub description: Option<String>,
    pub archived: Option<bool>,
}

/// A saved ticket-list filter.
#[derive(Debug, Clone, Serialize)]
pub struct SavedFilterView {
    pub id: Uuid,
    pub name: String,
    pub query: String,
}

fn description(d: &str) -> Result<String> {
    let d = d.trim();
    if d.chars().count() > 500 {
        return Err(FieldError::new(
            "description",
            "too_long",
            "must be at most 500 characters long",
        )
        .into());
    }
    Ok(d.to_string())
}

impl App {
    /// Queues with their open-ticket counts, plus the count of tickets in no queue.
    pub async fn list_queues(&self, actor: &Actor) -> Result<(Vec<QueueView>, i64)> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let counts = tickets::active_counts_by_queue(&tx, actor.tenant.id).await?;
        let count = |q: Option<Uuid>| {
            counts
                .iter()
                .find(|(id, _)| *id == q)
                .map(|(_, n)| *n)
                .unwrap_or(0)
        };
        let list = queues::list(&tx, actor.tenant.id)
            .await?
            .into_iter()
            .map(|q| QueueView {
                open_count: count(Some(q.id)),
                id: q.id,
                name: q.name,
                description: q.description,
                archived: q.archived,
            })
            .collect();
        Ok((list, count(None)))
    }

    pub async fn create_queue(&self, actor: &Actor, name: &str, desc: &str) -> Result<QueueView> {
        actor.require(Permission::ManageMembers)?;
        let name = QueueName::parse(name)?;
        let desc = description(desc)?;
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let q = queues::insert(
            &tx,
            queue::Model {
                id: Uuid::now_v7(),
                tenant_id: actor.tenant.id.0,
                name: name.as_str().into(),
                description: desc,
                archived: false,
                created_at: self.clock.now(),
            },
        )
        .await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "queue.created",
                target_type: "queue",
                target_id: q.id.to_string(),
                before: None,
                after: Some(json!({"name": q.name, "description": q.description})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(QueueView {
            id: q.id,
            name: q.name,
            description: q.description,
            archived: q.archived,
            open_count: 0,
        })
    }

    pub async fn update_queue(&self, actor: &Actor, id: Uuid, p: QueuePatch) -> Result<QueueView> {
        actor.require(Permission::ManageMembers)?;
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let q = queues::get(&tx, actor.tenant.id, id)
            .await?
            .ok_or(AppError::NotFound("queue"))?;
        let before = json!({"name": q.name, "description": q.description, "archived": q.archived});
        let mut am = q.clone().into_active_model();
        if let Some(n) = &p.name {
            am.name = Set(QueueName::parse(n)?.as_str().into());
        }
        if let Some(d) = &p.description {
            am.description = Set(description(d)?);
        }
        if let Some(a) = p.archived {
            am.archived = Set(a);
        }
        let q = queues::save(&tx, am).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "queue.updated",
                target_type: "queue",
                target_id: q.id.to_string(),
                before: Some(before),
                after: Some(
                    json!({"name": q.name, "description": q.description, "archived": q.archived}),
                ),
            },
        )
        .await?;
        let counts = tickets::active_counts_by_queue(&tx, actor.tenant.id).await?;
        tx.commit().await?;
        Ok(QueueView {
            open_count: counts
                .iter()
                .find(|(i, _)| *i == Some(q.id))
                .map(|(_, n)| *n)
                .unwrap_or(0),
            id: q.id,
            name: q.name,
            description: q.description,
            archived: q.archived,
        })
    }

    pub async fn saved_filters(&self, actor: &Actor) -> Result<Vec<SavedFilterView>> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(queues::saved_filters(&tx, actor.tenant.id, actor.user_id)
            .await?
            .into_iter()
            .map(|f| SavedFilterView {
                id: f.id,
                name: f.name,
                query: f.query,
            })
            .collect())
    }

    pub async fn save_filter(
        &self,
        actor: &Actor,
        name: &str,
        query: &str,
    ) -> Result<SavedFilterView> {
        actor.require(Permission::UseAgentConsole)?;
        let name = QueueName::parse(name).map_err(|e| FieldError { field: "name", ..e })?;
        if query.len() > 1000 {
            return Err(FieldError::new(
                "query",
                "too_long",
                "must be at most 1000 characters long",
            )
            .into());
        }
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        let f = queues::insert_saved_filter(
            &tx,
            saved_filter::Model {
                id: Uuid::now_v7(),
                tenant_id: actor.tenant.id.0,
                user_id: actor.user_id.0,
                name: name.as_str().into(),
                query: query.trim_start_matches('?').into(),
                created_at: self.clock.now(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(SavedFilterView {
            id: f.id,
            name: f.name,
            query: f.query,
        })
    }

    pub async fn delete_saved_filter(&self, actor: &Actor, id: Uuid) -> Result<()> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.write(Scope::Tenant(actor.tenant.id)).await?;
        if !queues::delete_saved_filter(&tx, actor.tenant.id, actor.user_id, id).await? {
            return Err(AppError::NotFound("saved filter"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Agents of the tenant (for assignment pickers).
    pub async fn list_agents(&self, actor: &Actor) -> Result<Vec<crate::tickets::UserRef>> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let ms = catalyst_store::repo::members::list_for_tenant(&tx, actor.tenant.id).await?;
        let ids: Vec<catalyst_domain::UserId> = ms
            .iter()
            .filter(|m| m.role != "requester")
            .map(|m| catalyst_domain::UserId(m.user_id))
            .collect();
        let mut out: Vec<crate::tickets::UserRef> = catalyst_store::repo::users::by_ids(&tx, &ids)
            .await?
            .into_iter()
            .map(|u| crate::tickets::UserRef {
                id: catalyst_domain::UserId(u.id),
                name: u.name,
                email: u.email,
            })
            .collect();
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

/// Ticket workflow settings of a tenant.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TicketSettings {
    /// Resolved tickets close by themselves after this many days.
    pub auto_close_days: i32,
}

impl App {
    pub async fn ticket_settings(&self, actor: &Actor) -> Result<TicketSettings> {
        actor.require(Permission::UseAgentConsole)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        Ok(TicketSettings {
            auto_close_days: queues::auto_close_days(&tx, actor.tenant.id).await?,
        })
    }

    /// Admins set how many days resolved tickets wait for the requester (1–365).
    pub async fn set_ticket_settings(
        &self,
        actor: &Actor,
        auto_close_days: i32,
    ) -> Result<TicketSettings> {
        actor.require(Permission::ManageMembers)?;
        if !(1..=365).contains(&auto_close_days) {
            return Err(
                FieldError::new("autoCloseDays", "range", "must be between 1 and 365").into(),
            );
        }
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let before = queues::auto_close_days(&tx, actor.tenant.id).await?;
        queues::set_auto_close_days(&tx, actor.tenant.id, auto_close_days).await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &Who::from(actor),
                action: "settings.tickets_updated",
                target_type: "tenant",
                target_id: actor.tenant.id.to_string(),
                before: Some(json!({"autoCloseDays": before})),
                after: Some(json!({"autoCloseDays": auto_close_days})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(TicketSettings { auto_close_days })
    }
}
