use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use uuid::Uuid;

use crate::entity::audit_log;
use crate::{Result, dialect};
use catalyst_domain::audit::{AuditEntry, GENESIS_HASH};
use catalyst_domain::{TenantId, UserId};

/// What a mutation records about itself.
#[derive(Debug, Clone)]
pub struct NewAudit {
    pub tenant: TenantId,
    pub actor_id: Option<UserId>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    /// Canonical JSON text (see `catalyst_domain::audit::canonical_json`).
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub at: DateTime<Utc>,
}

/// Appends an entry to the tenant's chain. Call inside the transaction of the change.
pub async fn append(db: &impl ConnectionTrait, new: NewAudit) -> Result<audit_log::Model> {
    dialect::lock_audit_chain(db, new.tenant).await?;
    let last = audit_log::Entity::find()
        .filter(audit_log::Column::TenantId.eq(new.tenant.0))
        .order_by_desc(audit_log::Column::Seq)
        .limit(1)
        .one(db)
        .await?;
    let (seq, prev_hash) = match last {
        Some(l) => (l.seq + 1, l.hash),
        None => (1, GENESIS_HASH.to_string()),
    };
    let mut entry = AuditEntry {
        tenant_id: new.tenant.to_string(),
        seq,
        // Both backends keep microseconds; the hash must cover what is stored.
        at: new.at.trunc_subsecs(6),
        actor_id: new.actor_id.map(|a| a.to_string()),
        actor_label: new.actor_label,
        action: new.action,
        target_type: new.target_type,
        target_id: new.target_id,
        before: new.before,
        after: new.after,
        request_id: new.request_id,
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    Ok(audit_log::ActiveModel {
        id: Set(Uuid::now_v7()),
        tenant_id: Set(new.tenant.0),
        seq: Set(entry.seq),
        at: Set(entry.at),
        actor_id: Set(new.actor_id.map(|a| a.0)),
        actor_label: Set(entry.actor_label),
        action: Set(entry.action),
        target_type: Set(entry.target_type),
        target_id: Set(entry.target_id),
        before: Set(entry.before),
        after: Set(entry.after),
        request_id: Set(entry.request_id),
        prev_hash: Set(entry.prev_hash),
        hash: Set(entry.hash),
    }
    .insert(db)
    .await?)
}

/// Up to `limit` entries of the tenant with `seq > after_seq`, in order.
pub async fn page(
    db: &impl ConnectionTrait,
    tenant: TenantId,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<audit_log::Model>> {
    Ok(audit_log::Entity::find()
        .filter(audit_log::Column::TenantId.eq(tenant.0))
        .filter(audit_log::Column::Seq.gt(after_seq))
        .order_by_asc(audit_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The stored row as the domain's chain entry.
pub fn to_entry(m: &audit_log::Model) -> AuditEntry {
    AuditEntry {
        tenant_id: m.tenant_id.to_string(),
        seq: m.seq,
        at: m.at,
        actor_id: m.actor_id.map(|a| a.to_string()),
        actor_label: m.actor_label.clone(),
        action: m.action.clone(),
        target_type: m.target_type.clone(),
        target_id: m.target_id.clone(),
        before: m.before.clone(),
        after: m.after.clone(),
        request_id: m.request_id.clone(),
        prev_hash: m.prev_hash.clone(),
        hash: m.hash.clone(),
    }
}
