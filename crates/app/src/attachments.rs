//! Ticket attachments: streamed into the file store, listed with the ticket, downloaded
//! through short-lived signed URLs.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::Permission;
use catalyst_store::Scope;
use catalyst_store::blob::{BlobError, BlobStore, sanitize_filename};
use catalyst_store::entity::{ticket_attachment, ticket_event};
use catalyst_store::repo::tickets as repo;

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result};

/// An attachment as listed on a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct AttachmentView {
    pub id: Uuid,
    pub ticket_id: Uuid,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
    pub is_private: bool,
    pub created_at: DateTime<Utc>,
}

impl From<ticket_attachment::Model> for AttachmentView {
    fn from(a: ticket_attachment::Model) -> Self {
        Self {
            id: a.id,
            ticket_id: a.ticket_id,
            filename: a.filename,
            content_type: a.content_type,
            size: a.size,
            sha256: a.sha256,
            is_private: a.is_private,
            created_at: a.created_at,
        }
    }
}

impl From<BlobError> for AppError {
    fn from(e: BlobError) -> Self {
        match e {
            BlobError::TooLarge { max_bytes } => AppError::TooLarge { max_bytes },
            BlobError::Forbidden { reason } => AppError::UnsupportedType(reason),
            BlobError::NotFound => AppError::NotFound("file"),
            BlobError::Expired | BlobError::BadSignature => AppError::Forbidden,
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl App {
    /// Uses `blobs` for attachments.
    pub fn with_blobs(mut self, blobs: BlobStore) -> Self {
        self.blobs = Some(blobs);
        self
    }

    pub fn blobs(&self) -> Result<&BlobStore> {
        self.blobs
            .as_ref()
            .ok_or_else(|| AppError::Internal("no file storage configured".into()))
    }

    /// Streams a file onto a ticket. Limits: `max_bytes` (413) and the executable and
    /// script types the file store refuses (415). Requesters attach to their own tickets
    /// and never privately.
    pub async fn add_attachment<S>(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        filename: &str,
        is_private: bool,
        body: S,
        max_bytes: u64,
    ) -> Result<AttachmentView>
    where
        S: futures::Stream<Item = std::result::Result<bytes::Bytes, std::io::Error>> + Send + Unpin,
    {
        self.add_attachment_via(
            actor, ticket_id, filename, is_private, body, max_bytes, false,
        )
        .await
    }

    /// `add_attachment` for callers that authorised the uploader themselves (inbound
    /// email from a participant). Size and type rules are the same.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn add_attachment_via<S>(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        filename: &str,
        is_private: bool,
        body: S,
        max_bytes: u64,
        authorized: bool,
    ) -> Result<AttachmentView>
    where
        S: futures::Stream<Item = std::result::Result<bytes::Bytes, std::io::Error>> + Send + Unpin,
    {
        let is_agent = actor.role.allows(Permission::UseAgentConsole);
        if is_private && !is_agent {
            return Err(AppError::Forbidden);
        }
        {
            let tx = self
                .store
                .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
                .await?;
            let t = self.ticket_for(&tx, actor, ticket_id, authorized).await?;
            let status: catalyst_domain::Status = t
                .status
                .parse()
                .map_err(|e: catalyst_domain::FieldError| AppError::Internal(e.to_string()))?;
            if status.is_final() {
                return Err(catalyst_domain::FieldError::new(
                    "file",
                    "closed",
                    format!("the ticket is {}", status.as_str()),
                )
                .into());
            }
        }
        let blobs = self.blobs()?;
        let id = Uuid::now_v7();
        let key = format!("{}/{}", actor.tenant.id.0.simple(), id.simple());
        let name = sanitize_filename(filename);
        let stored = blobs.put_stream(&key, &name, body, max_bytes).await?;
        let saved = self
            .save_attachment(actor, ticket_id, id, &name, is_private, &stored, authorized)
            .await;
        if saved.is_err() {
            // The row did not commit: do not leave an orphan file behind.
            if let Err(e) = blobs.delete(&key).await {
                tracing::warn!(error = %e, key, "could not remove the file of a failed attachment");
            }
        }
        saved
    }

    #[allow(clippy::too_many_arguments)]
    async fn save_attachment(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
        id: Uuid,
        name: &str,
        is_private: bool,
        stored: &catalyst_store::blob::StoredBlob,
        authorized: bool,
    ) -> Result<AttachmentView> {
        let tx = self
            .store
            .write(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        let t = self.ticket_for(&tx, actor, ticket_id, authorized).await?;
        let now = self.clock.now();
        let a = repo::insert_attachment(
            &tx,
            ticket_attachment::Model {
                id,
                tenant_id: actor.tenant.id.0,
                ticket_id,
                uploaded_by: actor.user_id.0,
                is_private,
                filename: name.to_string(),
                content_type: stored.content_type.clone(),
                size: i64::try_from(stored.size).unwrap_or(i64::MAX),
                sha256: stored.sha256.clone(),
                storage_key: stored.key.clone(),
                created_at: now,
            },
        )
        .await?;
        let who = Who::from(actor);
        repo::insert_event(
            &tx,
            ticket_event::Model {
                id: Uuid::now_v7(),
                tenant_id: t.tenant_id,
                ticket_id,
                at: now,
                actor_id: Some(actor.user_id.0),
                actor_label: who.label.clone(),
                field: "attachment".into(),
                old_value: None,
                new_value: Some(a.filename.clone()),
                reason: None,
                is_private,
            },
        )
        .await?;
        self.record(
            &tx,
            Change {
                tenant: actor.tenant.id,
                who: &who,
                action: "ticket.attachment_added",
                target_type: "ticket",
                target_id: ticket_id.to_string(),
                before: None,
                after: Some(json!({"attachmentId": a.id, "filename": a.filename, "size": a.size, "sha256": a.sha256, "isPrivate": is_private})),
            },
        )
        .await?;
        self.commit(tx).await?;
        Ok(a.into())
    }

    async fn ticket_for(
        &self,
        db: &impl catalyst_store::sea_orm::ConnectionTrait,
        actor: &Actor,
        ticket_id: Uuid,
        authorized: bool,
    ) -> Result<catalyst_store::entity::ticket::Model> {
        if authorized {
            repo::get(db, actor.tenant.id, ticket_id)
                .await?
                .ok_or(AppError::NotFound("ticket"))
        } else {
            self.visible_ticket(db, actor, ticket_id).await
        }
    }

    /// Attachments of a ticket the actor may see; requesters do not get private ones.
    pub async fn list_attachments(
        &self,
        actor: &Actor,
        ticket_id: Uuid,
    ) -> Result<Vec<AttachmentView>> {
        let tx = self
            .store
            .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
            .await?;
        self.visible_ticket(&tx, actor, ticket_id).await?;
        let include_private = actor.role.allows(Permission::UseAgentConsole);
        Ok(
            repo::attachments(&tx, actor.tenant.id, ticket_id, include_private)
                .await?
                .into_iter()
                .map(Into::into)
                .collect(),
        )
    }

    /// A short-lived download URL for an attachment the actor may see. Attachments of
    /// other tenants, of other requesters' tickets and private ones (for requesters) are
    /// all "not found".
    pub async fn attachment_url(
        &self,
        actor: &Actor,
        id: Uuid,
        base_url: &str,
        ttl: std::time::Duration,
    ) -> Result<String> {
        let a = {
            let tx = self
                .store
                .read(Scope::TenantUser(actor.tenant.id, actor.user_id))
                .await?;
            let a = repo::attachment(&tx, actor.tenant.id, id)
                .await?
                .ok_or(AppError::NotFound("attachment"))?;
            self.visible_ticket(&tx, actor, a.ticket_id)
                .await
                .map_err(|_| AppError::NotFound("attachment"))?;
            if a.is_private && !actor.role.allows(Permission::UseAgentConsole) {
                return Err(AppError::NotFound("attachment"));
            }
            a
        };
        Ok(self
            .blobs()?
            .signed_url(
                base_url,
                &a.storage_key,
                &a.filename,
                &a.content_type,
                ttl,
                self.clock.now(),
            )
            .await?)
    }
}
