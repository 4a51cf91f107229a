//! The SLA pages of the web UI, in process: business calendars and SLA policies in the
//! admin area, the SLA badge, filter and sort of the agent list, the SLA panel of a
//! ticket, the notifications bell and the dead-jobs page. Time is moved by the test
//! clock and background jobs are drained directly; nothing sleeps.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Duration;

use catalyst_store::Scope;
use catalyst_store::repo::{jobs, tenants};
use common::{Answer, BOUNDARY, Part, hidden_field, multipart_body, url_encode};

// ---------- harness ----------

/// A signed-in browser: its session cookie and CSRF token.
struct Browser {
    cookie: String,
    csrf: String,
}

struct TestApp {
    inner: common::TestApp,
}

impl TestApp {
    async fn new() -> Self {
        TestApp {
            inner: common::TestApp::new().await,
        }
    }

    async fn get(&self, path: &str, b: &Browser) -> Answer {
        let r = Request::get(path)
            .header(header::ACCEPT, "text/html")
            .header(header::COOKIE, &b.cookie);
        self.inner.send(r.body(Body::empty()).unwrap()).await
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)], b: &Browser) -> Answer {
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", k, url_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let req = Request::post(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &b.cookie)
            .body(Body::from(body))
            .unwrap();
        self.inner.send(req).await
    }

    async fn post_multipart(&self, path: &str, parts: &[Part<'_>], b: &Browser) -> Answer {
        let req = Request::post(path)
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .header(header::COOKIE, &b.cookie)
            .body(Body::from(multipart_body(parts)))
            .unwrap();
        self.inner.send(req).await
    }

    /// Signs in through the form, choosing Acme Corp when the user belongs to several
    /// workspaces (agent@acme.test is also a requester in Globex).
    async fn sign_in(&self, email: &str) -> Browser {
        let cookie = self.inner.sign_in(email).await;
        let mut b = Browser {
            cookie,
            csrf: String::new(),
        };
        let home = self.get("/", &b).await;
        if home.location() == "/tenants" {
            let page = self.get("/tenants", &b).await;
            b.csrf = hidden_field(&page.body, "csrf");
            let acme = hidden_field(&page.body, "tenant");
            let a = self
                .post_form(
                    "/tenants/switch",
                    &[("csrf", &b.csrf), ("tenant", &acme)],
                    &b,
                )
                .await;
            assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        }
        let portal = self.get("/portal", &b).await;
        assert_eq!(portal.status, StatusCode::OK, "{}", portal.body);
        b.csrf = hidden_field(&portal.body, "csrf");
        b
    }

    /// Reports an incident through the portal; returns the ticket id and number.
    async fn report(&self, b: &Browser, subject: &str) -> (String, String) {
        let a = self
            .post_multipart(
                "/portal/new",
                &[
                    Part::Text("csrf", &b.csrf),
                    Part::Text("kind", "incident"),
                    Part::Text("subject", subject),
                    Part::Text("description", "It broke."),
                    Part::Text("impact", "medium"),
                    Part::Text("urgency", "medium"),
                    Part::File("file", "", b""),
                ],
                b,
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
        let id = a.location().rsplit('/').next().unwrap().to_string();
        let page = self.get(&format!("/portal/tickets/{id}"), b).await;
        let head = between(&page.body, "class=\"ticket-number\"", "</p>");
        let number = between(head, "<strong>", "</strong>").to_string();
        assert!(number.starts_with("INC-"), "{number}");
        (id, number)
    }

    /// The acme calendar form with Monday–Friday 09:00–17:00 (the rest as given).
    async fn create_calendar(&self, admin: &Browser, extra: &[(&str, &str)]) -> Answer {
        let mut form: Vec<(&str, &str)> = vec![
            ("csrf", &admin.csrf),
            ("name", "Office hours"),
            ("zone", "Europe/Berlin"),
            ("rows", "2"),
            ("action", "save"),
        ];
        for d in ["mon", "tue", "wed", "thu", "fri"] {
            let start: &'static str = Box::leak(format!("{d}1_start").into_boxed_str());
            let end: &'static str = Box::leak(format!("{d}1_end").into_boxed_str());
            form.push((start, "09:00"));
            form.push((end, "17:00"));
        }
        // What `extra` sets replaces the defaults.
        form.retain(|(k, _)| !extra.iter().any(|(x, _)| x == k));
        form.extend_from_slice(extra);
        self.post_form("/admin/sla/calendars/new", &form, admin)
            .await
    }
}

/// The text between the first `from` and the next `to`.
fn between<'a>(html: &'a str, from: &str, to: &str) -> &'a str {
    let start = html
        .find(from)
        .unwrap_or_else(|| panic!("no {from:?} in {html}"))
        + from.len();
    let rest = &html[start..];
    &rest[..rest.find(to).unwrap_or(rest.len())]
}

