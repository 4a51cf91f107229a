//! SLA clock fold: pauses, reopening, target changes, due-soon and breach instants, the
//! next timer and the explanation trace.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use catalyst_domain::calendar::{Calendar, Holiday, OpeningInterval};
use catalyst_domain::sla::{
    ClockStatus, Metric, SlaEvent, SlaEventKind, SlaState, SlaTargets, TimerKind, fold,
    format_duration, next_timer,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Berlin wall-clock time.
fn at(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    BERLIN
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// March 2025 (the 3rd is a Monday), Berlin time.
fn mar(day: u32, h: u32, mi: u32) -> DateTime<Utc> {
    at(2025, 3, day, h, mi)
}

fn office_hours(from: NaiveTime, to: NaiveTime, holidays: Vec<Holiday>) -> Calendar {
    let intervals = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ]
    .iter()
    .map(|&d| OpeningInterval::from_times(d, from, to))
    .collect();
    Calendar::from_parts(BERLIN, intervals, holidays).unwrap()
}

fn office() -> Calendar {
    office_hours(t(9, 0), t(17, 0), vec![])
}

fn christmas_office() -> Calendar {
    office_hours(
        t(9, 0),
        t(17, 0),
        vec![
            Holiday::partial("Christmas Eve", date(2024, 12, 24), t(12, 0), t(0, 0)),
            Holiday::range("Christmas", date(2024, 12, 25), date(2024, 12, 26)),
        ],
    )
}

fn h(n: i64) -> Duration {
    Duration::hours(n)
}

fn m(n: i64) -> Duration {
    Duration::minutes(n)
}

fn targets(first_response: Option<Duration>, resolution: Option<Duration>) -> SlaTargets {
    SlaTargets::new(first_response, resolution)
}

fn ev(at: DateTime<Utc>, kind: SlaEventKind) -> SlaEvent {
    SlaEvent::new(at, kind)
}

fn started(at: DateTime<Utc>, t: SlaTargets) -> SlaEvent {
    ev(at, SlaEventKind::Started { targets: t })
}

fn has_line(state: &SlaState, needle: &str) -> bool {
    state.trace.iter().any(|l| l.contains(needle))
}

#[track_caller]
fn assert_line(state: &SlaState, needle: &str) {
    assert!(
        has_line(state, needle),
        "no trace line contains {needle:?}:\n{}",
        state.trace.join("\n")
    );
}

#[test]
fn running_clocks_have_due_instants_and_a_next_timer() {
    let events = [started(mar(3, 9, 12), targets(Some(h(1)), Some(h(8))))];
    let s = fold(&events, &office(), mar(3, 10, 0));

    let fr = &s.first_response;
    assert_eq!(fr.status, ClockStatus::Running);
    assert_eq!(fr.elapsed, m(48));
    assert_eq!(fr.remaining, Some(m(12)));
    assert_eq!(fr.due_at, Some(mar(3, 10, 12)));
    assert_eq!(fr.due_soon_at, Some(mar(3, 9, 57)));
    assert!(fr.due_soon);
    assert!(!fr.breached);
    assert_eq!(fr.met, None);

    let res = &s.resolution;
    // 7 h 48 min on Monday, the remaining 12 min on Tuesday.
    assert_eq!(res.due_at, Some(mar(4, 9, 12)));
    assert_eq!(res.due_soon_at, Some(mar(3, 15, 12)));
    assert!(!res.due_soon);

    assert_eq!(
        next_timer(&s),
        Some((TimerKind::Breach(Metric::FirstResponse), mar(3, 10, 12)))
    );
    assert_line(&s, "Started Mon 3 Mar 09:12 (Europe/Berlin)");
    assert_line(&s, "First response due soon at Mon 3 Mar 09:57");
    assert_line(
        &s,
        "Resolution running: 48m of 8h elapsed, due Tue 4 Mar 09:12",
    );
}

#[test]
fn pause_and_resume_across_closed_hours_and_holidays() {
    let cal = christmas_office();
    let events = [
        started(at(2024, 12, 24, 10, 0), targets(None, Some(h(8)))),
        ev(at(2024, 12, 24, 11, 0), SlaEventKind::Paused),
        ev(at(2024, 12, 27, 10, 0), SlaEventKind::Resumed),
    ];
    let s = fold(&events, &cal, at(2024, 12, 27, 12, 0));
    let res = &s.resolution;
    assert_eq!(res.elapsed, h(3));
    assert_eq!(res.status, ClockStatus::Running);
    // 5 h left from Friday 12:00.
    assert_eq!(res.due_at, Some(at(2024, 12, 27, 17, 0)));
    assert_eq!(s.pauses.len(), 1);
    assert_eq!(s.pauses[0].from, at(2024, 12, 24, 11, 0));
    assert_eq!(s.pauses[0].to, Some(at(2024, 12, 27, 10, 0)));
    // Open time inside the pause: Tuesday 11–12 and Friday 9–10.
    assert_eq!(s.pauses[0].business_time_lost, h(2));
    assert_line(&s, "Paused 2d 23h while waiting on user");
    assert_line(&s, "2h of business time not counted");

    // Still paused: no due instant, the pause is open.
    let s = fold(&events[..2], &cal, at(2024, 12, 27, 12, 0));
    assert_eq!(s.resolution.status, ClockStatus::Paused);
    assert_eq!(s.resolution.elapsed, h(1));
    assert_eq!(s.resolution.due_at, None);
    assert_eq!(s.resolution.due_soon_at, None);
    assert_eq!(s.pauses[0].to, None);
    assert_eq!(s.pauses[0].business_time_lost, h(4));
    assert_eq!(next_timer(&s), None);
}

#[test]
fn running_through_holidays_is_explained() {
    let cal = christmas_office();
    let events = [started(at(2024, 12, 23, 16, 0), targets(None, Some(h(8))))];
    // Monday 1 h, Tuesday morning 3 h, Friday 4 h.
    let s = fold(&events, &cal, at(2024, 12, 23, 16, 30));
    assert_eq!(s.resolution.due_at, Some(at(2024, 12, 27, 13, 0)));
    assert_line(&s, "Tue 24 Dec 12:00–24:00 is closed (Christmas Eve)");
    assert_line(&s, "Wed 25 Dec – Thu 26 Dec are holidays (Christmas)");

    let s = fold(&events, &cal, at(2024, 12, 30, 10, 0));
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(at(2024, 12, 27, 13, 0)));
    assert_eq!(s.resolution.remaining, Some(Duration::zero()));
    // Monday 1 h, Tuesday 3 h, Friday 8 h, Monday 30 Dec 1 h.
    assert_eq!(s.resolution.elapsed, h(13));
    assert_line(&s, "Resolution breached at Fri 27 Dec 13:00");
    // Lines follow time: the holidays came before the breach.
    let pos = |needle: &str| s.trace.iter().position(|l| l.contains(needle)).unwrap();
    assert!(pos("are holidays (Christmas)") < pos("Resolution breached"));

    // A breach on Monday is told before the holidays the clock ran across afterwards.
    let events = [started(at(2024, 12, 23, 9, 0), targets(None, Some(h(2))))];
    let s = fold(&events, &cal, at(2024, 12, 27, 10, 0));
    let pos = |needle: &str| s.trace.iter().position(|l| l.contains(needle)).unwrap();
    assert!(pos("Resolution breached at Mon 23 Dec 11:00") < pos("Christmas Eve"));
    assert!(pos("Christmas Eve") < pos("are holidays (Christmas)"));
}

