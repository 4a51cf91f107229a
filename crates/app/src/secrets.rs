//! Secrets kept in the database (a tenant's IMAP password, its inbound HMAC secret) are
//! sealed with XChaCha20-Poly1305 under a key derived (HKDF-SHA256) from the node's
//! signing key, so a copy of the database alone does not reveal them.
//!
//! A sealed value reads `v1.<base64url(nonce ‖ ciphertext)>`. The tenant and the purpose
//! are bound in as associated data: a value copied to another tenant's row, or from one
//! field to another, does not open.

use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

use catalyst_domain::TenantId;

const PREFIX: &str = "v1.";
const NONCE_LEN: usize = 24;

/// What a sealed value is for (part of the associated data).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    ImapPassword,
    InboundHmac,
}

impl Purpose {
    fn label(self) -> &'static str {
        match self {
            Purpose::ImapPassword => "imap-password",
            Purpose::InboundHmac => "inbound-hmac",
        }
    }
}

/// A sealed value could not be opened: it was written under another signing key, or it
/// was changed.
#[derive(Debug, thiserror::Error)]
#[error("a stored secret cannot be decrypted (was the signing key changed?); enter it again")]
pub struct OpenError;

/// Seals and opens secrets stored in the database.
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Sealer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer keyed from the signing key (any length; several nodes must share it).
    pub fn from_signing_key(signing_key: &[u8]) -> Self {
        let hk = Hkdf::<Sha256>::new(Some(b"catalyst/secrets"), signing_key);
        let mut key = [0u8; 32];
        // 32 bytes is far below HKDF-SHA256's 8,160-byte limit.
        if hk.expand(b"database secrets v1", &mut key).is_err() {
            key = rand::random();
        }
        Self {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// A sealer with a random key: secrets do not survive a restart. For tests and for
    /// an [`crate::App`] built without a signing key.
    pub fn ephemeral() -> Self {
        Self::from_signing_key(&rand::random::<[u8; 32]>())
    }

    fn aad(tenant: TenantId, purpose: Purpose) -> Vec<u8> {
        format!("{}:{}", purpose.label(), tenant.0).into_bytes()
    }

    /// Seals `plain` for `tenant` and `purpose`.
    pub fn seal(&self, tenant: TenantId, purpose: Purpose, plain: &str) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let aad = Self::aad(tenant, purpose);
        let sealed = self.cipher.encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plain.as_bytes(),
                aad: &aad,
            },
        );
        let mut out = nonce.to_vec();
        // Encryption fails only for messages beyond 256 GiB.
        out.extend(sealed.unwrap_or_default());
        format!(
            "{PREFIX}{}",
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(out)
        )
    }

    /// Opens a value sealed by [`Sealer::seal`] with the same key, tenant and purpose.
    pub fn open(
        &self,
        tenant: TenantId,
        purpose: Purpose,
        sealed: &str,
    ) -> Result<String, OpenError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| {
                base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .decode(b)
                    .ok()
            })
            .filter(|r| r.len() > NONCE_LEN)
            .ok_or(OpenError)?;
        let (nonce, body) = raw.split_at(NONCE_LEN);
        let aad = Self::aad(tenant, purpose);
        let plain = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: body,
                    aad: &aad,
                },
            )
            .map_err(|_| OpenError)?;
        String::from_utf8(plain).map_err(|_| OpenError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn tenant() -> TenantId {
        TenantId(Uuid::now_v7())
    }

    #[test]
    fn round_trip_and_fresh_nonce() {
        let s = Sealer::from_signing_key(b"0123456789abcdef0123456789abcdef");
        let t = tenant();
        let a = s.seal(t, Purpose::ImapPassword, "p@ss wörd");
        let b = s.seal(t, Purpose::ImapPassword, "p@ss wörd");
        assert_ne!(a, b, "each seal uses a new nonce");
        assert!(!a.contains("p@ss"));
        assert_eq!(s.open(t, Purpose::ImapPassword, &a).unwrap(), "p@ss wörd");
        assert_eq!(s.open(t, Purpose::ImapPassword, &b).unwrap(), "p@ss wörd");
    }

    #[test]
    fn bound_to_key_tenant_and_purpose() {
        let s = Sealer::from_signing_key(b"0123456789abcdef0123456789abcdef");
        let t = tenant();
        let sealed = s.seal(t, Purpose::ImapPassword, "secret");
        let other_key = Sealer::from_signing_key(b"fedcba9876543210fedcba9876543210");
        assert!(other_key.open(t, Purpose::ImapPassword, &sealed).is_err());
        assert!(s.open(tenant(), Purpose::ImapPassword, &sealed).is_err());
        assert!(s.open(t, Purpose::InboundHmac, &sealed).is_err());
    }

    #[test]
    fn tampering_and_garbage_are_refused() {
        let s = Sealer::ephemeral();
        let t = tenant();
        let sealed = s.seal(t, Purpose::InboundHmac, "secret");
        let mut bytes = sealed.clone().into_bytes();
        let last = bytes.len() - 1;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(bytes).unwrap();
        assert!(s.open(t, Purpose::InboundHmac, &tampered).is_err());
        for junk in ["", "v1.", "v1.!!!", "secret", "v2.AAAA"] {
            assert!(s.open(t, Purpose::InboundHmac, junk).is_err(), "{junk}");
        }
    }
}
