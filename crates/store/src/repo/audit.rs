use chrono::{DateTime, SubsecRound, Utc};
use sea_orm::sea_query::{Expr, InsertStatement, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    StatementBuilder, Value,
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

/// The newest entry of a tenant's chain: what the next entry links to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    pub seq: i64,
    pub hash: String,
}

/// Appends an entry to the tenant's chain and returns the new head. Call inside the
/// transaction of the change.
///
/// `known` is the head the caller expects (the one its previous append returned). The
/// entry is then written with one statement that only inserts if that head is still the
/// newest entry (it exists with that hash, and nothing follows it); otherwise, or
/// without `known`, the head is read first. A wrong guess therefore costs one statement
/// and never a broken link.
pub async fn append(
    db: &impl ConnectionTrait,
    new: NewAudit,
    known: Option<&Head>,
) -> Result<Head> {
    dialect::lock_audit_chain(db, new.tenant).await?;
    let backend = db.get_database_backend();
    if let Some(h) = known {
        let (linked, next) = after_head(&new, h)?;
        let done = db
            .execute_raw(StatementBuilder::build(&linked, &backend))
            .await?;
        if done.rows_affected() == 1 {
            return Ok(next);
        }
    }
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
    let entry = entry_after(&new, seq, prev_hash);
    let mut q = Query::insert();
    q.into_table(audit_log::Entity)
        .columns(COLUMNS)
        .values(row(&new, &entry).into_iter().map(Expr::val))?;
    db.execute_raw(StatementBuilder::build(&q, &backend))
        .await?;
    Ok(Head {
        seq: entry.seq,
        hash: entry.hash,
    })
}

/// The entry `new` as link `seq` of the chain, hashed.
fn entry_after(new: &NewAudit, seq: i64, prev_hash: String) -> AuditEntry {
    let mut entry = AuditEntry {
        tenant_id: new.tenant.to_string(),
        seq,
        // Both backends keep microseconds; the hash must cover what is stored.
        at: new.at.trunc_subsecs(6),
        actor_id: new.actor_id.map(|a| a.to_string()),
        actor_label: new.actor_label.clone(),
        action: new.action.clone(),
        target_type: new.target_type.clone(),
        target_id: new.target_id.clone(),
        before: new.before.clone(),
        after: new.after.clone(),
        request_id: new.request_id.clone(),
        prev_hash,
        hash: String::new(),
    };
    entry.hash = entry.compute_hash();
    entry
}

const COLUMNS: [audit_log::Column; 14] = [
    audit_log::Column::Id,
    audit_log::Column::TenantId,
    audit_log::Column::Seq,
    audit_log::Column::At,
    audit_log::Column::ActorId,
    audit_log::Column::ActorLabel,
    audit_log::Column::Action,
    audit_log::Column::TargetType,
    audit_log::Column::TargetId,
    audit_log::Column::Before,
    audit_log::Column::After,
    audit_log::Column::RequestId,
    audit_log::Column::PrevHash,
    audit_log::Column::Hash,
];

/// The values of `COLUMNS` for an entry.
fn row(new: &NewAudit, e: &AuditEntry) -> [Value; 14] {
    [
        Uuid::now_v7().into(),
        new.tenant.0.into(),
        e.seq.into(),
        e.at.into(),
        new.actor_id.map(|a| a.0).into(),
        e.actor_label.clone().into(),
        e.action.clone().into(),
        e.target_type.clone().into(),
        e.target_id.clone().into(),
        e.before.clone().into(),
        e.after.clone().into(),
        e.request_id.clone().into(),
        e.prev_hash.clone().into(),
        e.hash.clone().into(),
    ]
}

/// Inserts `entry` if `head` is the newest entry of the chain: the row `head` names
/// exists with its hash, and the entry's sequence number is free (the unique index on
/// tenant and sequence number; `DO NOTHING` leaves the transaction usable on both
/// backends). Inserts one row or none.
fn insert_after_head_statement(
    new: &NewAudit,
    entry: &AuditEntry,
    head: &Head,
) -> Result<InsertStatement> {
    let mut linked = Query::select();
    linked
        .expr(Expr::val(1))
        .from(audit_log::Entity)
        .and_where(audit_log::Column::TenantId.eq(new.tenant.0))
        .and_where(audit_log::Column::Seq.eq(head.seq))
        .and_where(audit_log::Column::Hash.eq(head.hash.clone()));
    let mut values = Query::select();
    values
        .exprs(row(new, entry).into_iter().map(Expr::val))
        .and_where(Expr::exists(linked));
    let mut q = Query::insert();
    q.into_table(audit_log::Entity)
        .columns(COLUMNS)
        .select_from(values)?
        .on_conflict(OnConflict::new().do_nothing().to_owned());
    Ok(q)
}

/// The entry `new` after `head`, as a statement that inserts it only if `head` is still
/// the newest entry (one row or none), and the head it would make.
pub(crate) fn after_head(new: &NewAudit, head: &Head) -> Result<(InsertStatement, Head)> {
    let entry = entry_after(new, head.seq + 1, head.hash.clone());
    let q = insert_after_head_statement(new, &entry, head)?;
    Ok((
        q,
        Head {
            seq: entry.seq,
            hash: entry.hash,
        },
    ))
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
