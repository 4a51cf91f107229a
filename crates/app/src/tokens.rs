//! API tokens: created and revoked by operators; only their hash is stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;
use uuid::Uuid;

use catalyst_domain::{Email, FieldError, UserId, token};
use catalyst_store::Scope;
use catalyst_store::repo::{members, tokens, users};

use crate::audit::{Change, Who};
use crate::{App, AppError, Result, SystemActor};

/// A token just created; `token` is shown once and never stored.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub id: Uuid,
    pub name: String,
    pub token: String,
}

fn token_label(name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 100 || n.chars().any(char::is_control) {
        return Err(
            FieldError::new("name", "format", "must be 1 to 100 printable characters").into(),
        );
    }
    Ok(n.to_string())
}

impl App {
    /// Creates an API token for a member of the tenant.
    pub async fn create_token(
        &self,
        by: &SystemActor,
        tenant_slug: &str,
        email: &str,
        name: &str,
    ) -> Result<NewToken> {
        let email = Email::parse(email)?;
        let name = token_label(name)?;
        let tenant = self.tenant_by_slug(tenant_slug).await?;
        let tx = self.store.write(Scope::Tenant(tenant.id)).await?;
        let user = users::by_email(&tx, &email)
            .await?
            .ok_or(AppError::NotFound("member"))?;
        let user_id = UserId(user.id);
        members::get(&tx, tenant.id, user_id)
            .await?
            .ok_or(AppError::NotFound("member"))?;
        let secret = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
        let text = token::format_token(tenant.id, &secret);
        let row = tokens::insert(
            &tx,
            tenant.id,
            user_id,
            &name,
            token::hash_token(&text),
            self.clock.now(),
        )
        .await?;
        self.record(
            &tx,
            Change {
                tenant: tenant.id,
                who: &Who::from(by),
                action: "token.create",
                target_type: "api_token",
                target_id: row.id.to_string(),
                before: None,
                after: Some(json!({"name": name, "user": email.as_str()})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(NewToken {
            id: row.id,
            name,
            token: text,
        })
    }

    /// Revokes a member's tokens with this name (or id). Returns how many were revoked.
    pub async fn revoke_token(
        &self,
        by: &SystemActor,
        tenant_slug: &str,
        email: &str,
        name_or_id: &str,
    ) -> Result<usize> {
        let email = Email::parse(email)?;
        let tenant = self.tenant_by_slug(tenant_slug).await?;
        let tx = self.store.write(Scope::Tenant(tenant.id)).await?;
        let user = users::by_email(&tx, &email)
            .await?
            .ok_or(AppError::NotFound("member"))?;
        let mut n = 0;
        for t in tokens::list_for_user(&tx, tenant.id, UserId(user.id)).await? {
            let matches = t.name == name_or_id.trim() || t.id.to_string() == name_or_id.trim();
            if matches && t.revoked_at.is_none() {
                let id = t.id;
                self.token_cache.forget(&t.token_hash);
                tokens::revoke(&tx, t, self.clock.now()).await?;
                self.record(
                    &tx,
                    Change {
                        tenant: tenant.id,
                        who: &Who::from(by),
                        action: "token.revoke",
                        target_type: "api_token",
                        target_id: id.to_string(),
                        before: None,
                        after: None,
                    },
                )
                .await?;
                n += 1;
            }
        }
        if n == 0 {
            return Err(AppError::NotFound("token"));
        }
        tx.commit().await?;
        Ok(n)
    }
}