#[test]
fn reopen_resumes_with_elapsed_time_kept() {
    let events = [
        started(mar(3, 9, 0), targets(Some(h(1)), Some(h(8)))),
        ev(mar(3, 9, 30), SlaEventKind::FirstResponse),
        ev(mar(3, 13, 0), SlaEventKind::Resolved),
        ev(mar(4, 9, 0), SlaEventKind::Reopened),
    ];
    let cal = office();
    let resolved = fold(&events[..3], &cal, mar(3, 16, 0));
    assert_eq!(
        resolved.resolution.status,
        ClockStatus::Stopped { at: mar(3, 13, 0) }
    );
    assert_eq!(resolved.resolution.met, Some(true));
    assert_eq!(resolved.resolution.due_at, None);
    assert_eq!(resolved.first_response.met, Some(true));
    assert_eq!(resolved.first_response.elapsed, m(30));
    assert_eq!(next_timer(&resolved), None);

    let s = fold(&events, &cal, mar(4, 11, 0));
    // Monday afternoon while resolved does not count.
    assert_eq!(s.resolution.elapsed, h(6));
    assert_eq!(s.resolution.status, ClockStatus::Running);
    assert_eq!(s.resolution.met, None);
    assert_eq!(s.resolution.due_at, Some(mar(4, 13, 0)));
    assert_eq!(
        s.first_response.status,
        ClockStatus::Stopped { at: mar(3, 9, 30) }
    );
    assert_line(
        &s,
        "Reopened Tue 4 Mar 09:00: resolution clock resumes at 4h",
    );

    // A priority change while resolved keeps the verdict and applies on reopening.
    let mut events = events.to_vec();
    events.insert(
        3,
        ev(
            mar(3, 15, 0),
            SlaEventKind::TargetsChanged {
                targets: targets(Some(h(1)), Some(h(5))),
            },
        ),
    );
    let resolved = fold(&events[..4], &cal, mar(3, 16, 0));
    assert_eq!(resolved.resolution.target, Some(h(8)));
    assert_eq!(resolved.resolution.met, Some(true));
    let s = fold(&events, &cal, mar(4, 11, 0));
    assert_eq!(s.resolution.target, Some(h(5)));
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(mar(4, 10, 0)));
    assert_line(
        &s,
        "Priority changed: resolution target 8h → 5h; 4h already elapsed",
    );
}

