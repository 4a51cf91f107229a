//! The demo tenant for `catalyst serve --demo`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::members::NewMember;
use catalyst_domain::Email;

use crate::{Actor, App, AppError, Result, SystemActor};

pub const DEMO_SLUG: &str = "demo";

/// kind, subject, description, impact, urgency, queue index, agent reply, internal note,
/// final status.
type DemoTicket = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    usize,
    Option<&'static str>,
    Option<&'static str>,
    &'static str,
);

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
        let fresh = match self.create_tenant(&by, DEMO_SLUG, "Demo Company").await {
            Ok(_) => true,
            Err(AppError::Conflict(_)) => false,
            Err(e) => return Err(e),
        };
        let mut created = Vec::new();
        let mut ids = Vec::new();
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
                Ok(a) if a.created_account => {
                    ids.push((role, a.user_id, email, name));
                    created.push(DemoAccount {
                        email: email.to_string(),
                        role,
                        password,
                    })
                }
                Ok(_) | Err(AppError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        if fresh && ids.len() == 3 {
            let tenant = self.tenant_by_slug(DEMO_SLUG).await?;
            let actor = |i: usize| {
                let (role, id, email, name) = ids[i];
                Ok::<_, AppError>(Actor {
                    user_id: id,
                    email: Email::parse(email)?,
                    name: name.to_string(),
                    tenant: tenant.clone(),
                    role: role
                        .parse()
                        .map_err(|e: catalyst_domain::role::UnknownRole| {
                            AppError::Internal(e.to_string())
                        })?,
                    request_id: None,
                })
            };
            self.seed_demo_sla(&actor(0)?).await?;
            self.seed_demo_tickets(&actor(0)?, &actor(1)?, &actor(2)?)
                .await?;
            self.seed_demo_kb(&actor(0)?, &actor(1)?).await?;
        }
        Ok(created)
    }

    /// A business-hours calendar and the P1–P4 SLA policies (P1 runs around the clock).
    pub async fn seed_demo_sla(&self, admin: &Actor) -> Result<()> {
        use catalyst_domain::calendar::{CalendarSpec, Holiday, OpeningInterval};
        use chrono::{NaiveDate, NaiveTime, Weekday};
        let eight = NaiveTime::from_hms_opt(8, 0, 0).unwrap_or(NaiveTime::MIN);
        let six = NaiveTime::from_hms_opt(18, 0, 0).unwrap_or(NaiveTime::MIN);
        let intervals = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
        ]
        .into_iter()
        .map(|d| OpeningInterval::from_times(d, eight, six))
        .collect();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let mut holidays = Vec::new();
        for y in [2026, 2027] {
            holidays.push(Holiday::day("New Year's Day", day(y, 1, 1)));
            holidays.push(Holiday::range("Christmas", day(y, 12, 24), day(y, 12, 26)));
            holidays.push(Holiday::day("New Year's Eve", day(y, 12, 31)));
        }
        let cal = self
            .save_calendar(
                admin,
                None,
                "Business hours",
                CalendarSpec {
                    zone: "Europe/London".into(),
                    intervals,
                    holidays,
                },
            )
            .await?;
        for (i, (name, prio, response, resolution, calendar)) in [
            ("P1 – Critical", "P1", 15, 240, None),
            ("P2 – High", "P2", 60, 480, Some(cal.id)),
            ("P3 – Moderate", "P3", 240, 1440, Some(cal.id)),
            ("P4 – Low", "P4", 480, 3000, Some(cal.id)),
        ]
        .into_iter()
        .enumerate()
        {
            self.save_sla_policy(
                admin,
                None,
                crate::sla::PolicyInput {
                    name: name.into(),
                    position: i32::try_from(i).unwrap_or(0) * 10,
                    priorities: vec![prio.into()],
                    calendar_id: calendar,
                    first_response_minutes: Some(response),
                    resolution_minutes: Some(resolution),
                    enabled: true,
                    ..Default::default()
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Queues and a realistic set of tickets with conversations.
    async fn seed_demo_tickets(
        &self,
        admin: &Actor,
        agent: &Actor,
        requester: &Actor,
    ) -> Result<()> {
        let mut queues = Vec::new();
        for (name, desc) in [
            (
                "Service Desk",
                "First line: everything that is not clearly for another team",
            ),
            ("Network", "VPN, Wi-Fi, firewall and connectivity"),
            ("Facilities", "Desks, rooms, printers and building access"),
            ("Access", "Accounts, passwords, permissions and MFA"),
        ] {
            queues.push(self.create_queue(admin, name, desc).await?.id);
        }
        let tickets: [DemoTicket; 20] = [
            (
                "incident",
                "VPN disconnects every few minutes",
                "Since this morning the VPN drops roughly every 5 minutes when working from home.",
                "medium",
                "high",
                1,
                Some(
                    "Thanks — which VPN client version do you have? You can see it under Help → About.",
                ),
                Some("Likely the MTU issue from last week's gateway update."),
                "waiting_on_user",
            ),
            (
                "incident",
                "Cannot print to 3rd floor printer",
                "Jobs sit in the queue and never print. Other people have the same problem.",
                "medium",
                "medium",
                2,
                Some("We restarted the print spooler; please try again."),
                None,
                "resolved",
            ),
            (
                "service_request",
                "New laptop for starter on Monday",
                "Jamie Lee starts on Monday in Finance and needs a standard laptop.",
                "low",
                "medium",
                0,
                Some("Ordered; it will be ready on Friday."),
                Some("Asset tag AT-20431 reserved."),
                "in_progress",
            ),
            (
                "incident",
                "Outlook keeps asking for my password",
                "Every time I open Outlook it asks for my password again.",
                "low",
                "medium",
                3,
                None,
                None,
                "new",
            ),
            (
                "service_request",
                "Access to the Sales shared drive",
                "I moved to the Sales team and need read/write access to S:\\Sales.",
                "low",
                "low",
                3,
                Some("Access granted — sign out and in again to see the drive."),
                None,
                "resolved",
            ),
            (
                "incident",
                "Wi-Fi in meeting room B is very slow",
                "Video calls freeze in room B; other rooms are fine.",
                "medium",
                "medium",
                1,
                None,
                Some("Access point B-2 shows high retry rates."),
                "open",
            ),
            (
                "incident",
                "Website checkout returns error 500",
                "Customers report errors when paying. Started 10 minutes ago.",
                "high",
                "high",
                0,
                Some("We are on it — the payment gateway certificate expired; renewing now."),
                Some("Cert renewal in progress, ETA 15 min."),
                "in_progress",
            ),
            (
                "service_request",
                "Install Visio",
                "I need Visio for process diagrams.",
                "low",
                "low",
                0,
                None,
                None,
                "new",
            ),
            (
                "incident",
                "MFA codes not arriving by SMS",
                "I don't receive the SMS code when signing in.",
                "medium",
                "high",
                3,
                Some(
                    "Please switch to the authenticator app; SMS delivery is delayed by the provider.",
                ),
                None,
                "open",
            ),
            (
                "incident",
                "Keyboard not working after spill",
                "Spilled coffee on my keyboard, several keys dead.",
                "low",
                "medium",
                2,
                Some("A replacement is on your desk."),
                None,
                "closed",
            ),
            (
                "service_request",
                "Parking permit for visitor",
                "Visitor from Acme on Thursday needs a parking permit.",
                "low",
                "medium",
                2,
                None,
                None,
                "new",
            ),
            (
                "incident",
                "Shared calendar not syncing on phone",
                "The team calendar does not show on my phone.",
                "low",
                "low",
                0,
                None,
                None,
                "open",
            ),
            (
                "incident",
                "File server very slow",
                "Opening files on the file server takes minutes.",
                "high",
                "medium",
                1,
                None,
                Some("Storage array latency alarms since 09:12."),
                "in_progress",
            ),
            (
                "service_request",
                "Reset password for the ERP account",
                "I am locked out of the ERP system.",
                "medium",
                "high",
                3,
                Some("Your temporary password is in your inbox; you'll be asked to change it."),
                None,
                "resolved",
            ),
            (
                "incident",
                "Monitor flickers",
                "My second screen flickers every few seconds.",
                "low",
                "low",
                2,
                None,
                None,
                "new",
            ),
            (
                "incident",
                "Cannot join Teams meetings from browser",
                "Joining from Chrome fails with a blank screen.",
                "medium",
                "medium",
                0,
                Some("Could you clear the browser cache and try once more?"),
                None,
                "waiting_on_user",
            ),
            (
                "service_request",
                "Request a second monitor",
                "Working with large spreadsheets, a second monitor would help.",
                "low",
                "low",
                2,
                None,
                None,
                "new",
            ),
            (
                "incident",
                "Phishing email received",
                "Got an email asking me to confirm my salary details via a link.",
                "medium",
                "high",
                0,
                Some("Thanks for reporting — it's phishing; we blocked the sender."),
                Some("Added sender domain to the block list."),
                "resolved",
            ),
            (
                "service_request",
                "VPN access for contractor",
                "Contractor Pat Kim needs VPN access for 3 months.",
                "low",
                "medium",
                3,
                None,
                None,
                "open",
            ),
            (
                "incident",
                "Laptop battery drains in an hour",
                "Battery drops from 100% to 0 in about an hour.",
                "low",
                "medium",
                0,
                None,
                None,
                "new",
            ),
        ];
        for (kind, subject, desc, impact, urgency, q, reply, note, status) in tickets {
            let (t, _) = self
                .create_ticket(
                    requester,
                    crate::tickets::NewTicket {
                        kind: Some(kind.into()),
                        subject: subject.into(),
                        description: desc.into(),
                        impact: Some(impact.into()),
                        urgency: Some(urgency.into()),
                        ..Default::default()
                    },
                    None,
                )
                .await?;
            let mut version = t.version;
            if status != "new" {
                let v = self
                    .update_ticket(
                        agent,
                        t.id,
                        version,
                        crate::tickets::TicketPatch {
                            queue_id: Some(Some(queues[q])),
                            assignee_id: Some(Some(agent.user_id.0)),
                            ..Default::default()
                        },
                    )
                    .await?;
                version = v.version;
            }
            if let Some(r) = reply {
                self.add_comment(agent, t.id, r, false, None).await?;
                version += 1;
            }
            if let Some(n) = note {
                self.add_comment(agent, t.id, n, true, None).await?;
                version += 1;
            }
            let path: &[&str] = match status {
                "in_progress" => &["in_progress"],
                "waiting_on_user" => &["waiting_on_user"],
                "resolved" => &["resolved"],
                "closed" => &["resolved", "closed"],
                "open" if reply.is_none() && note.is_none() => &["open"],
                _ => &[],
            };
            for s in path {
                let v = self
                    .update_ticket(
                        agent,
                        t.id,
                        version,
                        crate::tickets::TicketPatch {
                            status: Some((*s).into()),
                            ..Default::default()
                        },
                    )
                    .await?;
                version = v.version;
            }
        }
        Ok(())
    }
}

impl App {
    /// Creates `count` tickets in a tenant, from `requesters` requester accounts (created
    /// with random passwords if missing), round-robin over its queues. `progress` is called
    /// with the number done so far.
    pub async fn seed_tickets(
        &self,
        tenant_slug: &str,
        count: u64,
        requesters: u64,
        mut progress: impl FnMut(u64),
    ) -> Result<()> {
        let tenant = self.tenant_by_slug(tenant_slug).await?;
        let by = SystemActor {
            label: "system:seed".into(),
        };
        let mut actors = Vec::new();
        for i in 0..requesters.max(1) {
            let email = format!("seed-requester-{i}@{tenant_slug}.example");
            let password = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>());
            let added = self
                .add_member(
                    &by,
                    crate::members::NewMember {
                        tenant_slug,
                        email: &email,
                        name: Some(&format!("Seed Requester {i}")),
                        role: "requester",
                        password: Some(&password),
                    },
                )
                .await;
            let user_id = match added {
                Ok(a) => a.user_id,
                Err(AppError::Conflict(_)) => {
                    let tx = self.store.read(catalyst_store::Scope::Global).await?;
                    let e = Email::parse(&email)?;
                    catalyst_store::repo::users::by_email(&tx, &e)
                        .await?
                        .map(|u| catalyst_domain::UserId(u.id))
                        .ok_or(AppError::NotFound("user"))?
                }
                Err(e) => return Err(e),
            };
            actors.push(Actor {
                user_id,
                email: Email::parse(&email)?,
                name: format!("Seed Requester {i}"),
                tenant: tenant.clone(),
                role: catalyst_domain::Role::Requester,
                request_id: None,
            });
        }
        // An agent moves most tickets along, so lists have a realistic status mix.
        let agent_email = format!("seed-agent@{tenant_slug}.example");
        let agent_password = URL_SAFE_NO_PAD.encode(rand::random::<[u8; 15]>());
        let agent_id = match self
            .add_member(
                &by,
                crate::members::NewMember {
                    tenant_slug,
                    email: &agent_email,
                    name: Some("Seed Agent"),
                    role: "agent",
                    password: Some(&agent_password),
                },
            )
            .await
        {
            Ok(a) => a.user_id,
            Err(AppError::Conflict(_)) => {
                let tx = self.store.read(catalyst_store::Scope::Global).await?;
                catalyst_store::repo::users::by_email(&tx, &Email::parse(&agent_email)?)
                    .await?
                    .map(|u| catalyst_domain::UserId(u.id))
                    .ok_or(AppError::NotFound("user"))?
            }
            Err(e) => return Err(e),
        };
        let agent = Actor {
            user_id: agent_id,
            email: Email::parse(&agent_email)?,
            name: "Seed Agent".into(),
            tenant: tenant.clone(),
            role: catalyst_domain::Role::Agent,
            request_id: None,
        };
        let statuses = ["open", "in_progress", "resolved", "waiting_on_user"];
        let subjects = [
            "VPN disconnects",
            "Printer offline",
            "Password reset",
            "Laptop slow",
            "Wi-Fi drops",
            "Email not syncing",
            "Access to shared drive",
            "Monitor flickers",
            "Software install",
            "MFA problem",
        ];
        let levels = ["high", "medium", "low"];
        for n in 0..count {
            let i = usize::try_from(n).unwrap_or_default();
            let actor = &actors[i % actors.len()];
            let (created, _) = self
                .create_ticket(
                    actor,
                    crate::tickets::NewTicket {
                        kind: Some(
                            if n % 4 == 0 {
                                "service_request"
                            } else {
                                "incident"
                            }
                            .into(),
                        ),
                        subject: format!("{} #{n}", subjects[i % subjects.len()]),
                        description: "Seeded for load testing.".into(),
                        impact: Some(levels[i % 3].into()),
                        urgency: Some(levels[(i / 3) % 3].into()),
                        ..Default::default()
                    },
                    None,
                )
                .await?;
            if n % 5 != 0 {
                let status = statuses[i % statuses.len()];
                self.update_ticket(
                    &agent,
                    created.id,
                    created.version,
                    crate::tickets::TicketPatch {
                        status: Some(status.into()),
                        assignee_id: Some(Some(agent_id.0)),
                        ..Default::default()
                    },
                )
                .await?;
            }
            progress(n + 1);
        }
        // Seeded tickets are history, not news: nobody is notified or emailed about them.
        let tx = self
            .store
            .write(catalyst_store::Scope::Tenant(tenant.id))
            .await?;
        catalyst_store::repo::jobs::discard_pending(&tx, tenant.id, crate::notify::NOTIFY_JOB)
            .await?;
        tx.commit().await?;
        Ok(())
    }
}
