//! The only place with backend-specific SQL: row-level security, append-only triggers,
//! transaction scoping and advisory locks. Everything else goes through SeaORM.

use sea_orm::{ConnectionTrait, DatabaseBackend, DbErr, Statement, Value};

use catalyst_domain::{TenantId, UserId};

fn is_postgres(db: &impl ConnectionTrait) -> bool {
    db.get_database_backend() == DatabaseBackend::Postgres
}

/// PostgreSQL: enables and forces row-level security on a tenant-scoped table, with a
/// policy that admits only rows of the tenant set in `app.tenant_id` for this transaction.
/// A connection that has not set it sees no rows and can write none.
pub(crate) async fn enable_tenant_rls(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_unprepared(&format!(
        "ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
         ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
         CREATE POLICY tenant_isolation ON {table}
           USING (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid)
           WITH CHECK (tenant_id = NULLIF(current_setting('app.tenant_id', true), '')::uuid);"
    ))
    .await?;
    Ok(())
}

/// PostgreSQL: a signed-in user may read their own memberships in every tenant (to list
/// the tenants they can switch to), and nothing else of other tenants.
pub(crate) async fn allow_own_memberships(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_unprepared(
        "CREATE POLICY own_memberships ON tenant_members FOR SELECT
           USING (user_id = NULLIF(current_setting('app.user_id', true), '')::uuid);",
    )
    .await?;
    Ok(())
}

/// PostgreSQL: a transaction in the system-worker scope (`app.system = 'on'`) may read and
/// write every row of a queue table (`jobs`, `events`) across tenants. Only the job
/// workers and the outbox consumers open such transactions; tenant data itself is still
/// reached through tenant-scoped transactions.
pub(crate) async fn allow_system_workers(
    db: &impl ConnectionTrait,
    table: &str,
) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_unprepared(&format!(
        "CREATE POLICY system_workers ON {table}
           USING (current_setting('app.system', true) = 'on')
           WITH CHECK (current_setting('app.system', true) = 'on');"
    ))
    .await?;
    Ok(())
}

/// The PostgreSQL channel on which job workers are woken.
pub const JOBS_CHANNEL: &str = "catalyst_jobs";

/// PostgreSQL: wakes the job workers of every node when the transaction commits
/// (notifications are transactional and coalesced). SQLite: nothing; the app wakes its
/// in-process worker after the commit.
pub(crate) async fn notify_jobs(db: &impl ConnectionTrait) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_unprepared("SELECT pg_notify('catalyst_jobs', '')")
        .await?;
    Ok(())
}

/// Rejects UPDATE and DELETE on a table, for every role including the owner.
pub(crate) async fn make_append_only(db: &impl ConnectionTrait, table: &str) -> Result<(), DbErr> {
    let sql = if is_postgres(db) {
        format!(
            "CREATE FUNCTION {table}_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION '{table} is append-only'; END $$;
             CREATE TRIGGER {table}_no_update BEFORE UPDATE OR DELETE ON {table}
               FOR EACH ROW EXECUTE FUNCTION {table}_append_only();"
        )
    } else {
        format!(
            "CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
             CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
               BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
        )
    };
    db.execute_unprepared(&sql).await?;
    Ok(())
}

/// PostgreSQL: scopes the current transaction to a tenant and/or user for row-level
/// security (`set_config(..., true)` lasts until the transaction ends).
pub(crate) async fn set_scope(
    db: &impl ConnectionTrait,
    tenant: Option<TenantId>,
    user: Option<UserId>,
    system: bool,
) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    let t = tenant.map(|t| t.to_string()).unwrap_or_default();
    let u = user.map(|u| u.to_string()).unwrap_or_default();
    let s = if system { "on" } else { "" };
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.user_id', $2, true),
                set_config('app.system', $3, true)",
        [Value::from(t), Value::from(u), Value::from(s)],
    ))
    .await?;
    Ok(())
}

