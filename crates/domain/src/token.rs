//! API token format: `cat_<tenant id, 32 hex>_<secret, 43 base64url chars>`.
//!
//! The tenant id in clear lets the server open a tenant-scoped transaction (and so
//! PostgreSQL row-level security) before it looks the token up; only the SHA-256 of the
//! whole token is stored.

use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::TenantId;

pub const PREFIX: &str = "cat_";

/// Builds the token text from its tenant and an already-encoded random secret.
pub fn format_token(tenant: TenantId, secret: &str) -> String {
    format!("{PREFIX}{}_{secret}", tenant.0.simple())
}

/// The tenant a token claims to belong to, if the token is well formed.
pub fn parse_tenant(token: &str) -> Option<TenantId> {
    let rest = token.strip_prefix(PREFIX)?;
    let (tenant, secret) = rest.split_once('_')?;
    if tenant.len() != 32 || secret.len() < 32 || secret.len() > 128 {
        return None;
    }
    if !secret
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return None;
    }
    Uuid::try_parse(tenant).ok().map(TenantId)
}

/// What is stored for a token: the hex SHA-256 of the whole token text.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_their_tenant() {
        let t = TenantId::new();
        let tok = format_token(t, &"a".repeat(43));
        assert_eq!(parse_tenant(&tok), Some(t));
        assert_eq!(hash_token(&tok).len(), 64);
        assert_ne!(hash_token(&tok), hash_token(&format!("{tok}x")));
    }

    #[test]
    fn malformed_tokens_have_no_tenant() {
        let t = TenantId::new();
        for bad in [
            String::new(),
            "cat_".into(),
            format!("xyz_{}_{}", t.0.simple(), "a".repeat(43)),
            format!("cat_{}_short", t.0.simple()),
            format!("cat_{}_{}", "z".repeat(32), "a".repeat(43)),
            format!("cat_{}_{}!", t.0.simple(), "a".repeat(43)),
        ] {
            assert_eq!(parse_tenant(&bad), None, "{bad}");
        }
    }
}
