//! Tenants: created by operators on the command line.

use serde_json::json;

use catalyst_domain::{TenantId, TenantName, TenantSlug};
use catalyst_store::Scope;
use catalyst_store::repo::tenants;

use crate::audit::{Change, Who};
use crate::{App, AppError, Result, SystemActor, TenantRef};

impl App {
    pub async fn create_tenant(
        &self,
        by: &SystemActor,
        slug: &str,
        name: &str,
    ) -> Result<TenantRef> {
        let (slug, name) = collect2(TenantSlug::parse(slug), TenantName::parse(name))?;
        let tx = self.store.write(Scope::Global).await?;
        let t = tenants::insert(&tx, &slug, &name, self.clock.now()).await?;
        let tid = TenantId(t.id);
        let r = tenant_ref(&t);
        catalyst_store::dialect::scope_transaction(&tx, Scope::Tenant(tid)).await?;
        self.record(
            &tx,
            Change {
                tenant: tid,
                who: &Who::from(by),
                action: "tenant.create",
                target_type: "tenant",
                target_id: tid.to_string(),
                before: None,
                after: Some(json!({"slug": r.slug, "name": r.name})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(r)
    }

    pub async fn list_tenants(&self) -> Result<Vec<TenantRef>> {
        let tx = self.store.read(Scope::Global).await?;
        Ok(tenants::list(&tx).await?.iter().map(tenant_ref).collect())
    }

    pub async fn tenant_by_slug(&self, slug: &str) -> Result<TenantRef> {
        let tx = self.store.read(Scope::Global).await?;
        tenants::by_slug(&tx, slug.trim())
            .await?
            .map(|t| tenant_ref(&t))
            .ok_or(AppError::NotFound("tenant"))
    }
}

pub(crate) fn tenant_ref(t: &catalyst_store::entity::tenant::Model) -> TenantRef {
    TenantRef {
        id: TenantId(t.id),
        slug: t.slug.clone(),
        name: t.name.clone(),
    }
}

/// Parses two fields, reporting both errors if both are bad.
pub(crate) fn collect2<A, B>(
    a: Result<A, catalyst_domain::FieldError>,
    b: Result<B, catalyst_domain::FieldError>,
) -> Result<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(AppError::Validation(
            [a.err(), b.err()].into_iter().flatten().collect(),
        )),
    }
}
