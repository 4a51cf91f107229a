//! Property tests of calendar arithmetic over random calendars, starts and durations.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use catalyst_domain::calendar::{Calendar, Holiday, OpeningInterval};
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use chrono_tz::Tz;
use proptest::prelude::*;

const ZONES: [Tz; 8] = [
    chrono_tz::UTC,
    chrono_tz::Europe::Berlin,
    chrono_tz::America::New_York,
    chrono_tz::Australia::Lord_Howe,
    chrono_tz::Pacific::Apia,
    chrono_tz::America::Sao_Paulo,
    chrono_tz::Asia::Kolkata,
    chrono_tz::Asia::Tokyo,
];

/// Seconds since the Unix epoch of 2010-01-01 and 2014-01-01: starts fall in this window,
/// which holds Apia's skipped day and many DST changes.
const FROM: i64 = 1_262_304_000;
const TO: i64 = 1_388_534_400;

fn weekday(i: u8) -> Weekday {
    Weekday::try_from(i % 7).unwrap()
}

/// Up to `n` random intervals (start on a 5-minute grid or any second, 15 min to 24 h
/// long), keeping only those that do not overlap the ones kept before. At least 15
/// minutes a week keeps the 800 business hours the properties add within the 100-year
/// search horizon (a calendar open 1 s a week would need ~55,000 years).
fn intervals() -> impl Strategy<Value = Vec<OpeningInterval>> {
    prop::collection::vec(
        (
            0u8..7,
            prop_oneof![(0u32..288).prop_map(|m| m * 300), 0u32..86_400],
            prop_oneof![
                (3u32..=288).prop_map(|m| m * 300),
                900u32..=86_400,
                Just(86_400u32)
            ],
        ),
        1..8,
    )
    .prop_map(|raw| {
        let mut kept: Vec<(i64, i64)> = Vec::new();
        let mut out = Vec::new();
        for (day, start, len) in raw {
            let s = i64::from(day) * 86_400 + i64::from(start);
            let e = s + i64::from(len);
            let clash = kept.iter().any(|&(ks, ke)| {
                [-604_800, 0, 604_800]
                    .iter()
                    .any(|w| s < ke + w && ks + w < e)
            });
            if !clash {
                kept.push((s, e));
                out.push(OpeningInterval::new(
                    weekday(day),
                    NaiveTime::from_num_seconds_from_midnight_opt(start, 0).unwrap(),
                    Duration::seconds(i64::from(len)),
                ));
            }
        }
        out
    })
}

fn holidays() -> impl Strategy<Value = Vec<Holiday>> {
    let base = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    prop::collection::vec(
        (
            0i64..1461,
            0i64..10,
            prop::option::of((0u32..24, 1u32..=24)),
        ),
        0..6,
    )
    .prop_map(move |raw| {
        raw.into_iter()
            .map(|(offset, len, hours)| {
                let start = base + Duration::days(offset);
                match hours {
                    Some((from, span)) => {
                        let until = (from + span).min(24) % 24;
                        Holiday::partial(
                            "Partial",
                            start,
                            NaiveTime::from_hms_opt(from, 0, 0).unwrap(),
                            NaiveTime::from_hms_opt(until, 0, 0).unwrap(),
                        )
                    }
                    None => Holiday::range("Closed", start, start + Duration::days(len)),
                }
            })
            .collect()
    })
}

fn calendar() -> impl Strategy<Value = Calendar> {
    (0..ZONES.len(), intervals(), holidays()).prop_map(|(z, iv, hs)| {
        Calendar::from_parts(ZONES[z], iv, hs).expect("generated calendars are valid")
    })
}

fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (FROM..TO).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

