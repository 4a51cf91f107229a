//! Behaviour of the search index as its callers rely on it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use catalyst_search::{
    ArticleDoc, ArticleStatus, DocType, OpenOutcome, SearchIndex, SearchRequest, SearchResults,
    TicketDoc, Viewer, Visibility,
};
use chrono::{Duration, TimeZone, Utc};
use uuid::Uuid;

struct Fixture {
    index: SearchIndex,
    tenant: Uuid,
    requester: Uuid,
    other_requester: Uuid,
    seq: u32,
}

impl Fixture {
    fn new() -> Self {
        Fixture {
            index: SearchIndex::in_memory().unwrap(),
            tenant: Uuid::now_v7(),
            requester: Uuid::now_v7(),
            other_requester: Uuid::now_v7(),
            seq: 0,
        }
    }

    fn next_time(&mut self) -> chrono::DateTime<Utc> {
        self.seq += 1;
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(i64::from(self.seq))
    }

    fn ticket(&mut self, number: &str, subject: &str, description: &str) -> TicketDoc {
        TicketDoc {
            id: Uuid::now_v7(),
            tenant: self.tenant,
            number: number.to_string(),
            kind: "incident".into(),
            status: "new".into(),
            queue: None,
            requester: self.requester,
            subject: subject.into(),
            description: description.into(),
            replies: vec![],
            internal_notes: vec![],
            updated_at: self.next_time(),
        }
    }

    fn article(&mut self, title: &str, body: &str) -> ArticleDoc {
        ArticleDoc {
            id: Uuid::now_v7(),
            tenant: self.tenant,
            title: title.into(),
            body: body.into(),
            category: None,
            tags: vec![],
            visibility: Visibility::Public,
            status: ArticleStatus::Published,
            updated_at: self.next_time(),
        }
    }

    fn add_article(&mut self, title: &str, body: &str) -> Uuid {
        let a = self.article(title, body);
        self.index.upsert_article(&a).unwrap();
        a.id
    }

    fn add_ticket(&mut self, number: &str, subject: &str, description: &str) -> Uuid {
        let t = self.ticket(number, subject, description);
        self.index.upsert_ticket(&t).unwrap();
        t.id
    }

    fn commit(&self) {
        self.index.commit().unwrap();
    }

    fn agent(&self, text: &str) -> SearchResults {
        self.run(SearchRequest::new(self.tenant, Viewer::Agent, text))
    }

    fn requester(&self, text: &str) -> SearchResults {
        self.run(SearchRequest::new(
            self.tenant,
            Viewer::Requester(self.requester),
            text,
        ))
    }

    fn run(&self, req: SearchRequest) -> SearchResults {
        self.index.search(&req).unwrap()
    }
}

fn ids(r: &SearchResults) -> Vec<Uuid> {
    r.hits.iter().map(|h| h.id).collect()
}

/// Documents a typo query should find, next to ones it must not find.
fn typo_fixture() -> (Fixture, Uuid, Uuid, Uuid) {
    let mut f = Fixture::new();
    let vpn = f.add_article(
        "Connect to the VPN from home",
        "Install the client and sign in with your work account.",
    );
    let pw = f.add_article(
        "Reset your password",
        "Use the self-service page to choose a new password.",
    );
    let pr = f.add_ticket(
        "INC-000001",
        "Printer on floor 3 jams",
        "The printer shows paper jam every morning.",
    );
    f.add_article("Mailbox quota", "How to archive old mail to free space.");
    f.commit();
    (f, vpn, pw, pr)
}

#[test]
fn typos_are_tolerated() {
    let (f, vpn, pw, pr) = typo_fixture();
    assert_eq!(
        ids(&f.agent("vnp ")),
        vec![vpn],
        "swapped letters in a short word"
    );
    assert_eq!(ids(&f.agent("pasword ")), vec![pw], "a missing letter");
    assert_eq!(ids(&f.agent("prnter ")), vec![pr], "a missing letter");
    assert_eq!(ids(&f.agent("passwrod ")), vec![pw], "swapped letters");
    assert_eq!(
        ids(&f.agent("configuraton ")),
        Vec::<Uuid>::new(),
        "nothing about configuration"
    );
}

#[test]
fn short_words_do_not_match_arbitrary_edits() {
    let mut f = Fixture::new();
    f.add_article("VPN setup", "Client install");
    f.commit();
    // One substitution away from "vpn", but not a swap: must not match.
    assert!(f.agent("vpm ").hits.is_empty());
    assert!(
        f.agent("vp").hits.len() == 1,
        "but two letters are a prefix"
    );
}