#[test]
fn target_change_keeps_elapsed_and_recomputes_due() {
    let cal = office();
    let base = [started(mar(3, 9, 0), targets(None, Some(h(8))))];
    let before = fold(&base, &cal, mar(3, 12, 20));
    assert_eq!(before.resolution.due_at, Some(mar(3, 17, 0)));

    let mut events = base.to_vec();
    events.push(ev(
        mar(3, 12, 20),
        SlaEventKind::TargetsChanged {
            targets: targets(None, Some(h(4))),
        },
    ));
    let s = fold(&events, &cal, mar(3, 12, 30));
    assert_eq!(s.resolution.target, Some(h(4)));
    assert_eq!(s.resolution.elapsed, h(3) + m(30));
    assert_eq!(s.resolution.due_at, Some(mar(3, 13, 0)));
    // 75 % of the new target was already used up: due soon from the change on.
    assert_eq!(s.resolution.due_soon_at, Some(mar(3, 12, 20)));
    assert!(s.resolution.due_soon);
    assert_line(
        &s,
        "Priority changed: resolution target 8h → 4h; 3h20m already elapsed",
    );

    // A new target that is already used up is breached at the change.
    events[1] = ev(
        mar(3, 12, 20),
        SlaEventKind::TargetsChanged {
            targets: targets(None, Some(h(2))),
        },
    );
    let s = fold(&events, &cal, mar(3, 12, 30));
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(mar(3, 12, 20)));

    // Lowering the priority re-arms due soon but keeps an earlier breach.
    let events = [
        started(mar(3, 9, 0), targets(None, Some(h(2)))),
        ev(
            mar(3, 12, 0),
            SlaEventKind::TargetsChanged {
                targets: targets(None, Some(h(16))),
            },
        ),
    ];
    let s = fold(&events, &cal, mar(3, 12, 30));
    assert_eq!(s.resolution.breached_at, Some(mar(3, 11, 0)));
    assert!(!s.resolution.due_soon);
    assert_eq!(s.resolution.due_soon_at, Some(mar(4, 13, 0)));
    assert_eq!(
        next_timer(&s),
        Some((TimerKind::DueSoon(Metric::Resolution), mar(4, 13, 0)))
    );
}

