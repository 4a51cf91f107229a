//! Signing in and out, browser sessions and API tokens → [`Actor`].

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use catalyst_domain::{Email, Role, TenantId, UserId, token};
use catalyst_store::Scope;
use catalyst_store::entity::{session, user};
use catalyst_store::repo::{members, sessions, tenants, tokens, users};

use crate::audit::{Change, Who};
use crate::tenants::tenant_ref;
use crate::{Actor, App, AppError, Result, TenantRef, passwords};

/// A user's role in one tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    pub tenant: TenantRef,
    pub role: Role,
}

/// A live browser session.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Hash of the cookie value: the session's id in the store.
    pub id: String,
    pub user_id: UserId,
    pub email: Email,
    pub name: String,
    pub csrf_token: String,
    /// All tenants the user belongs to, by name.
    pub memberships: Vec<Membership>,
    /// The tenant chosen for this session, if any.
    pub active: Option<Membership>,
}

impl SessionInfo {
    /// The actor for requests made in this session, once a tenant is active.
    pub fn actor(&self, request_id: Option<String>) -> Option<Actor> {
        self.active.as_ref().map(|m| Actor {
            user_id: self.user_id,
            email: self.email.clone(),
            name: self.name.clone(),
            tenant: m.tenant.clone(),
            role: m.role,
            request_id,
        })
    }
}

/// A new session: the cookie value is only ever in the client's hands.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub cookie_value: String,
    pub session: SessionInfo,
}

fn random_token() -> String {
    URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
}

fn session_id_hash(cookie_value: &str) -> String {
    hex::encode(Sha256::digest(cookie_value.as_bytes()))
}

/// Refresh a session's expiry at most this often, so reads don't each write.
const TOUCH_EVERY: chrono::Duration = chrono::Duration::minutes(5);

