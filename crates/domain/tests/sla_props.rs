//! Property tests of the SLA fold over random event logs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use catalyst_domain::calendar::{Calendar, Holiday, OpeningInterval};
use catalyst_domain::sla::{ClockStatus, SlaEvent, SlaEventKind, SlaTargets, fold, next_timer};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use proptest::prelude::*;

fn calendars() -> Vec<Calendar> {
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    let office: Vec<OpeningInterval> = weekdays
        .iter()
        .map(|&d| OpeningInterval::from_times(d, t(9), t(17)))
        .collect();
    let holidays = vec![
        Holiday::day("Holiday", NaiveDate::from_ymd_opt(2025, 3, 5).unwrap()),
        Holiday::partial(
            "Half",
            NaiveDate::from_ymd_opt(2025, 3, 11).unwrap(),
            t(12),
            t(0),
        ),
    ];
    vec![
        Calendar::always_open(),
        Calendar::from_parts(chrono_tz::Europe::Berlin, office.clone(), holidays).unwrap(),
        Calendar::from_parts(
            chrono_tz::America::New_York,
            vec![OpeningInterval::from_times(Weekday::Sun, t(0), t(6))],
            vec![],
        )
        .unwrap(),
        Calendar::from_parts(chrono_tz::UTC, vec![], vec![]).unwrap(),
    ]
}

fn targets() -> impl Strategy<Value = SlaTargets> {
    (
        prop::option::of(0i64..40 * 3600),
        prop::option::of(0i64..200 * 3600),
        0u8..=120,
        any::<bool>(),
    )
        .prop_map(|(fr, res, pct, pause)| SlaTargets {
            first_response: fr.map(Duration::seconds),
            resolution: res.map(Duration::seconds),
            due_soon_percent: pct,
            pause_first_response: pause,
        })
}

fn kind() -> impl Strategy<Value = SlaEventKind> {
    prop_oneof![
        targets().prop_map(|targets| SlaEventKind::Started { targets }),
        Just(SlaEventKind::Paused),
        Just(SlaEventKind::Resumed),
        Just(SlaEventKind::FirstResponse),
        Just(SlaEventKind::Resolved),
        Just(SlaEventKind::Reopened),
        targets().prop_map(|targets| SlaEventKind::TargetsChanged { targets }),
    ]
}

/// 2025-03-01 (a Saturday, a week before the US change to summer time).
const BASE: i64 = 1_740_787_200;

fn events() -> impl Strategy<Value = Vec<SlaEvent>> {
    prop::collection::vec((-3_600i64..200_000, kind()), 0..25).prop_map(|raw| {
        let mut at = BASE;
        raw.into_iter()
            .map(|(step, kind)| {
                // Mostly forward, sometimes backwards in time.
                at += step;
                SlaEvent::new(DateTime::from_timestamp(at, 0).unwrap(), kind)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn fold_never_panics_and_elapsed_fits_wall_clock(
        events in events(),
        cal in 0usize..4,
        now_after in 0i64..5_000_000,
    ) {
        let cal = &calendars()[cal];
        let now = DateTime::<Utc>::from_timestamp(BASE + now_after, 0).unwrap();
        let s = fold(&events, cal, now);
        let first_start = events
            .iter()
            .find(|e| e.at <= now && matches!(e.kind, SlaEventKind::Started { .. }))
            .map(|e| e.at);
        for m in [&s.first_response, &s.resolution] {
            prop_assert!(m.elapsed >= Duration::zero());
            match first_start {
                Some(start) => prop_assert!(m.elapsed <= now - start),
                None => prop_assert_eq!(m.status, ClockStatus::NotStarted),
            }
            if let Some(at) = m.breached_at {
                prop_assert!(m.breached && at <= now);
            }
            if m.status != ClockStatus::Running {
                prop_assert_eq!(m.due_at, None);
            }
            if let (Some(target), false) = (m.target, m.breached) {
                prop_assert!(m.elapsed < target);
            }
        }
        for p in &s.pauses {
            prop_assert!(p.business_time_lost <= p.to.unwrap_or(now) - p.from);
        }
        if let Some((_, at)) = next_timer(&s) {
            prop_assert!(at > now);
        }
        prop_assert!(!s.trace.is_empty() || events.is_empty() || events.iter().all(|e| e.at > now));
    }
}