#[test]
fn long_words_tolerate_two_edits() {
    let mut f = Fixture::new();
    let a = f.add_article(
        "Certificate renewal",
        "Renew the certificate before it expires.",
    );
    f.commit();
    assert_eq!(ids(&f.agent("certifcete ")), vec![a]);
    // Five to eight letters allow only one edit.
    assert!(f.agent("renwel ").hits.is_empty());
    assert_eq!(ids(&f.agent("renwal ")), vec![a]);
}

#[test]
fn typos_in_inflected_words_match_the_stem() {
    let mut f = Fixture::new();
    let a = f.add_article("Updates", "The driver was installed overnight.");
    f.commit();
    // "insatll" is three edits from "installed", but its stem is one swap from "instal".
    let r = f.agent("insatll ");
    assert_eq!(ids(&r), vec![a]);
    assert!(r.hits[0].snippet_html.contains("<mark>installed</mark>"));
}

#[test]
fn exact_matches_rank_above_typo_matches() {
    let mut f = Fixture::new();
    // "paint" is one edit from "print"; the exact document must come first even though the
    // typo-only document is newer and has the word in its title too.
    let exact = f.add_article("Print a document", "Choose print in the menu.");
    let fuzzy = f.add_article("Paint program", "Paint pictures and paint walls.");
    f.commit();
    assert_eq!(ids(&f.agent("print ")), vec![exact, fuzzy]);
    // Exact in the body still beats a typo in the title.
    let mut g = Fixture::new();
    let body_exact = g.add_article("Office hardware", "How to print double sided.");
    let title_fuzzy = g.add_article("Paint", "Unrelated.");
    g.commit();
    assert_eq!(ids(&g.agent("print ")), vec![body_exact, title_fuzzy]);
}

#[test]
fn synonyms_work_both_ways_and_across_words() {
    let mut f = Fixture::new();
    let short = f.add_article("VPN troubleshooting", "Restart the client.");
    let long = f.add_article(
        "Working remotely",
        "Connect through the virtual private network before opening files.",
    );
    f.add_article(
        "Private parking",
        "Book a private parking space on the network drive.",
    );
    f.commit();
    let synonyms = vec![vec![
        "VPN".to_string(),
        "virtual private network".to_string(),
    ]];

    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "vpn ");
    let without = f.run(req.clone());
    assert_eq!(ids(&without), vec![short]);
    req.synonyms = synonyms.clone();
    let mut found = ids(&f.run(req));
    found.sort();
    let mut expected = vec![short, long];
    expected.sort();
    assert_eq!(found, expected, "vpn → virtual private network");

    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "Virtual Private Network ");
    req.synonyms = synonyms.clone();
    let r = f.run(req);
    let mut found = ids(&r);
    found.sort();
    assert_eq!(
        found, expected,
        "virtual private network → vpn, as a phrase"
    );

    // The phrase counts as one unit next to other words.
    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "virtual private network restart");
    req.synonyms = synonyms;
    assert_eq!(ids(&f.run(req)), vec![short]);
}

#[test]
fn english_stemming() {
    let mut f = Fixture::new();
    let a = f.add_article("Resetting passwords", "Passwords expire every 90 days.");
    let t = f.add_ticket("INC-000007", "Printers offline", "All printing fails.");
    f.commit();
    assert_eq!(ids(&f.agent("reset password ")), vec![a]);
    assert_eq!(ids(&f.agent("expired ")), vec![a]);
    assert_eq!(ids(&f.agent("printer ")), vec![t]);
    assert_eq!(ids(&f.agent("printed ")), vec![t]);
}

#[test]
fn last_word_is_a_prefix_while_typing() {
    let mut f = Fixture::new();
    let a = f.add_article(
        "Multi-factor authentication",
        "Enroll your authenticator app.",
    );
    f.commit();
    assert_eq!(ids(&f.agent("authen")), vec![a]);
    assert_eq!(ids(&f.agent("multi auth")), vec![a]);
    assert!(
        f.agent("authen ").hits.is_empty(),
        "a finished word is not a prefix"
    );
    assert!(f.agent("multi authen ").hits.is_empty());
}