/// Re-scopes an open transaction (e.g. after creating a tenant, to write its first rows).
pub async fn scope_transaction(
    db: &impl ConnectionTrait,
    scope: crate::Scope,
) -> Result<(), DbErr> {
    let (t, u) = scope.parts();
    set_scope(db, t, u, scope == crate::Scope::System).await
}

/// Serialises appends to one tenant's audit chain until the transaction ends. SQLite has
/// a single writer connection, so appends are already serial there.
pub(crate) async fn lock_audit_chain(
    db: &impl ConnectionTrait,
    tenant: TenantId,
) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    db.execute_raw(Statement::from_sql_and_values(
        DatabaseBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 7))",
        [Value::from(format!("audit:{tenant}"))],
    ))
    .await?;
    Ok(())
}

/// Accepts a PostgreSQL role name only if it needs no quoting.
fn checked_role(role: &str) -> Result<&str, DbErr> {
    let ok = !role.is_empty()
        && role.len() <= 63
        && role.starts_with(|c: char| c.is_ascii_lowercase() || c == '_')
        && role
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if ok {
        Ok(role)
    } else {
        Err(DbErr::Custom(format!(
            "invalid role name {role:?}: use lowercase letters, digits and underscores"
        )))
    }
}

/// PostgreSQL: grants the application role what it needs and no more: data access on all
/// tables (row-level security still applies), read-only on the migrations table, and no
/// UPDATE/DELETE on the audit log.
pub async fn grant_app_role(db: &impl ConnectionTrait, role: &str) -> Result<(), DbErr> {
    if !is_postgres(db) {
        return Ok(());
    }
    let role = checked_role(role)?;
    db.execute_unprepared(&format!(
        "GRANT USAGE ON SCHEMA public TO {role};
         GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role};
         GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};
         REVOKE INSERT, UPDATE, DELETE ON seaql_migrations FROM {role};
         REVOKE UPDATE, DELETE ON audit_log FROM {role};"
    ))
    .await?;
    Ok(())
}

/// How a table stands with row-level security (PostgreSQL catalog).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RlsStatus {
    pub table: String,
    pub enabled: bool,
    pub forced: bool,
    pub policies: i64,
}

/// PostgreSQL: every table of the current schema that has a `tenant_id` column, with its
/// row-level security state. Empty on SQLite.
pub async fn tenant_tables_rls(db: &impl ConnectionTrait) -> Result<Vec<RlsStatus>, DbErr> {
    if !is_postgres(db) {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT c.relname::text AS t, c.relrowsecurity AS e, c.relforcerowsecurity AS f,
                    (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid) AS n
               FROM pg_class c
               JOIN pg_namespace ns ON ns.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
              WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'p')
              ORDER BY 1",
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(RlsStatus {
                table: r.try_get("", "t")?,
                enabled: r.try_get("", "e")?,
                forced: r.try_get("", "f")?,
                policies: r.try_get("", "n")?,
            })
        })
        .collect()
}

/// What is wrong with the connected role for row-level security to hold, if anything.
pub async fn role_weaknesses(db: &impl ConnectionTrait) -> Result<Vec<String>, DbErr> {
    if !is_postgres(db) {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    let row = db
        .query_one_raw(Statement::from_string(
            DatabaseBackend::Postgres,
            "SELECT rolsuper, rolbypassrls,
                    EXISTS (SELECT 1 FROM pg_tables WHERE tableowner = current_user
                            AND schemaname = current_schema()) AS owns
               FROM pg_roles WHERE rolname = current_user",
        ))
        .await?;
    if let Some(r) = row {
        if r.try_get::<bool>("", "rolsuper")? {
            out.push("the database role is a superuser".to_string());
        }
        if r.try_get::<bool>("", "rolbypassrls")? {
            out.push("the database role has BYPASSRLS".to_string());
        }
        if r.try_get::<bool>("", "owns")? {
            out.push("the database role owns the tables".to_string());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::checked_role;

    #[test]
    fn role_names_are_checked() {
        assert!(checked_role("catalyst_app").is_ok());
        for bad in ["", "App", "x; DROP TABLE users", "1abc", "a-b"] {
            assert!(checked_role(bad).is_err(), "{bad}");
        }
    }
}
