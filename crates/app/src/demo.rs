//! The demo tenant for `catalyst serve --demo`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::members::NewMember;
use crate::{App, AppError, Result, SystemActor};

pub const DEMO_SLUG: &str = "demo";

/// Sign-in details of a demo account created just now.
#[derive(Debug, Clone)]
pub struct DemoAccount {
    pub email: String,
    pub role: &'static str,
    pub password: String,
}

impl App {
    /// Creates the demo tenant and its admin, agent and requester if they are missing.
    /// Returns the accounts created by this call, with freshly generated passwords (an
    /// account that already existed keeps its password and is not returned).
    pub async fn ensure_demo(&self) -> Result<Vec<DemoAccount>> {
        let by = SystemActor {
            label: "system:demo".into(),
        };
        match self.create_tenant(&by, DEMO_SLUG, "Demo Company").await {
            Ok(_) | Err(AppError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        let mut created = Vec::new();
        for (role, email, name) in [
            ("admin", "admin@demo.example", "Dana Admin"),
            ("agent", "agent@demo.example", "Alex Agent"),
            ("requester", "requester@demo.example", "Riley Requester"),
        ] {
            let password = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>());
            let m = NewMember {
                tenant_slug: DEMO_SLUG,
                email,
                name: Some(name),
                role,
                password: Some(&password),
            };
            match self.add_member(&by, m).await {
                Ok(a) if a.created_account => created.push(DemoAccount {
                    email: email.to_string(),
                    role,
                    password,
                }),
                Ok(_) | Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(created)
    }
}
