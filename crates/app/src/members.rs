//! Tenant members: who belongs to a tenant, with which role.

use serde::Serialize;
use serde_json::json;

use catalyst_domain::{DisplayName, Email, FieldError, Password, Permission, Role, UserId};
use catalyst_store::Scope;
use catalyst_store::repo::{members, users};

use crate::audit::{Change, Who};
use crate::{Actor, App, AppError, Result, SystemActor, TenantRef, passwords};

/// A member as listed to admins.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MemberView {
    pub user_id: UserId,
    pub email: String,
    pub name: String,
    pub role: Role,
    pub joined_at: chrono::DateTime<chrono::Utc>,
}

/// What `add_member` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddedMember {
    pub tenant: TenantRef,
    pub user_id: UserId,
    /// Whether a new account was created (false: an existing account joined the tenant).
    pub created_account: bool,
}

/// Input of `add_member`.
#[derive(Debug, Clone)]
pub struct NewMember<'a> {
    pub tenant_slug: &'a str,
    pub email: &'a str,
    pub name: Option<&'a str>,
    pub role: &'a str,
    /// Required when the account does not exist yet; ignored for existing accounts.
    pub password: Option<&'a str>,
}

impl App {
    /// Adds a user to a tenant with a role, creating the account if it is new. An existing
    /// account keeps its password and name.
    pub async fn add_member(&self, by: &SystemActor, m: NewMember<'_>) -> Result<AddedMember> {
        let mut errors = Vec::new();
        let email = Email::parse(m.email).map_err(|e| errors.push(e)).ok();
        let role = m
            .role
            .parse::<Role>()
            .map_err(|e| errors.push(FieldError::new("role", "unknown", e.to_string())))
            .ok();
        let password = m
            .password
            .map(Password::parse)
            .transpose()
            .map_err(|e| errors.push(e))
            .ok()
            .flatten();
        let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
            return Err(AppError::Validation(errors));
        };
        let tenant = self.tenant_by_slug(m.tenant_slug).await?;
        let now = self.clock.now();

        let existing = {
            let tx = self.store.read(Scope::Global).await?;
            users::by_email(&tx, &email).await?
        };
        // Hash outside the transaction: it is slow on purpose.
        let new_account = match &existing {
            Some(_) => None,
            None => {
                let Some(pw) = &password else {
                    return Err(FieldError::new(
                        "password",
                        "required",
                        "a password is needed to create a new account",
                    )
                    .into());
                };
                let default_name = email
                    .as_str()
                    .split('@')
                    .next()
                    .unwrap_or_default()
                    .to_string();
                let name = DisplayName::parse(m.name.unwrap_or(&default_name))?;
                Some((name, passwords::hash(pw).await?))
            }
        };

        let tx = self.store.write(Scope::Tenant(tenant.id)).await?;
        let (user_id, created) = match (existing, new_account) {
            (Some(u), _) => (UserId(u.id), false),
            (None, Some((name, hash))) => {
                let u = users::insert(&tx, &email, &name, Some(hash), now).await?;
                (UserId(u.id), true)
            }
            (None, None) => return Err(AppError::Internal("account state".into())),
        };
        if members::get(&tx, tenant.id, user_id).await?.is_some() {
            return Err(AppError::Conflict(FieldError::new(
                "email",
                "already_member",
                format!("{email} is already a member of {}", tenant.slug),
            )));
        }
        members::insert(&tx, tenant.id, user_id, role, now).await?;
        self.record(
            &tx,
            Change {
                tenant: tenant.id,
                who: &Who::from(by),
                action: "member.add",
                target_type: "user",
                target_id: user_id.to_string(),
                before: None,
                after: Some(json!({"email": email.as_str(), "role": role, "newAccount": created})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(AddedMember {
            tenant,
            user_id,
            created_account: created,
        })
    }

    /// The members of the actor's tenant (admins only).
    pub async fn list_members(&self, actor: &Actor) -> Result<Vec<MemberView>> {
        actor.require(Permission::ViewMembers)?;
        let tx = self.store.read(Scope::Tenant(actor.tenant.id)).await?;
        let ms = members::list_for_tenant(&tx, actor.tenant.id).await?;
        let ids: Vec<UserId> = ms.iter().map(|m| UserId(m.user_id)).collect();
        let us = users::by_ids(&tx, &ids).await?;
        let mut out = Vec::with_capacity(ms.len());
        for m in ms {
            let Some(u) = us.iter().find(|u| u.id == m.user_id) else {
                continue;
            };
            out.push(MemberView {
                user_id: UserId(u.id),
                email: u.email.clone(),
                name: u.name.clone(),
                role: m
                    .role
                    .parse()
                    .map_err(|e| AppError::Internal(format!("{e}")))?,
                joined_at: m.created_at,
            });
        }
        Ok(out)
    }
}
