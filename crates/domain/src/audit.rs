//! The audit log's hash chain.
//!
//! Every entry of a tenant carries `prev_hash` (the `hash` of the tenant's previous entry,
//! or [`GENESIS_HASH`] for the first) and its own `hash`: SHA-256 over a canonical JSON
//! array of all its fields. Changing, removing or reordering any entry breaks the chain at
//! that entry, which [`verify_chain`] reports.

use chrono::{DateTime, SecondsFormat, Utc};
use sha2::{Digest, Sha256};

/// `prev_hash` of a tenant's first entry.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit entry as stored. `before`/`after` hold canonical JSON text (or nothing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub tenant_id: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<String>,
    pub actor_label: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub before: Option<String>,
    pub after: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditEntry {
    /// The hash this entry must carry, computed from all other fields.
    pub fn compute_hash(&self) -> String {
        let fields = serde_json::json!([
            self.prev_hash,
            self.tenant_id,
            self.seq,
            self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            self.actor_id,
            self.actor_label,
            self.action,
            self.target_type,
            self.target_id,
            self.before,
            self.after,
            self.request_id,
        ]);
        hex::encode(Sha256::digest(fields.to_string().as_bytes()))
    }
}

/// Why the chain is broken at an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BrokenLink {
    /// The entry's stored hash does not match its contents: it was altered.
    HashMismatch { seq: i64 },
    /// The entry does not point at the previous entry's hash: an entry was removed,
    /// inserted or reordered before it.
    PrevHashMismatch { seq: i64 },
    /// Sequence numbers are not consecutive from 1: an entry is missing.
    SequenceGap { expected: i64, found: i64 },
}

impl std::fmt::Display for BrokenLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BrokenLink::HashMismatch { seq } => {
                write!(f, "entry {seq}: contents do not match its hash (altered)")
            }
            BrokenLink::PrevHashMismatch { seq } => write!(
                f,
                "entry {seq}: does not link to the previous entry (entries removed or reordered)"
            ),
            BrokenLink::SequenceGap { expected, found } => {
                write!(
                    f,
                    "entry {expected} is missing (next entry found is {found})"
                )
            }
        }
    }
}

/// The end of an intact chain: how many entries, and the last entry's hash. Recording the
/// head elsewhere (a ticket, a log archive) also makes truncation of the newest entries
/// detectable, which the chain alone cannot show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainHead {
    pub entries: u64,
    pub head_hash: String,
}

/// Walks entries in `seq` order and returns the chain's head, or the first broken link.
pub fn verify_chain<I>(entries: I) -> Result<ChainHead, BrokenLink>
where
    I: IntoIterator<Item = AuditEntry>,
{
    let mut prev = GENESIS_HASH.to_string();
    let mut checked = 0;
    for (expected_seq, e) in (1..).zip(entries) {
        if e.seq != expected_seq {
            return Err(BrokenLink::SequenceGap {
                expected: expected_seq,
                found: e.seq,
            });
        }
        if e.prev_hash != prev {
            return Err(BrokenLink::PrevHashMismatch { seq: e.seq });
        }
        if e.compute_hash() != e.hash {
            return Err(BrokenLink::HashMismatch { seq: e.seq });
        }
        prev = e.hash;
        checked += 1;
    }
    Ok(ChainHead {
        entries: checked,
        head_hash: prev,
    })
}

/// Canonical JSON text for `before`/`after`: object keys sorted at every level, so the
/// same value always gives the same text whatever map order produced it.
pub fn canonical_json(value: &serde_json::Value) -> String {
    fn sort(v: &serde_json::Value) -> serde_json::Value {
        match v {
            serde_json::Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for k in keys {
                    if let Some(x) = m.get(k) {
                        out.insert(k.clone(), sort(x));
                    }
                }
                serde_json::Value::Object(out)
            }
            serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn chain(n: i64) -> Vec<AuditEntry> {
        let mut prev = GENESIS_HASH.to_string();
        (1..=n)
            .map(|seq| {
                let mut e = AuditEntry {
                    tenant_id: "t".into(),
                    seq,
                    at: Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, seq as u32).unwrap(),
                    actor_id: Some("u".into()),
                    actor_label: "ada@example.com".into(),
                    action: "member.add".into(),
                    target_type: "user".into(),
                    target_id: format!("{seq}"),
                    before: None,
                    after: Some(canonical_json(&serde_json::json!({"role": "agent"}))),
                    request_id: None,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                e.hash = e.compute_hash();
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    #[test]
    fn intact_chain_verifies() {
        let c = chain(5);
        let last = c[4].hash.clone();
        assert_eq!(
            verify_chain(c),
            Ok(ChainHead {
                entries: 5,
                head_hash: last
            })
        );
        assert_eq!(verify_chain(Vec::new()).unwrap().entries, 0);
    }

    #[test]
    fn altered_entry_is_reported() {
        let mut c = chain(5);
        c[2].action = "member.remove".into();
        assert_eq!(verify_chain(c), Err(BrokenLink::HashMismatch { seq: 3 }));
    }

    #[test]
    fn altered_entry_with_recomputed_hash_breaks_the_next_link() {
        let mut c = chain(5);
        c[2].after = Some("{\"role\":\"admin\"}".into());
        c[2].hash = c[2].compute_hash();
        assert_eq!(
            verify_chain(c),
            Err(BrokenLink::PrevHashMismatch { seq: 4 })
        );
    }

    #[test]
    fn removed_entry_is_reported() {
        let mut c = chain(5);
        c.remove(1);
        assert_eq!(
            verify_chain(c),
            Err(BrokenLink::SequenceGap {
                expected: 2,
                found: 3
            })
        );
    }

    #[test]
    fn canonical_json_sorts_keys() {
        let a: serde_json::Value = serde_json::from_str(r#"{"b":1,"a":{"d":2,"c":3}}"#).unwrap();
        assert_eq!(canonical_json(&a), r#"{"a":{"c":3,"d":2},"b":1}"#);
    }
}