#[test]
fn due_soon_at_75_percent_then_breach() {
    let cal = office();
    let events = [started(mar(3, 9, 0), targets(None, Some(h(8))))];
    let s = fold(&events, &cal, mar(3, 10, 0));
    assert_eq!(s.resolution.due_soon_at, Some(mar(3, 15, 0)));
    assert_eq!(
        next_timer(&s),
        Some((TimerKind::DueSoon(Metric::Resolution), mar(3, 15, 0)))
    );
    let s = fold(&events, &cal, mar(3, 15, 0));
    assert!(s.resolution.due_soon);
    assert!(!s.resolution.breached);
    assert_eq!(
        next_timer(&s),
        Some((TimerKind::Breach(Metric::Resolution), mar(3, 17, 0)))
    );
    // The breach timer finds the clock breached when it fires.
    let s = fold(&events, &cal, mar(3, 17, 0));
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(mar(3, 17, 0)));
    assert_eq!(next_timer(&s), None);

    // Another share, and none at all.
    let mut custom = targets(None, Some(h(8)));
    custom.due_soon_percent = 50;
    let s = fold(&[started(mar(3, 9, 0), custom)], &cal, mar(3, 10, 0));
    assert_eq!(s.resolution.due_soon_at, Some(mar(3, 13, 0)));
    custom.due_soon_percent = 0;
    let s = fold(&[started(mar(3, 9, 0), custom)], &cal, mar(3, 10, 0));
    assert_eq!(s.resolution.due_soon_at, None);
    assert_eq!(
        next_timer(&s),
        Some((TimerKind::Breach(Metric::Resolution), mar(3, 17, 0)))
    );
}

#[test]
fn a_paused_clock_cannot_breach() {
    let cal = office();
    let events = [
        started(mar(3, 9, 0), targets(None, Some(h(2)))),
        ev(mar(3, 10, 0), SlaEventKind::Paused),
    ];
    let s = fold(&events, &cal, mar(5, 12, 0));
    assert_eq!(s.resolution.status, ClockStatus::Paused);
    assert_eq!(s.resolution.elapsed, h(1));
    assert!(!s.resolution.breached);
    assert_eq!(s.resolution.due_at, None);
    assert_eq!(next_timer(&s), None);

    let mut events = events.to_vec();
    events.push(ev(mar(5, 12, 0), SlaEventKind::Resumed));
    let s = fold(&events, &cal, mar(5, 14, 0));
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(mar(5, 13, 0)));
}

#[test]
fn breach_is_detected_even_if_resolved_later() {
    let cal = office();
    let events = [
        started(mar(3, 9, 0), targets(None, Some(h(2)))),
        ev(mar(3, 16, 0), SlaEventKind::Resolved),
    ];
    let s = fold(&events, &cal, mar(10, 9, 0));
    assert_eq!(
        s.resolution.status,
        ClockStatus::Stopped { at: mar(3, 16, 0) }
    );
    assert!(s.resolution.breached);
    assert_eq!(s.resolution.breached_at, Some(mar(3, 11, 0)));
    assert_eq!(s.resolution.met, Some(false));
    assert_eq!(s.resolution.elapsed, h(7));
    assert_line(&s, "Resolution breached at Mon 3 Mar 11:00");
    assert_line(
        &s,
        "Resolved Mon 3 Mar 16:00 after 7h of business time (target 2h): breached",
    );
}

#[test]
fn calendar_edit_recomputes_due_instants() {
    let events = [started(mar(3, 9, 0), targets(Some(h(2)), Some(h(16))))];
    let now = mar(3, 9, 30);
    let nine_to_five = fold(&events, &office(), now);
    let eight_to_six = fold(&events, &office_hours(t(8, 0), t(18, 0), vec![]), now);
    assert_eq!(nine_to_five.resolution.due_at, Some(mar(4, 17, 0)));
    assert_eq!(eight_to_six.resolution.due_at, Some(mar(4, 15, 0)));
    // A holiday added on Tuesday moves the due date to Wednesday.
    let with_holiday = office_hours(
        t(9, 0),
        t(17, 0),
        vec![Holiday::day("Company day", date(2025, 3, 4))],
    );
    let s = fold(&events, &with_holiday, now);
    assert_eq!(s.resolution.due_at, Some(mar(5, 17, 0)));
    assert_line(&s, "Tue 4 Mar is a holiday (Company day)");
}