/// The table row of the agent list that shows ticket `number`.
fn row_of<'a>(html: &'a str, number: &str) -> &'a str {
    let at = html
        .find(&format!(">{number}</a>"))
        .unwrap_or_else(|| panic!("{number} is not listed: {html}"));
    let start = html[..at].rfind("<tr").unwrap();
    let end = at + html[at..].find("</tr>").unwrap();
    &html[start..end]
}

/// The unread count in the header's bell.
fn bell(html: &str) -> u64 {
    let count = between(html, "data-unread-count>", "<");
    count
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no count in the bell: {count:?}"))
}

/// The id at the end of a `/admin/sla/calendars/{id}?…` location.
fn calendar_id(location: &str) -> String {
    let path = location.split('?').next().unwrap();
    let id = path.rsplit('/').next().unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{location}");
    id.to_string()
}

const TWO_HOLIDAYS: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Catalyst tests//EN\r\n\
BEGIN:VEVENT\r\nUID:xmas-2026@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261225\r\nDTEND;VALUE=DATE:20261226\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nUID:boxing-2026@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20261226\r\nDTEND;VALUE=DATE:20261227\r\nSUMMARY:Boxing Day\r\nEND:VEVENT\r\n\
END:VCALENDAR\r\n";

/// Creates the calendar and a catch-all policy on it through the admin forms; returns
/// (calendar id, policy id).
async fn set_up_sla(t: &TestApp, admin: &Browser) -> (String, String) {
    let a = t.create_calendar(admin, &[]).await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let cal = calendar_id(&a.location());
    let a = t
        .post_form(
            "/admin/sla/policies/new",
            &[
                ("csrf", &admin.csrf),
                ("name", "Standard incidents"),
                ("position", "10"),
                ("kinds", "incident"),
                ("calendar", &cal),
                ("first_response", "60"),
                ("resolution", "480"),
                ("due_soon", "75"),
                ("pauses", "waiting_on_user"),
                ("enabled", "on"),
            ],
            admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/admin/sla?done=policy_saved");
    let overview = t.get("/admin/sla", admin).await;
    let policy = between(&overview.body, "href=\"/admin/sla/policies/", "\"").to_string();
    assert!(uuid::Uuid::parse_str(&policy).is_ok(), "{policy}");
    (cal, policy)
}

/// Moves the clock two hours on, running the timers on the way: past the first
/// response's due-soon point (45 minutes), then past its breach (one hour). (Each step
/// is drained on its own: after a single jump past both instants the app's timer
/// currently reschedules itself at once, again and again.)
async fn pass_deadlines(t: &TestApp) {
    t.inner.clock.advance(Duration::minutes(50));
    t.inner.app.drain_jobs().await.unwrap();
    t.inner.clock.advance(Duration::minutes(70));
    t.inner.app.drain_jobs().await.unwrap();
}

// ---------- calendars and policies ----------

#[tokio::test]
async fn admins_build_a_calendar_with_the_weekly_grid_and_see_errors_next_to_fields() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;

    // The admin hub links the new pages.
    let hub = t.get("/admin", &admin).await;
    assert!(hub.body.contains("href=\"/admin/sla\""), "{}", hub.body);
    assert!(hub.body.contains("href=\"/admin/jobs\""), "{}", hub.body);
    let form = t.get("/admin/sla/calendars/new", &admin).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"sun2_end\""), "{}", form.body);

    // Closing before opening: refused by the form, next to the field, input kept.
    let a = t
        .create_calendar(&admin, &[("mon1_start", "17:00"), ("mon1_end", "09:00")])
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"mon1-error\""), "{}", a.body);
    assert!(a.body.contains("must close after it opens"), "{}", a.body);
    assert!(a.body.contains("href=\"#mon1_start\""), "{}", a.body);
    assert!(a.body.contains("value=\"17:00\""), "{}", a.body);
    assert!(a.body.contains("value=\"Office hours\""), "{}", a.body);

    // Overlapping intervals and an unknown zone: refused by the use case, shown at the
    // grid and at the zone field.
    let a = t
        .create_calendar(
            &admin,
            &[
                ("mon1_start", "09:00"),
                ("mon1_end", "13:00"),
                ("mon2_start", "12:00"),
                ("mon2_end", "17:00"),
                ("zone", "Mars/Olympus"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"c-hours-error\""), "{}", a.body);
    assert!(a.body.contains("overlaps"), "{}", a.body);
    assert!(a.body.contains("id=\"c-zone-error\""), "{}", a.body);
    assert!(a.body.contains("value=\"12:00\""), "{}", a.body);
    let overview = t.get("/admin/sla", &admin).await;
    assert!(
        overview.body.contains("No calendars yet"),
        "{}",
        overview.body
    );

    // A good one, with a holiday row.
    let a = t
        .create_calendar(
            &admin,
            &[
                ("h0_name", "Company day"),
                ("h0_start", "2026-06-01"),
                ("sat1_start", "10:00"),
                ("sat1_end", "14:00"),
            ],
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let id = calendar_id(&a.location());
    let page = t.get(&a.location(), &admin).await;
    assert!(
        page.body.contains("The calendar was created."),
        "{}",
        page.body
    );
    // 5 × 8 h + 4 h on Saturday.
    assert!(page.body.contains("Open 1d 20h per week."), "{}", page.body);
    assert!(page.body.contains("value=\"Company day\""), "{}", page.body);
    assert!(
        page.body.contains("value=\"Europe/Berlin\""),
        "{}",
        page.body
    );
    let overview = t.get("/admin/sla", &admin).await;
    assert!(overview.body.contains("Office hours"), "{}", overview.body);

    // Import two holidays from an .ics file.
    let a = t
        .post_multipart(
            &format!("/admin/sla/calendars/{id}/import"),
            &[
                Part::Text("csrf", &admin.csrf),
                Part::File("file", "holidays.ics", TWO_HOLIDAYS.as_bytes()),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), &admin).await;
    assert!(
        page.body.contains("2 holidays were imported."),
        "{}",
        page.body
    );
    assert!(
        page.body.contains("value=\"Christmas Day\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("value=\"Boxing Day\""), "{}", page.body);
    assert!(page.body.contains("value=\"2026-12-25\""), "{}", page.body);

    // A file that is not iCalendar: the message is next to the file field.
    let a = t
        .post_multipart(
            &format!("/admin/sla/calendars/{id}/import"),
            &[
                Part::Text("csrf", &admin.csrf),
                Part::File("file", "notes.ics", b"hello"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"c-file-error\""), "{}", a.body);

    // Removing a holiday row on save.
    let page = t.get(&format!("/admin/sla/calendars/{id}"), &admin).await;
    assert!(
        page.body
            .contains("name=\"h2_name\" type=\"text\" maxlength=\"200\" value=\"Boxing Day\""),
        "{}",
        page.body
    );
    let mut form: Vec<(String, String)> = vec![
        ("csrf".into(), admin.csrf.clone()),
        ("name".into(), "Office hours".into()),
        ("zone".into(), "Europe/Berlin".into()),
        ("rows".into(), "3".into()),
        ("mon1_start".into(), "08:00".into()),
        ("mon1_end".into(), "12:00".into()),
        ("mon2_start".into(), "13:00".into()),
        ("mon2_end".into(), "17:00".into()),
        ("h0_name".into(), "Company day".into()),
        ("h0_start".into(), "2026-06-01".into()),
        ("h1_name".into(), "Christmas Day".into()),
        ("h1_start".into(), "2026-12-25".into()),
        ("h2_name".into(), "Boxing Day".into()),
        ("h2_start".into(), "2026-12-26".into()),
        ("h2_remove".into(), "on".into()),
    ];
    form.push(("action".into(), "save".into()));
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let a = t
        .post_form(&format!("/admin/sla/calendars/{id}"), &refs, &admin)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), &admin).await;
    assert!(!page.body.contains("Boxing Day"), "{}", page.body);
    assert!(
        page.body.contains("value=\"Christmas Day\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Open 8h per week."), "{}", page.body);
    assert!(
        page.body
            .contains("id=\"mon2_start\" name=\"mon2_start\" type=\"time\" value=\"13:00\""),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn admins_create_edit_and_delete_policies_with_field_errors() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    let (cal, policy) = set_up_sla(&t, &admin).await;

    // Listed in match order with its calendar and targets.
    let overview = t.get("/admin/sla", &admin).await;
    let row = between(&overview.body, "Standard incidents", "</tr>");
    assert!(row.contains("Incident"), "{row}");
    assert!(row.contains("Office hours"), "{row}");
    assert!(row.contains("1h") && row.contains("8h"), "{row}");

    // No target at all and a bad due-soon share: errors next to the fields, input kept.
    let a = t
        .post_form(
            "/admin/sla/policies/new",
            &[
                ("csrf", &admin.csrf),
                ("name", "Tasks without targets"),
                ("position", "5"),
                ("due_soon", "150"),
                ("enabled", "on"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", a.body);
    assert!(a.body.contains("id=\"p-resolution-error\""), "{}", a.body);
    assert!(a.body.contains("id=\"p-due-soon-error\""), "{}", a.body);
    assert!(
        a.body.contains("value=\"Tasks without targets\""),
        "{}",
        a.body
    );
    assert!(a.body.contains("value=\"150\""), "{}", a.body);

    // A second policy at an earlier position is listed first.
    let a = t
        .post_form(
            "/admin/sla/policies/new",
            &[
                ("csrf", &admin.csrf),
                ("name", "Critical"),
                ("position", "1"),
                ("priorities", "P1"),
                ("first_response", "15"),
                ("escalate_priority", "P1"),
                ("enabled", "on"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let overview = t.get("/admin/sla", &admin).await;
    let critical = overview.body.find(">Critical<").unwrap();
    let standard = overview.body.find(">Standard incidents<").unwrap();
    assert!(critical < standard, "{}", overview.body);

    // Edit: the form shows the stored values; a change is saved.
    let page = t
        .get(&format!("/admin/sla/policies/{policy}"), &admin)
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("<option value=\"{cal}\" selected>")),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(
            "id=\"p-kind-incident\" name=\"kinds\" type=\"checkbox\" value=\"incident\" checked"
        ),
        "{}",
        page.body
    );
    let a = t
        .post_form(
            &format!("/admin/sla/policies/{policy}"),
            &[
                ("csrf", &admin.csrf),
                ("name", "Standard incidents"),
                ("position", "10"),
                ("kinds", "incident"),
                ("calendar", &cal),
                ("first_response", "60"),
                ("resolution", "240"),
                ("due_soon", "80"),
            ],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let overview = t.get("/admin/sla", &admin).await;
    let row = between(&overview.body, "Standard incidents", "</tr>");
    assert!(row.contains("4h") && row.contains("<td>No</td>"), "{row}");

    // The calendar is in use: it cannot be deleted; the policy can.
    let a = t
        .post_form(
            &format!("/admin/sla/calendars/{cal}/delete"),
            &[("csrf", &admin.csrf)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body.contains("policy uses this calendar"), "{}", a.body);
    let a = t
        .post_form(
            &format!("/admin/sla/policies/{policy}/delete"),
            &[("csrf", &admin.csrf)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let a = t
        .post_form(
            &format!("/admin/sla/calendars/{cal}/delete"),
            &[("csrf", &admin.csrf)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let overview = t.get("/admin/sla", &admin).await;
    assert!(
        !overview.body.contains("Standard incidents"),
        "{}",
        overview.body
    );
    assert!(
        overview.body.contains("No calendars yet"),
        "{}",
        overview.body
    );
}

#[tokio::test]
async fn sla_admin_pages_are_for_admins_of_the_same_workspace_only() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    let (cal, policy) = set_up_sla(&t, &admin).await;

    let agent = t.sign_in("agent@acme.test").await;
    for path in ["/admin/sla", "/admin/jobs", "/admin/sla/calendars/new"] {
        assert_eq!(
            t.get(path, &agent).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    let a = t
        .post_form(
            &format!("/admin/sla/policies/{policy}/delete"),
            &[("csrf", &agent.csrf)],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let other = t.sign_in("admin@globex.test").await;
    let cal_path = format!("/admin/sla/calendars/{cal}");
    let policy_path = format!("/admin/sla/policies/{policy}");
    assert_eq!(t.get(&cal_path, &other).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        t.get(&policy_path, &other).await.status,
        StatusCode::NOT_FOUND
    );
    let a = t
        .post_form(
            &policy_path,
            &[
                ("csrf", &other.csrf),
                ("name", "Hijacked"),
                ("first_response", "1"),
            ],
            &other,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let a = t
        .post_form(
            &format!("{cal_path}/delete"),
            &[("csrf", &other.csrf)],
            &other,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND);
    let theirs = t.get("/admin/sla", &other).await;
    assert!(!theirs.body.contains("Office hours"), "{}", theirs.body);

    // Without the form's token nothing changes.
    let a = t
        .post_form(
            &format!("{policy_path}/delete"),
            &[("csrf", "nope")],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    let mine = t.get("/admin/sla", &admin).await;
    assert!(mine.body.contains("Standard incidents"), "{}", mine.body);
}

// ---------- the agent's view ----------

#[tokio::test]
async fn agents_see_sla_badges_filter_and_sort_by_deadline_and_the_sla_panel() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    set_up_sla(&t, &admin).await;
    let requester = t.sign_in("requester@acme.test").await;
    let agent = t.sign_in("agent@acme.test").await;

    // Monday 09:00 UTC = 10:00 in Berlin: open; first response due in one hour.
    let (first_id, first) = t.report(&requester, "Printer on fire").await;
    let list = t.get("/agent", &agent).await;
    let row = row_of(&list.body, &first);
    assert!(row.contains("class=\"sla sla-running\""), "{row}");
    assert!(row.contains("On track"), "{row}");
    assert!(row.contains("1h left"), "{row}");

    // Two hours later the due-soon and breach timers have fired.
    pass_deadlines(&t).await;
    let (_, second) = t.report(&requester, "Mouse is slow").await;
    let list = t.get("/agent", &agent).await;
    let row = row_of(&list.body, &first);
    assert!(row.contains("class=\"sla sla-breached\""), "{row}");
    assert!(row.contains("Breached"), "{row}");
    assert!(row.contains("overdue 1h"), "{row}");
    assert!(row_of(&list.body, &second).contains("1h left"));
    // Newest first: the second ticket is above the first.
    let newest = t.get("/agent?sort=-created", &agent).await;
    assert!(newest.body.find(&second).unwrap() < newest.body.find(&first).unwrap());

    // "Next due" puts the earliest deadline first.
    let sorted = t.get("/agent?sort=due", &agent).await;
    assert_eq!(sorted.status, StatusCode::OK);
    assert!(
        sorted.body.find(&first).unwrap() < sorted.body.find(&second).unwrap(),
        "{}",
        sorted.body
    );
    assert!(
        sorted
            .body
            .contains("<option value=\"due\" selected>Next due</option>")
    );

    // "Breached" shows only the breached ticket; the filter can be saved.
    let breached = t.get("/agent?sla=breached", &agent).await;
    assert!(breached.body.contains(&first), "{}", breached.body);
    assert!(!breached.body.contains(&second), "{}", breached.body);
    assert!(
        breached
            .body
            .contains("<option value=\"breached\" selected>Breached</option>")
    );
    let due_soon = t.get("/agent?sla=due_soon", &agent).await;
    assert!(!due_soon.body.contains(&first) && !due_soon.body.contains(&second));
    let a = t
        .post_form(
            "/agent/filters",
            &[
                ("csrf", &agent.csrf),
                ("name", "Breached"),
                ("query", "sla=breached&sort=due"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/agent?sla=breached&sort=due");
    let list = t.get("/agent", &agent).await;
    assert!(
        list.body
            .contains("href=\"/agent?sla=breached&#38;sort=due\""),
        "{}",
        list.body
    );
    let bad = t.get("/agent?sla=late", &agent).await;
    assert!(bad.body.contains("The filter is not valid"), "{}", bad.body);

    // The ticket page explains the clock, in the calendar's zone and in UTC.
    let page = t.get(&format!("/agent/tickets/{first_id}"), &agent).await;
    assert_eq!(page.status, StatusCode::OK);
    let panel = between(&page.body, "id=\"sla-title\"", "</section>");
    assert!(panel.contains("Standard incidents"), "{panel}");
    assert!(panel.contains("Office hours"), "{panel}");
    assert!(panel.contains("Europe/Berlin"), "{panel}");
    let fr = between(panel, "First response</th>", "</tr>");
    assert!(fr.contains("Breached"), "{fr}");
    assert!(fr.contains("Mon 2 Mar 2026 11:00 CET"), "{fr}");
    assert!(fr.contains("2026-03-02 10:00 UTC"), "{fr}");
    let res = between(panel, "Resolution</th>", "</tr>");
    assert!(
        res.contains("<td>8h</td>") && res.contains("<td>2h</td>"),
        "{res}"
    );
    assert!(res.contains("Due soon") || res.contains("Running"), "{res}");
    assert!(panel.contains("<li>"), "the trace is listed: {panel}");

    // Late in the day the time left is business time: 30 minutes today, 30 tomorrow.
    t.inner.clock.advance(Duration::minutes(4 * 60 + 30)); // 15:30 UTC = 16:30 Berlin
    let (_, late) = t.report(&requester, "Screen flickers").await;
    let list = t.get("/agent", &agent).await;
    assert!(
        row_of(&list.body, &late).contains("1h left"),
        "{}",
        list.body
    );

    // A resolved ticket keeps its breach, without a deadline.
    let a = t
        .post_form(
            "/agent/bulk",
            &[
                ("csrf", &agent.csrf),
                ("ids", &first_id),
                ("status", "resolved"),
            ],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let list = t.get("/agent?status=resolved", &agent).await;
    let row = row_of(&list.body, &first);
    assert!(
        row.contains("Breached") && !row.contains("overdue"),
        "{row}"
    );
}

#[tokio::test]
async fn a_ticket_without_a_policy_says_so_and_requesters_see_no_sla() {
    let t = TestApp::new().await;
    let requester = t.sign_in("requester@acme.test").await;
    let agent = t.sign_in("agent@acme.test").await;
    let (id, number) = t.report(&requester, "No policy here").await;
    let list = t.get("/agent", &agent).await;
    assert!(
        row_of(&list.body, &number).contains("No SLA"),
        "{}",
        list.body
    );
    let page = t.get(&format!("/agent/tickets/{id}"), &agent).await;
    assert!(
        page.body.contains("No SLA policy applies to this ticket"),
        "{}",
        page.body
    );

    let admin = t.sign_in("admin@acme.test").await;
    set_up_sla(&t, &admin).await;
    let (id, _) = t.report(&requester, "With policy").await;
    let portal = t.get(&format!("/portal/tickets/{id}"), &requester).await;
    assert_eq!(portal.status, StatusCode::OK);
    assert!(!portal.body.contains("sla-"), "{}", portal.body);
    // The portal ignores SLA filters rather than leaking clock states.
    let list = t.get("/portal?sla=breached&sort=due", &requester).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("With policy"), "{}", list.body);
}

// ---------- notifications ----------

#[tokio::test]
async fn the_bell_counts_unread_notifications_and_marks_them_read() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    set_up_sla(&t, &admin).await;
    let requester = t.sign_in("requester@acme.test").await;
    let agent = t.sign_in("agent@acme.test").await;
    let (_, number) = t.report(&requester, "Server down").await;

    let list = t.get("/agent", &agent).await;
    assert_eq!(bell(&list.body), 0);

    // The breach notifies the agents of the workspace (the ticket is unassigned).
    pass_deadlines(&t).await;
    let list = t.get("/agent", &agent).await;
    let unread = bell(&list.body);
    assert!(unread >= 1, "{}", list.body);
    assert!(list.body.contains("href=\"/notifications\""));
    let page = t.get("/notifications", &agent).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(bell(&page.body), unread);
    assert!(page.body.contains(&number), "{}", page.body);
    assert!(page.body.contains("Unread"), "{}", page.body);
    assert!(page.body.contains("/agent/tickets/"), "{}", page.body);

    // Mark one read, then all.
    let one = between(&page.body, "name=\"id\" value=\"", "\"").to_string();
    let a = t
        .post_form(
            "/notifications/read",
            &[("csrf", &agent.csrf), ("id", &one)],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), &agent).await;
    assert_eq!(bell(&page.body), unread - 1);
    let a = t
        .post_form("/notifications/read", &[("csrf", &agent.csrf)], &agent)
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    assert_eq!(a.location(), "/notifications?done=all");
    let page = t.get(&a.location(), &agent).await;
    assert_eq!(bell(&page.body), 0);
    assert!(page.body.contains("All notifications were marked read."));
    assert!(!page.body.contains("Mark all read"), "{}", page.body);

    // Another user's notification cannot be marked, and forms need the token.
    let a = t
        .post_form(
            "/notifications/read",
            &[("csrf", &admin.csrf), ("id", &one)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let a = t
        .post_form("/notifications/read", &[("csrf", "wrong")], &admin)
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);
    // The admin's own notifications are still unread.
    let hub = t.get("/admin", &admin).await;
    assert!(bell(&hub.body) >= 1, "{}", hub.body);
}

// ---------- dead jobs ----------

#[tokio::test]
async fn admins_see_dead_jobs_with_their_error_and_retry_them() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    let empty = t.get("/admin/jobs", &admin).await;
    assert_eq!(empty.status, StatusCode::OK);
    assert!(empty.body.contains("No failed jobs."), "{}", empty.body);

    // A job no worker knows dies at once.
    let store = &t.inner.db.store;
    let tx = store.write(Scope::System).await.unwrap();
    let acme = tenants::by_slug(&tx, "acme").await.unwrap().unwrap();
    let now = t.inner.app.clock().now();
    let job = jobs::NewJob::new("test.unknown", serde_json::json!({}), now)
        .tenant(catalyst_domain::TenantId(acme.id));
    jobs::enqueue(&tx, job, now).await.unwrap();
    tx.commit().await.unwrap();
    let run = t.inner.app.drain_jobs().await.unwrap();
    assert_eq!(run.dead, 1);

    let page = t.get("/admin/jobs", &admin).await;
    assert!(page.body.contains("test.unknown"), "{}", page.body);
    assert!(page.body.contains("unknown job kind"), "{}", page.body);
    let id = between(&page.body, "action=\"/admin/jobs/", "/retry").to_string();

    // Not another workspace's admin, not an agent.
    let other = t.sign_in("admin@globex.test").await;
    let theirs = t.get("/admin/jobs", &other).await;
    assert!(!theirs.body.contains("test.unknown"), "{}", theirs.body);
    let a = t
        .post_form(
            &format!("/admin/jobs/{id}/retry"),
            &[("csrf", &other.csrf)],
            &other,
        )
        .await;
    assert_eq!(a.status, StatusCode::NOT_FOUND, "{}", a.body);
    let agent = t.sign_in("agent@acme.test").await;
    let a = t
        .post_form(
            &format!("/admin/jobs/{id}/retry"),
            &[("csrf", &agent.csrf)],
            &agent,
        )
        .await;
    assert_eq!(a.status, StatusCode::FORBIDDEN);

    let a = t
        .post_form(
            &format!("/admin/jobs/{id}/retry"),
            &[("csrf", &admin.csrf)],
            &admin,
        )
        .await;
    assert_eq!(a.status, StatusCode::SEE_OTHER, "{}", a.body);
    let page = t.get(&a.location(), &admin).await;
    assert!(page.body.contains("The job was put back in the queue."));
    assert!(!page.body.contains("test.unknown"), "{}", page.body);
}

// ---------- the live bell script ----------

#[tokio::test]
async fn the_script_updates_the_bell_from_the_event_stream() {
    let t = TestApp::new().await;
    let admin = t.sign_in("admin@acme.test").await;
    let js = t.get("/static/app.js", &admin).await;
    assert!(js.body.contains("EventSource('/v1/notifications/stream')"));
    assert!(js.body.contains("addEventListener('unread'"));
    let page = t.get("/admin", &admin).await;
    assert!(page.body.contains("data-unread-count"), "{}", page.body);
    assert!(!page.body.contains("<script>"), "no inline script");
}
