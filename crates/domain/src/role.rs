//! Roles within a tenant and what each may do.
//!
//! | permission            | requester | agent | admin |
//! |-----------------------|:---------:|:-----:|:-----:|
//! | use the portal        | yes       | yes   | yes   |
//! | work in the console   |           | yes   | yes   |
//! | view members          |           |       | yes   |
//! | manage members        |           |       | yes   |
//! | view the audit log    |           |       | yes   |

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A member's role in one tenant. A user may hold different roles in different tenants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Requester,
    Agent,
    Admin,
}

/// Something a member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    UsePortal,
    UseAgentConsole,
    ViewMembers,
    ManageMembers,
    ViewAudit,
    /// Workflow settings: SLA policies, calendars, dead jobs.
    ManageSettings,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Requester, Role::Agent, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Requester => "requester",
            Role::Agent => "agent",
            Role::Admin => "admin",
        }
    }

    /// Whether a member holding this role has the permission.
    pub fn allows(self, permission: Permission) -> bool {
        match permission {
            Permission::UsePortal => true,
            Permission::UseAgentConsole => matches!(self, Role::Agent | Role::Admin),
            Permission::ViewMembers
            | Permission::ManageMembers
            | Permission::ViewAudit
            | Permission::ManageSettings => self == Role::Admin,
        }
    }

    /// The roles this role includes (an admin is also an agent and a requester), lowest first.
    pub fn effective_roles(self) -> Vec<Role> {
        Role::ALL.into_iter().filter(|r| *r <= self).collect()
    }

    /// The page a member lands on after signing in.
    pub fn home_path(self) -> &'static str {
        match self {
            Role::Requester => "/portal",
            Role::Agent => "/agent",
            Role::Admin => "/admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not one of `requester`, `agent`, `admin`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role {0:?}: expected requester, agent or admin")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "requester" => Ok(Role::Requester),
            "agent" => Ok(Role::Agent),
            "admin" => Ok(Role::Admin),
            other => Err(UnknownRole(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permission_table() {
        use Permission::*;
        let expect = [
            (Role::Requester, [true, false, false, false, false]),
            (Role::Agent, [true, true, false, false, false]),
            (Role::Admin, [true, true, true, true, true]),
        ];
        for (role, row) in expect {
            let got = [
                UsePortal,
                UseAgentConsole,
                ViewMembers,
                ManageMembers,
                ViewAudit,
            ]
            .map(|p| role.allows(p));
            assert_eq!(got, row, "{role}");
        }
    }

    #[test]
    fn roles_parse_and_imply() {
        for r in Role::ALL {
            assert_eq!(r.as_str().parse::<Role>().unwrap(), r);
        }
        assert!("root".parse::<Role>().is_err());
        assert!("Admin".parse::<Role>().is_err());
        assert_eq!(
            Role::Admin.effective_roles(),
            vec![Role::Requester, Role::Agent, Role::Admin]
        );
        assert_eq!(Role::Requester.effective_roles(), vec![Role::Requester]);
        assert_eq!(Role::Agent.home_path(), "/agent");
    }
}