#[test]
fn first_response_does_not_pause_unless_configured() {
    let cal = office();
    let events = [
        started(mar(3, 9, 0), targets(Some(h(2)), Some(h(8)))),
        ev(mar(3, 9, 30), SlaEventKind::Paused),
    ];
    let s = fold(&events, &cal, mar(3, 12, 0));
    assert_eq!(s.first_response.status, ClockStatus::Running);
    assert_eq!(s.first_response.elapsed, h(3));
    assert_eq!(s.first_response.breached_at, Some(mar(3, 11, 0)));
    assert_eq!(s.resolution.elapsed, m(30));

    let mut pausing = targets(Some(h(2)), Some(h(8)));
    pausing.pause_first_response = true;
    let events = [
        started(mar(3, 9, 0), pausing),
        ev(mar(3, 9, 30), SlaEventKind::Paused),
        ev(mar(3, 11, 0), SlaEventKind::FirstResponse),
    ];
    let s = fold(&events, &cal, mar(3, 12, 0));
    assert_eq!(
        s.first_response.status,
        ClockStatus::Stopped { at: mar(3, 11, 0) }
    );
    assert_eq!(s.first_response.elapsed, m(30));
    assert_eq!(s.first_response.met, Some(true));
}

#[test]
fn resolving_without_a_reply_stops_first_response() {
    let events = [
        started(mar(3, 9, 0), targets(Some(h(1)), Some(h(8)))),
        ev(mar(3, 9, 20), SlaEventKind::Resolved),
    ];
    let s = fold(&events, &office(), mar(3, 12, 0));
    assert_eq!(
        s.first_response.status,
        ClockStatus::Stopped { at: mar(3, 9, 20) }
    );
    assert_eq!(s.first_response.met, Some(true));
    assert_line(&s, "First response counted at resolution");
}

#[test]
fn nonsensical_events_are_ignored_and_noted() {
    let cal = office();
    let events = [
        ev(mar(3, 8, 0), SlaEventKind::Paused),
        started(mar(3, 9, 0), targets(Some(h(1)), Some(h(8)))),
        started(mar(3, 9, 5), targets(Some(h(9)), Some(h(9)))),
        ev(mar(3, 9, 10), SlaEventKind::Resumed),
        ev(mar(3, 9, 20), SlaEventKind::FirstResponse),
        ev(mar(3, 9, 25), SlaEventKind::FirstResponse),
        ev(mar(3, 9, 30), SlaEventKind::Reopened),
        ev(mar(3, 10, 0), SlaEventKind::Paused),
        ev(mar(3, 10, 10), SlaEventKind::Paused),
        ev(mar(3, 11, 0), SlaEventKind::Resolved),
        ev(mar(3, 11, 5), SlaEventKind::Resolved),
        ev(mar(3, 11, 10), SlaEventKind::Paused),
        // Stamped before the event it follows: counted at 11:10.
        ev(mar(3, 9, 0), SlaEventKind::Reopened),
        ev(mar(3, 16, 0), SlaEventKind::Resolved),
        // After `now`: not applied.
        ev(mar(4, 9, 0), SlaEventKind::Reopened),
    ];
    let s = fold(&events, &cal, mar(3, 17, 0));
    assert_line(
        &s,
        "Ignored Paused at Mon 3 Mar 08:00: the SLA has not started",
    );
    assert_line(&s, "Ignored Started at Mon 3 Mar 09:05: already started");
    assert_line(
        &s,
        "Ignored Resumed at Mon 3 Mar 09:10: the clock was not paused",
    );
    assert_line(&s, "Ignored FirstResponse at Mon 3 Mar 09:25");
    assert_line(
        &s,
        "Ignored Reopened at Mon 3 Mar 09:30: the ticket is not resolved",
    );
    assert_line(&s, "Ignored Paused at Mon 3 Mar 10:10: already paused");
    assert_line(&s, "Ignored Resolved at Mon 3 Mar 11:05: already resolved");
    assert_line(
        &s,
        "Ignored Paused at Mon 3 Mar 11:10: the ticket is resolved",
    );
    assert_line(
        &s,
        "is earlier than the event before it; counted at Mon 3 Mar 11:10",
    );
    assert_line(&s, "1 event(s) after now not applied yet");
    // Targets are those of the first Started; 1 h before the pause, 4 h 50 min after the
    // reopening at 11:10.
    assert_eq!(s.resolution.target, Some(h(8)));
    assert_eq!(s.resolution.elapsed, h(5) + m(50));
    assert_eq!(
        s.resolution.status,
        ClockStatus::Stopped { at: mar(3, 16, 0) }
    );
    assert_eq!(s.first_response.elapsed, m(20));
    assert_eq!(s.pauses.len(), 1);
}