#[test]
fn title_matches_rank_above_body_matches() {
    let mut f = Fixture::new();
    let body = f.add_article(
        "Remote work",
        "Install the firewall client before travelling.",
    );
    let title = f.add_article("Firewall rules", "Ask the network team for exceptions.");
    f.commit();
    assert_eq!(ids(&f.agent("firewall")), vec![title, body]);
}

#[test]
fn requesters_see_only_their_tickets_and_published_public_articles() {
    let mut f = Fixture::new();
    let mine = f.add_ticket(
        "INC-000001",
        "Laptop battery drains",
        "Battery drains fast.",
    );
    let mut other = f.ticket("INC-000002", "Battery swollen", "Battery is swollen.");
    other.requester = f.other_requester;
    f.index.upsert_ticket(&other).unwrap();
    let public = f.add_article(
        "Battery care",
        "Keep the battery between 20 and 80 percent.",
    );
    let mut internal = f.article("Battery vendor contacts", "Battery replacement escalation.");
    internal.visibility = Visibility::Internal;
    f.index.upsert_article(&internal).unwrap();
    let mut draft = f.article("Battery recall", "Draft battery text.");
    draft.status = ArticleStatus::Draft;
    f.index.upsert_article(&draft).unwrap();
    let mut archived = f.article("Old battery policy", "Archived battery text.");
    archived.status = ArticleStatus::Archived;
    f.index.upsert_article(&archived).unwrap();
    f.commit();

    let mut requester = ids(&f.requester("battery"));
    requester.sort();
    let mut expected = vec![mine, public];
    expected.sort();
    assert_eq!(requester, expected);

    let mut agent = ids(&f.agent("battery"));
    agent.sort();
    let mut expected = vec![mine, other.id, public, internal.id];
    expected.sort();
    assert_eq!(agent, expected, "agents: all tickets, published articles");
}

#[test]
fn internal_notes_are_for_agents_only() {
    let mut f = Fixture::new();
    let mut t = f.ticket("INC-000003", "Cannot log in", "Login fails since Monday.");
    t.internal_notes = vec!["Account flagged by security: suspected phishing.".into()];
    t.replies = vec!["We are looking into your login problem.".into()];
    f.index.upsert_ticket(&t).unwrap();
    f.commit();

    assert!(
        f.requester("phishing").hits.is_empty(),
        "requesters never match on internal notes"
    );
    let agent = f.agent("phishing");
    assert_eq!(ids(&agent), vec![t.id]);
    assert!(agent.hits[0].snippet_html.contains("<mark>phishing</mark>"));

    // The requester still finds the ticket by other words, and the snippet shows no note text.
    let r = f.requester("login");
    assert_eq!(ids(&r), vec![t.id]);
    assert!(!r.hits[0].snippet_html.contains("phishing"));
    assert!(!r.hits[0].snippet_html.contains("security"));
    // Public replies are searchable by the requester.
    assert_eq!(ids(&f.requester("looking")), vec![t.id]);
}

#[test]
fn tenants_are_isolated() {
    let mut a = Fixture::new();
    let mine = a.add_article("Wi-Fi guest access", "Guest Wi-Fi vouchers at reception.");
    let other_tenant = Uuid::now_v7();
    let mut foreign = a.article("Wi-Fi guest access", "Guest Wi-Fi vouchers at reception.");
    foreign.tenant = other_tenant;
    a.index.upsert_article(&foreign).unwrap();
    let mut foreign_ticket = a.ticket("INC-000001", "Guest wifi broken", "Guest network down.");
    foreign_ticket.tenant = other_tenant;
    a.index.upsert_ticket(&foreign_ticket).unwrap();
    a.commit();

    assert_eq!(ids(&a.agent("guest")), vec![mine]);
    assert_eq!(ids(&a.requester("guest")), vec![mine]);
    assert!(a.agent("INC-000001").hits.is_empty());
    let counts = a.index.counts(a.tenant).unwrap();
    assert_eq!((counts.tickets, counts.articles), (0, 1));
    let theirs = a.index.counts(other_tenant).unwrap();
    assert_eq!((theirs.tickets, theirs.articles), (1, 1));

    a.index.delete_tenant(other_tenant).unwrap();
    a.commit();
    assert_eq!(a.index.counts(other_tenant).unwrap().articles, 0);
    assert_eq!(a.index.counts(a.tenant).unwrap().articles, 1);
}