/// Up to 400 hours of business time, in seconds.
fn duration() -> impl Strategy<Value = Duration> {
    prop_oneof![Just(0i64), 0i64..7_200, 0i64..1_440_000].prop_map(Duration::seconds)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn between_undoes_add(cal in calendar(), s in instant(), d in duration()) {
        let end = cal.add_business_time(s, d).unwrap();
        prop_assert!(end >= s);
        prop_assert_eq!(cal.business_time_between(s, end), d);
    }

    #[test]
    fn add_is_associative(cal in calendar(), s in instant(), d1 in duration(), d2 in duration()) {
        let step = cal.add_business_time(s, d1).unwrap();
        prop_assert_eq!(cal.add_business_time(step, d2), cal.add_business_time(s, d1 + d2));
    }

    #[test]
    fn add_is_monotonic(
        cal in calendar(),
        s in instant(),
        ds in 0i64..200_000,
        d in duration(),
        dd in duration(),
    ) {
        let later = s + Duration::seconds(ds);
        prop_assert!(cal.add_business_time(s, d).unwrap() <= cal.add_business_time(later, d).unwrap());
        prop_assert!(cal.add_business_time(s, d).unwrap() <= cal.add_business_time(s, d + dd).unwrap());
    }

    #[test]
    fn result_lies_in_open_time_or_at_its_closing_edge(cal in calendar(), s in instant(), d in duration()) {
        let end = cal.add_business_time(s, d).unwrap();
        if d.is_zero() {
            prop_assert_eq!(end, s);
        } else {
            let one = Duration::seconds(1);
            prop_assert!(cal.is_open(end - one));
            prop_assert_eq!(cal.business_time_between(end - one, end), one);
        }
    }

    #[test]
    fn between_is_additive_and_bounded(cal in calendar(), a in instant(), x in 0i64..3_000_000, y in 0i64..3_000_000) {
        let b = a + Duration::seconds(x);
        let c = b + Duration::seconds(y);
        let ab = cal.business_time_between(a, b);
        let bc = cal.business_time_between(b, c);
        prop_assert_eq!(ab + bc, cal.business_time_between(a, c));
        prop_assert!(ab <= b - a);
        prop_assert_eq!(cal.business_time_between(c, a), Duration::zero());
    }

    #[test]
    fn next_open_is_open_and_nothing_before_it_is(cal in calendar(), t in instant()) {
        let n = cal.next_open(t).unwrap();
        prop_assert!(n >= t);
        prop_assert!(cal.is_open(n));
        prop_assert_eq!(cal.business_time_between(t, n), Duration::zero());
        prop_assert_eq!(cal.is_open(t), n == t);
    }

    /// Without DST, business time is exactly the minutes whose local reading falls in an
    /// interval and outside holidays.
    #[test]
    fn matches_reference_without_dst(
        iv in intervals(),
        hs in holidays(),
        a in instant(),
        minutes in 0i64..4 * 1440,
        tokyo in any::<bool>(),
    ) {
        let zone = if tokyo { chrono_tz::Asia::Tokyo } else { chrono_tz::UTC };
        // Whole minutes keep the minute-stepping reference exact.
        let grid: Vec<OpeningInterval> = iv
            .iter()
            .map(|i| {
                let start = i.start.format("%H:%M").to_string();
                OpeningInterval::new(
                    i.weekday,
                    NaiveTime::parse_from_str(&start, "%H:%M").unwrap(),
                    Duration::minutes(i64::from(i.duration_secs.div_ceil(60))),
                )
            })
            .collect();
        let Ok(cal) = Calendar::from_parts(zone, grid.clone(), hs.clone()) else {
            return Ok(());
        };
        let a = DateTime::from_timestamp(a.timestamp() / 60 * 60, 0).unwrap();
        let b = a + Duration::minutes(minutes);
        let mut open = 0;
        let mut u = a;
        while u < b {
            let local = u.with_timezone(&zone).naive_local();
            let in_interval = grid.iter().any(|i| {
                (0..2).any(|back| {
                    let day = local.date() - Duration::days(back);
                    let s = day.and_time(i.start);
                    day.weekday() == i.weekday
                        && s <= local
                        && local < s + Duration::seconds(i64::from(i.duration_secs))
                })
            });
            let closed = hs.iter().any(|h| match h.hours {
                None => h.start <= local.date() && local.date() <= h.end,
                Some(c) => {
                    local.date() == h.start
                        && local.time() >= c.from
                        && (c.until == NaiveTime::MIN || local.time() < c.until)
                }
            });
            if in_interval && !closed {
                open += 1;
            }
            u += Duration::minutes(1);
        }
        prop_assert_eq!(cal.business_time_between(a, b), Duration::minutes(open));
    }
}