#[test]
fn empty_log_and_never_open_calendar() {
    let s = fold(&[], &office(), mar(3, 9, 0));
    assert_eq!(s.resolution.status, ClockStatus::NotStarted);
    assert_eq!(s.resolution.elapsed, Duration::zero());
    assert_eq!(next_timer(&s), None);

    let closed = Calendar::from_parts(BERLIN, vec![], vec![]).unwrap();
    let events = [started(mar(3, 9, 0), targets(Some(h(1)), Some(h(8))))];
    let s = fold(&events, &closed, mar(10, 9, 0));
    assert_eq!(s.resolution.status, ClockStatus::Running);
    assert_eq!(s.resolution.elapsed, Duration::zero());
    assert_eq!(s.resolution.due_at, None);
    assert_eq!(next_timer(&s), None);
    assert_line(&s, "never due");
}

#[test]
fn always_open_calendar_counts_wall_clock_time() {
    let events = [
        started(mar(3, 9, 0), targets(Some(h(4)), Some(h(24)))),
        ev(mar(3, 20, 0), SlaEventKind::Paused),
        ev(mar(4, 8, 0), SlaEventKind::Resumed),
    ];
    let s = fold(&events, &Calendar::always_open(), mar(4, 9, 0));
    assert_eq!(s.resolution.elapsed, h(12));
    assert_eq!(s.resolution.due_at, Some(mar(4, 21, 0)));
    assert_eq!(s.pauses[0].business_time_lost, h(12));
    assert!(s.first_response.breached);
}

#[test]
fn durations_format_compactly() {
    let cases = [
        (Duration::seconds(45), "45s"),
        (Duration::seconds(90), "1m30s"),
        (m(45), "45m"),
        (h(2) + m(10), "2h10m"),
        (h(8), "8h"),
        (Duration::days(3) + h(4), "3d 4h"),
        (Duration::days(2), "2d"),
        (Duration::zero(), "0s"),
        (-m(5), "-5m"),
    ];
    for (d, want) in cases {
        assert_eq!(format_duration(d), want);
    }
}

#[test]
fn targets_and_events_use_seconds_in_json() {
    let t: SlaTargets =
        serde_json::from_str(r#"{"firstResponse":3600,"resolution":28800}"#).unwrap();
    assert_eq!(t.first_response, Some(h(1)));
    assert_eq!(t.resolution, Some(h(8)));
    assert_eq!(t.due_soon_percent, 75);
    assert!(!t.pause_first_response);
    assert!(serde_json::from_str::<SlaTargets>(r#"{"resolution":-5}"#).is_err());

    let e = started(mar(3, 9, 0), t);
    let json = serde_json::to_value(&e).unwrap();
    assert_eq!(json["type"], "started");
    assert_eq!(json["targets"]["resolution"], 28_800);
    let back: SlaEvent = serde_json::from_value(json).unwrap();
    assert_eq!(back, e);
    let paused: SlaEvent =
        serde_json::from_str(r#"{"at":"2025-03-03T09:00:00Z","type":"paused"}"#).unwrap();
    assert_eq!(paused.kind, SlaEventKind::Paused);

    let state = fold(&[e], &office(), mar(3, 10, 0));
    let json = serde_json::to_value(&state).unwrap();
    assert_eq!(json["resolution"]["elapsed"], 3600);
    assert_eq!(json["resolution"]["status"]["state"], "running");
}

#[test]
fn berlin_dst_does_not_disturb_office_hours() {
    // The clocks go forward on Sunday 30 March 2025; 16 business hours from Friday 28
    // March 09:00 end on Monday 31 March 17:00 CEST.
    let events = [started(at(2025, 3, 28, 9, 0), targets(None, Some(h(16))))];
    let s = fold(&events, &office(), at(2025, 3, 28, 9, 0));
    assert_eq!(s.resolution.due_at, Some(at(2025, 3, 31, 17, 0)));
}