#[test]
fn ticket_numbers_are_findable() {
    let mut f = Fixture::new();
    let t = f.add_ticket("INC-000123", "Monitor flickers", "Screen flickers.");
    f.add_ticket("INC-001230", "Keyboard", "Keys stick.");
    f.add_ticket("REQ-000123", "New laptop", "Please order a laptop.");
    f.commit();
    for q in ["INC-000123", "inc-123", "INC-000123 "] {
        assert_eq!(ids(&f.agent(q)), vec![t], "{q}");
    }
    let r = f.agent("123");
    assert_eq!(r.total, 2, "INC-000123 and REQ-000123");
    assert_eq!(
        r.hits[0].number.as_deref().map(|n| n.ends_with("000123")),
        Some(true)
    );
    assert!(f.agent("INC-000124").hits.is_empty());
}

#[test]
fn filters_facets_and_pagination() {
    let mut f = Fixture::new();
    let queue_a = Uuid::now_v7();
    let queue_b = Uuid::now_v7();
    let mut all = Vec::new();
    for i in 0..7 {
        let mut t = f.ticket(
            &format!("INC-{i:06}"),
            "Outlook crashes",
            "Outlook crashes on start.",
        );
        t.queue = Some(if i < 4 { queue_a } else { queue_b });
        t.status = if i % 2 == 0 {
            "new".into()
        } else {
            "resolved".into()
        };
        if i == 6 {
            t.kind = "request".into();
        }
        f.index.upsert_ticket(&t).unwrap();
        all.push(t.id);
    }
    f.add_article("Outlook crashes on start", "Start Outlook in safe mode.");
    f.commit();

    let r = f.agent("outlook");
    assert_eq!(r.total, 8);
    assert_eq!(r.facets.types.get("ticket"), Some(&7));
    assert_eq!(r.facets.types.get("article"), Some(&1));
    assert_eq!(r.facets.kinds.get("incident"), Some(&6));
    assert_eq!(r.facets.kinds.get("request"), Some(&1));
    assert_eq!(r.facets.statuses.get("new"), Some(&4));
    assert_eq!(r.facets.statuses.get("resolved"), Some(&3));
    assert_eq!(r.facets.statuses.get("published"), Some(&1));
    assert_eq!(r.facets.queues.get(&queue_a.to_string()), Some(&4));
    assert_eq!(r.facets.queues.get(&queue_b.to_string()), Some(&3));

    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "outlook");
    req.types = vec![DocType::Ticket];
    req.queues = vec![queue_b];
    req.statuses = vec!["new".into()];
    let r = f.run(req);
    let mut got = ids(&r);
    got.sort();
    assert_eq!(got, vec![all[4], all[6]]);

    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "outlook");
    req.kinds = vec!["request".into()];
    assert_eq!(ids(&f.run(req)), vec![all[6]]);

    // Pages are disjoint and cover everything.
    let mut seen = Vec::new();
    for page in 0..3 {
        let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "outlook");
        req.limit = 3;
        req.offset = page * 3;
        let r = f.run(req);
        assert_eq!(r.total, 8);
        seen.extend(ids(&r));
    }
    assert_eq!(seen.len(), 8);
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 8);
}

#[test]
fn empty_text_lists_newest_first() {
    let mut f = Fixture::new();
    let old = f.add_article("First", "a");
    let new = f.add_article("Second", "b");
    f.commit();
    let mut req = SearchRequest::new(f.tenant, Viewer::Agent, "");
    req.types = vec![DocType::Article];
    assert_eq!(ids(&f.run(req)), vec![new, old]);
}

#[test]
fn snippets_are_escaped_and_marked() {
    let mut f = Fixture::new();
    let mut a = f.article(
        "Error <script>alert(1)</script> in browser",
        "The browser shows <b>error</b> & then \"freezes\". Clear the browser cache.",
    );
    a.tags = vec!["browser".into()];
    f.index.upsert_article(&a).unwrap();
    f.commit();
    let r = f.agent("brwoser ");
    assert_eq!(r.hits.len(), 1);
    let h = &r.hits[0];
    assert_eq!(
        h.title_html,
        "Error &lt;script&gt;alert(1)&lt;/script&gt; in <mark>browser</mark>"
    );
    assert!(
        h.snippet_html.contains("<mark>browser</mark>"),
        "{}",
        h.snippet_html
    );
    assert!(
        h.snippet_html.contains("&lt;b&gt;error&lt;/b&gt; &amp;"),
        "{}",
        h.snippet_html
    );
    assert!(!h.snippet_html.contains("<b>"));
    assert_eq!(h.title, "Error <script>alert(1)</script> in browser");
}