impl App {
    fn session_ttl(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.session_ttl).unwrap_or(chrono::Duration::hours(12))
    }

    fn throttle_window(&self) -> chrono::Duration {
        chrono::Duration::from_std(self.settings.throttle_window)
            .unwrap_or(chrono::Duration::minutes(15))
    }

    /// Checks credentials and opens a session. Unknown account and wrong password give the
    /// same error after the same work. Repeated failures per account and per client
    /// address are throttled.
    pub async fn sign_in(
        &self,
        email: &str,
        password: &str,
        client: Option<&str>,
    ) -> Result<SignedIn> {
        let now = self.clock.now();
        let account_key = format!("account:{}", email.trim().to_lowercase());
        let client_key = client.map(|c| format!("client:{c}"));
        let limited = [
            self.throttle
                .blocked_for(&account_key, self.settings.max_failures_per_account, now),
            client_key.as_deref().and_then(|k| {
                self.throttle
                    .blocked_for(k, self.settings.max_failures_per_ip, now)
            }),
        ];
        if let Some(secs) = limited.into_iter().flatten().max() {
            tracing::warn!(account = %account_key, "sign-in throttled");
            return Err(AppError::Throttled {
                retry_after_secs: secs,
            });
        }

        let found = match Email::parse(email) {
            Ok(e) => {
                let tx = self.store.read(Scope::Global).await?;
                users::by_email(&tx, &e).await?.filter(|u| !u.disabled)
            }
            Err(_) => None,
        };
        let ok = passwords::verify(
            password,
            found.as_ref().and_then(|u| u.password_hash.clone()),
        )
        .await?;
        let Some(user) = found.filter(|_| ok) else {
            let window = self.throttle_window();
            self.throttle.record_failure(&account_key, window, now);
            if let Some(k) = &client_key {
                self.throttle.record_failure(k, window, now);
            }
            tracing::warn!(account = %account_key, "failed sign-in");
            return Err(AppError::BadCredentials);
        };
        self.throttle.clear(&account_key);

        let memberships = self.memberships(UserId(user.id)).await?;
        let active = match memberships.as_slice() {
            [only] => Some(only.clone()),
            _ => None,
        };
        let cookie_value = random_token();
        let csrf = hex::encode(rand::random::<[u8; 32]>());
        let id = session_id_hash(&cookie_value);
        let tx = self.store.write(Scope::User(UserId(user.id))).await?;
        sessions::insert(
            &tx,
            id.clone(),
            UserId(user.id),
            active.as_ref().map(|m| m.tenant.id),
            csrf.clone(),
            now,
            now + self.session_ttl(),
        )
        .await?;
        let who = Who {
            id: Some(UserId(user.id)),
            label: user.email.clone(),
            request_id: None,
        };
        for m in &memberships {
            catalyst_store::dialect::scope_transaction(
                &tx,
                Scope::TenantUser(m.tenant.id, UserId(user.id)),
            )
            .await?;
            self.record(
                &tx,
                Change {
                    tenant: m.tenant.id,
                    who: &who,
                    action: "session.sign_in",
                    target_type: "user",
                    target_id: user.id.to_string(),
                    before: None,
                    after: None,
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SignedIn {
            cookie_value,
            session: session_info(id, &user, csrf, memberships, active)?,
        })
    }

    /// The user's memberships, by tenant name.
    pub(crate) async fn memberships(&self, user: UserId) -> Result<Vec<Membership>> {
        let tx = self.store.read(Scope::User(user)).await?;
        let ms = members::list_for_user(&tx, user).await?;
        let ids: Vec<TenantId> = ms.iter().map(|m| TenantId(m.tenant_id)).collect();
        let ts = tenants::by_ids(&tx, &ids).await?;
        let mut out = Vec::new();
        for t in ts {
            if let Some(m) = ms.iter().find(|m| m.tenant_id == t.id) {
                let role = m
                    .role
                    .parse()
                    .map_err(|e| AppError::Internal(format!("{e}")))?;
                out.push(Membership {
                    tenant: tenant_ref(&t),
                    role,
                });
            }
        }
        Ok(out)
    }

    /// The live session for a cookie value, if any; slides its expiry.
    pub async fn session(&self, cookie_value: &str) -> Result<Option<SessionInfo>> {
        let now = self.clock.now();
        let id = session_id_hash(cookie_value);
        let (s, user) = {
            let tx = self.store.read(Scope::Global).await?;
            let Some(s) = sessions::get_live(&tx, &id, now).await? else {
                return Ok(None);
            };
            let Some(user) = users::by_id(&tx, UserId(s.user_id))
                .await?
                .filter(|u| !u.disabled)
            else {
                return Ok(None);
            };
            (s, user)
        };
        let memberships = self.memberships(UserId(user.id)).await?;
        let active = s
            .active_tenant_id
            .and_then(|t| memberships.iter().find(|m| m.tenant.id.0 == t).cloned());
        let csrf = s.csrf_token.clone();
        if now - s.last_seen_at >= TOUCH_EVERY {
            let tx = self.store.write(Scope::Global).await?;
            sessions::touch(&tx, s, now, now + self.session_ttl()).await?;
            tx.commit().await?;
        }
        Ok(Some(session_info(id, &user, csrf, memberships, active)?))
    }

    /// Makes one of the user's tenants the session's active tenant. A tenant the user does
    /// not belong to is "not found".
    pub async fn switch_tenant(&self, s: &SessionInfo, tenant: TenantId) -> Result<Membership> {
        let m = s
            .memberships
            .iter()
            .find(|m| m.tenant.id == tenant)
            .cloned()
            .ok_or(AppError::NotFound("tenant"))?;
        let tx = self.store.write(Scope::Global).await?;
        let row: Option<session::Model> = sessions::get_live(&tx, &s.id, self.clock.now()).await?;
        let row = row.ok_or(AppError::Unauthenticated)?;
        sessions::set_active_tenant(&tx, row, tenant).await?;
        tx.commit().await?;
        Ok(m)
    }

    /// Ends the session of this cookie value (if it exists).
    pub async fn sign_out(&self, cookie_value: &str) -> Result<()> {
        let tx = self.store.write(Scope::Global).await?;
        sessions::delete(&tx, &session_id_hash(cookie_value)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn purge_expired_sessions(&self) -> Result<u64> {
        let tx = self.store.write(Scope::Global).await?;
        let n = sessions::delete_expired(&tx, self.clock.now()).await?;
        tx.commit().await?;
        Ok(n)
    }

    /// The actor for an API token (`Authorization: Bearer …`). Unknown, revoked and
    /// malformed tokens, and tokens of users no longer in the tenant, are all
    /// `Unauthenticated`.
    pub async fn authenticate_token(
        &self,
        bearer: &str,
        request_id: Option<String>,
    ) -> Result<Actor> {
        let tenant_id = token::parse_tenant(bearer).ok_or(AppError::Unauthenticated)?;
        let hash = token::hash_token(bearer);
        let now = self.clock.now();
        if let Some(mut actor) = self.token_cache.get(&hash, now) {
            actor.request_id = request_id;
            return Ok(actor);
        }
        let tx = self.store.read(Scope::Tenant(tenant_id)).await?;
        let t = tokens::find_active(&tx, tenant_id, &hash)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let user_id = UserId(t.user_id);
        let member = members::get(&tx, tenant_id, user_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        let user = users::by_id(&tx, user_id)
            .await?
            .filter(|u| !u.disabled)
            .ok_or(AppError::Unauthenticated)?;
        let tenant = tenants::by_id(&tx, tenant_id)
            .await?
            .ok_or(AppError::Unauthenticated)?;
        drop(tx);
        if t.last_used_at
            .is_none_or(|at| now - at >= chrono::Duration::minutes(1))
        {
            let tx = self.store.write(Scope::Tenant(tenant_id)).await?;
            tokens::mark_used(&tx, t, now).await?;
            tx.commit().await?;
        }
        let actor = Actor {
            user_id,
            email: Email::parse(&user.email)?,
            name: user.name,
            tenant: tenant_ref(&tenant),
            role: member
                .role
                .parse()
                .map_err(|e| AppError::Internal(format!("{e}")))?,
            request_id,
        };
        self.token_cache.put(hash, actor.clone(), now);
        Ok(actor)
    }
}

fn session_info(
    id: String,
    user: &user::Model,
    csrf_token: String,
    memberships: Vec<Membership>,
    active: Option<Membership>,
) -> Result<SessionInfo> {
    Ok(SessionInfo {
        id,
        user_id: UserId(user.id),
        email: Email::parse(&user.email)?,
        name: user.name.clone(),
        csrf_token,
        memberships,
        active,
    })
}

/// Recently authenticated API tokens, so that a busy client does not cost four queries per
/// request. Entries live [`TOKEN_CACHE_TTL`]: a token revoked on another node (or by the
/// command line) stops working within that time; revoking through this process takes
/// effect at once.
#[derive(Debug, Default)]
pub(crate) struct TokenCache {
    entries:
        std::sync::Mutex<std::collections::HashMap<String, (Actor, chrono::DateTime<chrono::Utc>)>>,
}

/// How long an authenticated token is trusted without looking at the database again.
pub const TOKEN_CACHE_TTL: chrono::Duration = chrono::Duration::seconds(10);

impl TokenCache {
    fn get(&self, hash: &str, now: chrono::DateTime<chrono::Utc>) -> Option<Actor> {
        let map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        map.get(hash)
            .filter(|(_, at)| *at <= now && now - *at < TOKEN_CACHE_TTL)
            .map(|(a, _)| a.clone())
    }

    fn put(&self, hash: String, actor: Actor, now: chrono::DateTime<chrono::Utc>) {
        let mut map = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= 10_000 {
            map.retain(|_, (_, at)| now - *at < TOKEN_CACHE_TTL);
            if map.len() >= 10_000 {
                map.clear();
            }
        }
        map.insert(hash, (actor, now));
    }

    pub(crate) fn forget(&self, hash: &str) {
        self.entries
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(hash);
    }
}
