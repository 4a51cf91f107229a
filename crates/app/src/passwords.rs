//! Password hashing with Argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane), run on
//! the blocking pool so it never stalls the async workers.

use std::sync::OnceLock;

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::{AppError, Result};
use catalyst_domain::Password;

fn hasher() -> Argon2<'static> {
    Argon2::default()
}

/// Hashes a new password to a PHC string.
pub async fn hash(password: &Password) -> Result<String> {
    let pw = password.expose().to_string();
    tokio::task::spawn_blocking(move || {
        hasher()
            .hash_password(pw.as_bytes())
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(format!("hashing password: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(format!("hashing task: {e}")))?
}

/// Checks a password against a stored PHC string. With `None` (unknown user) it still
/// spends the same work on a dummy hash, so timing does not reveal which accounts exist.
pub async fn verify(candidate: &str, stored: Option<String>) -> Result<bool> {
    let candidate = candidate.to_string();
    tokio::task::spawn_blocking(move || {
        let (phc, real) = match stored {
            Some(s) => (s, true),
            None => (dummy_hash().to_string(), false),
        };
        let parsed = PasswordHash::new(&phc)
            .map_err(|e| AppError::Internal(format!("stored password hash is malformed: {e}")))?;
        let ok = hasher()
            .verify_password(candidate.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && real)
    })
    .await
    .map_err(|e| AppError::Internal(format!("verification task: {e}")))?
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        hasher()
            .hash_password(b"catalyst-dummy-password-for-timing")
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_and_verify() {
        let p = Password::parse("correct horse battery staple").unwrap();
        let h = hash(&p).await.unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify("correct horse battery staple", Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(!verify("wrong horse battery staple", Some(h)).await.unwrap());
        assert!(!verify("anything at all", None).await.unwrap());
    }
}