#[test]
fn upsert_replaces_and_delete_removes() {
    let mut f = Fixture::new();
    let mut a = f.article("Scanner setup", "Old text about scanners.");
    f.index.upsert_article(&a).unwrap();
    f.commit();
    a.title = "Scanner configuration".into();
    a.body = "New text.".into();
    f.index.upsert_article(&a).unwrap();
    f.commit();
    assert_eq!(f.index.counts(f.tenant).unwrap().articles, 1);
    assert!(f.agent("old").hits.is_empty());
    assert_eq!(
        f.agent("configuration").hits[0].title,
        "Scanner configuration"
    );

    a.status = ArticleStatus::Archived;
    f.index.upsert_article(&a).unwrap();
    f.commit();
    assert!(
        f.agent("scanner").hits.is_empty(),
        "archived articles disappear"
    );

    f.index.delete(a.id).unwrap();
    f.commit();
    assert_eq!(f.index.counts(f.tenant).unwrap().articles, 0);
}

#[test]
fn open_creates_reuses_and_rebuilds() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("search");
    let tenant = Uuid::now_v7();
    let article = ArticleDoc {
        id: Uuid::now_v7(),
        tenant,
        title: "Docking station".into(),
        body: "Firmware update.".into(),
        category: Some("Hardware".into()),
        tags: vec![],
        visibility: Visibility::Public,
        status: ArticleStatus::Published,
        updated_at: Utc::now(),
    };

    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert_eq!(outcome, OpenOutcome::Fresh);
    assert!(outcome.needs_full_index());
    idx.upsert_article(&article).unwrap();
    idx.commit_with_payload("cursor=42").unwrap();
    drop(idx);

    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert_eq!(outcome, OpenOutcome::Existing);
    assert!(!outcome.needs_full_index());
    assert_eq!(idx.counts(tenant).unwrap().articles, 1);
    assert_eq!(idx.payload().unwrap().as_deref(), Some("cursor=42"));
    // A plain commit keeps the payload.
    idx.commit().unwrap();
    drop(idx);
    let (idx, _) = SearchIndex::open(&dir).unwrap();
    assert_eq!(idx.payload().unwrap().as_deref(), Some("cursor=42"));
    drop(idx);

    // Deleted directory: fresh and empty.
    std::fs::remove_dir_all(&dir).unwrap();
    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert_eq!(outcome, OpenOutcome::Fresh);
    assert_eq!(idx.counts(tenant).unwrap().articles, 0);
    assert_eq!(idx.payload().unwrap(), None);
    idx.upsert_article(&article).unwrap();
    idx.commit().unwrap();
    drop(idx);

    // Corrupt metadata: rebuilt.
    std::fs::write(dir.join("meta.json"), b"{ not json").unwrap();
    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    assert_eq!(idx.counts(tenant).unwrap().articles, 0);
    idx.upsert_article(&article).unwrap();
    idx.commit().unwrap();
    drop(idx);

    // Missing segment files: rebuilt.
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "store") {
            std::fs::remove_file(path).unwrap();
        }
    }
    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert!(
        matches!(outcome, OpenOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    idx.upsert_article(&article).unwrap();
    idx.commit().unwrap();
    drop(idx);

    // Older schema version: rebuilt, with the reason.
    std::fs::write(dir.join("catalyst-search-version"), "0").unwrap();
    let (idx, outcome) = SearchIndex::open(&dir).unwrap();
    match outcome {
        OpenOutcome::Rebuilt { reason } => assert!(reason.contains("schema version 0"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
    assert_eq!(idx.counts(tenant).unwrap().articles, 0);
    drop(idx);

    // Missing marker: rebuilt.
    std::fs::remove_file(dir.join("catalyst-search-version")).unwrap();
    let (_idx, outcome) = SearchIndex::open(&dir).unwrap();
    assert!(matches!(outcome, OpenOutcome::Rebuilt { .. }));
}

#[test]
fn changes_are_searchable_right_after_commit() {
    let mut f = Fixture::new();
    assert!(f.agent("projector").hits.is_empty());
    let id = f.add_article("Projector in room 4", "HDMI adapter in the drawer.");
    assert!(
        f.agent("projector").hits.is_empty(),
        "not visible before commit"
    );
    f.commit();
    assert_eq!(ids(&f.agent("projector")), vec![id]);
}
