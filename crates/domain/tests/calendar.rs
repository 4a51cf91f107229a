//! Business calendar arithmetic: exact results across DST changes, holidays, intervals
//! crossing midnight, validation and iCalendar import.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers fail loudly

use catalyst_domain::calendar::{
    Calendar, CalendarSpec, Holiday, IcsError, OpeningInterval, holidays_from_ics,
};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];
const ALL_DAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// A local wall-clock time that exists exactly once, as an instant.
fn at(zone: Tz, y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    zone.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn hours(h: i64) -> Duration {
    Duration::hours(h)
}

fn daily(days: &[Weekday], from: NaiveTime, to: NaiveTime) -> Vec<OpeningInterval> {
    days.iter()
        .map(|&d| OpeningInterval::from_times(d, from, to))
        .collect()
}

fn office(zone: Tz, holidays: Vec<Holiday>) -> Calendar {
    Calendar::from_parts(zone, daily(&WEEKDAYS, t(9, 0), t(17, 0)), holidays).unwrap()
}

/// Open on Sundays 00:00–06:00 only: the hours in which DST changes happen.
fn sunday_night(zone: Tz) -> Calendar {
    Calendar::from_parts(
        zone,
        vec![OpeningInterval::from_times(Weekday::Sun, t(0, 0), t(6, 0))],
        vec![],
    )
    .unwrap()
}

/// Business time of the whole Sunday `d` (and nothing else: the calendar is open on
/// Sundays only).
fn sunday_total(cal: &Calendar, d: NaiveDate) -> Duration {
    let a = Utc.from_utc_datetime(&d.pred_opt().unwrap().and_time(t(0, 0)));
    let b = Utc.from_utc_datetime(&d.succ_opt().unwrap().succ_opt().unwrap().and_time(t(0, 0)));
    cal.business_time_between(a, b)
}

#[test]
fn new_york_spring_forward_and_fall_back() {
    let cal = sunday_night(chrono_tz::America::New_York);
    // 2024-03-10: 02:00 EST jumps to 03:00 EDT, so 00:00–06:00 is 5 real hours.
    assert_eq!(sunday_total(&cal, date(2024, 3, 10)), hours(5));
    // 2024-11-03: 02:00 EDT falls back to 01:00 EST, so 00:00–06:00 is 7 real hours.
    assert_eq!(sunday_total(&cal, date(2024, 11, 3)), hours(7));
    // An ordinary Sunday.
    assert_eq!(sunday_total(&cal, date(2024, 6, 2)), hours(6));

    // Sunday 00:00 EST = 05:00Z; 5 h later it is 06:00 EDT = 10:00Z.
    let start = utc(2024, 3, 10, 5, 0);
    assert_eq!(
        cal.add_business_time(start, hours(5)),
        Some(utc(2024, 3, 10, 10, 0))
    );
    // One more second rolls over to the next Sunday (00:00 EDT = 04:00Z).
    assert_eq!(
        cal.add_business_time(start, hours(5) + Duration::seconds(1)),
        Some(utc(2024, 3, 17, 4, 0,) + Duration::seconds(1))
    );
    // Sunday 00:00 EDT = 04:00Z; 7 h later it is 06:00 EST = 11:00Z.
    let start = utc(2024, 11, 3, 4, 0);
    assert_eq!(
        cal.add_business_time(start, hours(7)),
        Some(utc(2024, 11, 3, 11, 0))
    );
    // Both passes through the repeated hour are open.
    assert!(cal.is_open(utc(2024, 11, 3, 5, 30))); // 01:30 EDT
    assert!(cal.is_open(utc(2024, 11, 3, 6, 30))); // 01:30 EST
    assert!(!cal.is_open(utc(2024, 11, 3, 11, 0)));

    // Boundaries inside the repeated hour: a start maps to its first occurrence, an end
    // to its second, so both intervals last 2 h 30 min on the fall-back day.
    let ny = chrono_tz::America::New_York;
    for (from, to) in [(t(0, 0), t(1, 30)), (t(1, 30), t(3, 0))] {
        let cal = Calendar::from_parts(
            ny,
            vec![OpeningInterval::from_times(Weekday::Sun, from, to)],
            vec![],
        )
        .unwrap();
        assert_eq!(
            sunday_total(&cal, date(2024, 11, 3)),
            hours(2) + Duration::minutes(30)
        );
        assert_eq!(
            sunday_total(&cal, date(2024, 11, 10)),
            hours(1) + Duration::minutes(30)
        );
    }
}

#[test]
fn berlin_spring_forward_and_fall_back() {
    let cal = sunday_night(chrono_tz::Europe::Berlin);
    assert_eq!(sunday_total(&cal, date(2024, 3, 31)), hours(5));
    assert_eq!(sunday_total(&cal, date(2024, 10, 27)), hours(7));
    assert_eq!(sunday_total(&cal, date(2024, 7, 7)), hours(6));
    // Sunday 00:00 CEST (22:00Z Saturday) + 7 h = 06:00 CET = 05:00Z.
    assert_eq!(
        cal.add_business_time(utc(2024, 10, 26, 22, 0), hours(7)),
        Some(utc(2024, 10, 27, 5, 0))
    );
    // Office hours are untouched by the change: Friday 17:00 CET to Monday 09:00 CEST is
    // closed, and a week of office hours is 40 hours either side.
    let cal = office(chrono_tz::Europe::Berlin, vec![]);
    let fri = at(chrono_tz::Europe::Berlin, 2024, 3, 29, 9, 0);
    let next_fri = at(chrono_tz::Europe::Berlin, 2024, 4, 5, 9, 0);
    assert_eq!(cal.business_time_between(fri, next_fri), hours(40));
    assert_eq!(
        cal.add_business_time(at(chrono_tz::Europe::Berlin, 2024, 3, 29, 16, 0), hours(2)),
        Some(at(chrono_tz::Europe::Berlin, 2024, 4, 1, 10, 0))
    );
}

#[test]
fn lord_howe_half_hour_dst() {
    let cal = sunday_night(chrono_tz::Australia::Lord_Howe);
    // 2024-04-07: 02:00 (+11) falls back to 01:30 (+10:30): 6 h 30 min.
    assert_eq!(
        sunday_total(&cal, date(2024, 4, 7)),
        hours(6) + Duration::minutes(30)
    );
    // 2024-10-06: 02:00 (+10:30) jumps to 02:30 (+11): 5 h 30 min.
    assert_eq!(
        sunday_total(&cal, date(2024, 10, 6)),
        hours(5) + Duration::minutes(30)
    );
    // An interval that starts inside the gap opens at the first instant after it.
    let cal = Calendar::from_parts(
        chrono_tz::Australia::Lord_Howe,
        vec![OpeningInterval::from_times(Weekday::Sun, t(2, 10), t(3, 0))],
        vec![],
    )
    .unwrap();
    // 02:30 +11 = 15:30Z Saturday; open 30 minutes until 03:00 +11.
    assert_eq!(sunday_total(&cal, date(2024, 10, 6)), Duration::minutes(30));
    assert_eq!(
        cal.next_open(utc(2024, 10, 5, 12, 0)),
        Some(utc(2024, 10, 5, 15, 30))
    );
}

#[test]
fn apia_skipped_day_contributes_nothing() {
    let apia = chrono_tz::Pacific::Apia;
    let cal = Calendar::from_parts(apia, daily(&ALL_DAYS, t(9, 0), t(17, 0)), vec![]).unwrap();
    // Thursday 2011-12-29 was followed directly by Saturday 2011-12-31.
    let thu = at(apia, 2011, 12, 29, 0, 0);
    let sat_end = at(apia, 2011, 12, 31, 23, 0);
    assert_eq!(cal.business_time_between(thu, sat_end), hours(16));
    assert_eq!(
        cal.add_business_time(at(apia, 2011, 12, 29, 17, 0), hours(8)),
        Some(at(apia, 2011, 12, 31, 17, 0))
    );
    assert_eq!(
        cal.next_open(at(apia, 2011, 12, 29, 18, 0)),
        Some(at(apia, 2011, 12, 31, 9, 0))
    );

    // Thursday 20:00 to (the missing) Friday 04:00 ends when the day vanished.
    let cal = Calendar::from_parts(
        apia,
        vec![OpeningInterval::from_times(Weekday::Thu, t(20, 0), t(4, 0))],
        vec![],
    )
    .unwrap();
    let week = cal.business_time_between(thu, at(apia, 2012, 1, 4, 0, 0));
    assert_eq!(week, hours(4));
}

#[test]
fn intervals_crossing_midnight() {
    let cal = Calendar::from_parts(
        chrono_tz::UTC,
        vec![OpeningInterval::from_times(Weekday::Fri, t(22, 0), t(6, 0))],
        vec![],
    )
    .unwrap();
    assert_eq!(cal.intervals()[0].duration_secs, 8 * 3600);
    assert!(cal.intervals()[0].crosses_midnight());
    // 2025-01-03 is a Friday.
    assert_eq!(
        cal.add_business_time(utc(2025, 1, 3, 23, 30), hours(1)),
        Some(utc(2025, 1, 4, 0, 30))
    );
    assert_eq!(
        cal.business_time_between(utc(2025, 1, 3, 21, 0), utc(2025, 1, 4, 7, 0)),
        hours(8)
    );
    assert!(cal.is_open(utc(2025, 1, 4, 5, 59)));
    assert!(!cal.is_open(utc(2025, 1, 4, 6, 0)));
    assert!(!cal.is_open(utc(2025, 1, 3, 21, 59)));
    // From inside the interval, 7 h is the rest of it plus 30 min of the next Friday.
    assert_eq!(
        cal.add_business_time(utc(2025, 1, 3, 22, 30), hours(8)),
        Some(utc(2025, 1, 10, 22, 30))
    );
    // A holiday on the Saturday closes the part after midnight.
    let cal = Calendar::from_parts(
        chrono_tz::UTC,
        vec![OpeningInterval::from_times(Weekday::Fri, t(22, 0), t(6, 0))],
        vec![Holiday::day("Closed", date(2025, 1, 4))],
    )
    .unwrap();
    assert_eq!(
        cal.business_time_between(utc(2025, 1, 3, 0, 0), utc(2025, 1, 5, 0, 0)),
        hours(2)
    );
}

#[test]
fn several_intervals_per_day() {
    let mut intervals = daily(&WEEKDAYS, t(9, 0), t(12, 0));
    intervals.extend(daily(&WEEKDAYS, t(13, 0), t(17, 0)));
    let cal = Calendar::from_parts(chrono_tz::Europe::Berlin, intervals, vec![]).unwrap();
    let berlin = chrono_tz::Europe::Berlin;
    // 2025-03-03 is a Monday.
    assert_eq!(
        cal.add_business_time(at(berlin, 2025, 3, 3, 10, 0), hours(4)),
        Some(at(berlin, 2025, 3, 3, 15, 0))
    );
    // Exactly the morning: ends at the closing edge, not at the afternoon start.
    assert_eq!(
        cal.add_business_time(at(berlin, 2025, 3, 3, 9, 0), hours(3)),
        Some(at(berlin, 2025, 3, 3, 12, 0))
    );
    assert!(!cal.is_open(at(berlin, 2025, 3, 3, 12, 30)));
    assert_eq!(
        cal.next_open(at(berlin, 2025, 3, 3, 12, 30)),
        Some(at(berlin, 2025, 3, 3, 13, 0))
    );
    assert_eq!(cal.weekly_open_time(), hours(35));
    assert_eq!(
        cal.business_time_between(at(berlin, 2025, 3, 3, 0, 0), at(berlin, 2025, 3, 10, 0, 0)),
        hours(35)
    );
}

#[test]
fn start_inside_and_outside_opening_hours() {
    let berlin = chrono_tz::Europe::Berlin;
    let cal = office(berlin, vec![]);
    // Inside: Monday 15:00 + 3 h = Tuesday 10:00.
    assert_eq!(
        cal.add_business_time(at(berlin, 2025, 3, 3, 15, 0), hours(3)),
        Some(at(berlin, 2025, 3, 4, 10, 0))
    );
    // Before opening and at the weekend: the clock starts at the next opening.
    assert_eq!(
        cal.add_business_time(at(berlin, 2025, 3, 3, 6, 0), hours(1)),
        Some(at(berlin, 2025, 3, 3, 10, 0))
    );
    assert_eq!(
        cal.add_business_time(at(berlin, 2025, 3, 8, 12, 0), hours(1)),
        Some(at(berlin, 2025, 3, 10, 10, 0))
    );
    // Zero duration returns the start, even when closed.
    let sat = at(berlin, 2025, 3, 8, 12, 0);
    assert_eq!(cal.add_business_time(sat, Duration::zero()), Some(sat));
    assert_eq!(cal.business_time_between(sat, sat), Duration::zero());
    assert_eq!(
        cal.business_time_between(at(berlin, 2025, 3, 4, 0, 0), at(berlin, 2025, 3, 3, 0, 0)),
        Duration::zero()
    );
}

fn christmas() -> Vec<Holiday> {
    vec![
        Holiday::partial("Christmas Eve", date(2024, 12, 24), t(12, 0), t(0, 0)),
        Holiday::range("Christmas", date(2024, 12, 25), date(2024, 12, 26)),
        Holiday::range("New Year", date(2024, 12, 31), date(2025, 1, 1)),
    ]
}

#[test]
fn holidays_ranges_partial_days_and_year_end() {
    let berlin = chrono_tz::Europe::Berlin;
    let cal = office(berlin, christmas());
    // Tuesday 24 Dec closes at noon; 25 and 26 are closed; resume Friday 27.
    assert_eq!(
        cal.add_business_time(at(berlin, 2024, 12, 24, 9, 0), hours(8)),
        Some(at(berlin, 2024, 12, 27, 14, 0))
    );
    assert!(cal.is_open(at(berlin, 2024, 12, 24, 11, 59)));
    assert!(!cal.is_open(at(berlin, 2024, 12, 24, 12, 0)));
    // Over the year end: Mon 30 Dec, then Thu 2 Jan.
    assert_eq!(
        cal.add_business_time(at(berlin, 2024, 12, 30, 9, 0), hours(16)),
        Some(at(berlin, 2024, 12, 30, 17, 0) + Duration::days(3))
    );
    assert_eq!(
        cal.next_open(at(berlin, 2024, 12, 30, 17, 0)),
        Some(at(berlin, 2025, 1, 2, 9, 0))
    );
    // Two weeks around Christmas hold 10 working days, minus 4 holidays and the
    // afternoon (5 h) of Christmas Eve.
    let a = at(berlin, 2024, 12, 23, 0, 0);
    let b = at(berlin, 2025, 1, 6, 0, 0);
    assert_eq!(cal.business_time_between(a, b), hours(8 * 10 - 8 * 4 - 5));
    let names: Vec<&str> = cal
        .holidays_between(a, b)
        .iter()
        .map(|h| h.name.as_str())
        .collect();
    assert_eq!(names, ["Christmas Eve", "Christmas", "New Year"]);
    assert!(
        cal.holidays_between(
            at(berlin, 2024, 12, 24, 9, 0),
            at(berlin, 2024, 12, 24, 12, 0)
        )
        .is_empty()
    );
}

#[test]
fn durations_spanning_many_weeks() {
    let berlin = chrono_tz::Europe::Berlin;
    let cal = office(berlin, vec![]);
    let start = at(berlin, 2025, 1, 6, 9, 0);
    let end = cal.add_business_time(start, hours(52 * 40)).unwrap();
    assert_eq!(end, at(berlin, 2026, 1, 2, 17, 0));
    assert_eq!(cal.business_time_between(start, end), hours(52 * 40));

    // Ten weekday holidays push the end ten working days further.
    let holidays: Vec<Holiday> = [
        (2025, 4, 18),
        (2025, 4, 21),
        (2025, 5, 1),
        (2025, 5, 29),
        (2025, 6, 9),
        (2025, 10, 3),
        (2025, 12, 24),
        (2025, 12, 25),
        (2025, 12, 26),
        (2026, 1, 1),
    ]
    .iter()
    .map(|&(y, m, d)| Holiday::day(format!("Holiday {m}-{d}"), date(y, m, d)))
    .collect();
    let cal = office(berlin, holidays);
    let end = cal.add_business_time(start, hours(52 * 40)).unwrap();
    assert_eq!(end, at(berlin, 2026, 1, 16, 17, 0));
    assert_eq!(cal.business_time_between(start, end), hours(52 * 40));
}

/// Independent reference: step through time minute by minute and ask whether the local
/// wall-clock reading lies in an interval and outside holidays. Valid for zones without
/// DST (boundary mapping only matters there).
fn reference_between(
    zone: Tz,
    intervals: &[OpeningInterval],
    holidays: &[Holiday],
    a: DateTime<Utc>,
    b: DateTime<Utc>,
) -> Duration {
    let mut open = 0;
    let mut u = a;
    while u < b {
        let local = u.with_timezone(&zone).naive_local();
        let in_interval = intervals.iter().any(|iv| {
            (0..2).any(|back| {
                let day = local.date() - Duration::days(back);
                if day.weekday_from_monday() != iv.weekday.num_days_from_monday() {
                    return false;
                }
                let s = day.and_time(iv.start);
                let e = s + Duration::seconds(i64::from(iv.duration_secs));
                s <= local && local < e
            })
        });
        let closed = holidays.iter().any(|h| match h.hours {
            None => h.start <= local.date() && local.date() <= h.end,
            Some(c) => {
                local.date() == h.start
                    && local.time() >= c.from
                    && (c.until == t(0, 0) || local.time() < c.until)
            }
        });
        if in_interval && !closed {
            open += 60;
        }
        u += Duration::minutes(1);
    }
    Duration::seconds(open)
}

trait WeekdayIndex {
    fn weekday_from_monday(&self) -> u32;
}
impl WeekdayIndex for NaiveDate {
    fn weekday_from_monday(&self) -> u32 {
        chrono::Datelike::weekday(self).num_days_from_monday()
    }
}

#[test]
fn matches_a_minute_by_minute_reference() {
    let tokyo = chrono_tz::Asia::Tokyo;
    let intervals = vec![
        OpeningInterval::from_times(Weekday::Mon, t(8, 30), t(12, 0)),
        OpeningInterval::from_times(Weekday::Mon, t(13, 0), t(18, 15)),
        OpeningInterval::from_times(Weekday::Wed, t(20, 0), t(2, 0)),
        OpeningInterval::from_times(Weekday::Thu, t(2, 0), t(3, 0)),
        OpeningInterval::from_times(Weekday::Sat, t(0, 0), t(0, 0)),
        OpeningInterval::from_times(Weekday::Sun, t(23, 0), t(1, 0)),
    ];
    let holidays = vec![
        Holiday::day("Founding", date(2025, 2, 12)),
        Holiday::partial("Half", date(2025, 2, 17), t(10, 0), t(14, 0)),
        Holiday::range("Week", date(2025, 3, 1), date(2025, 3, 6)),
    ];
    let cal = Calendar::from_parts(tokyo, intervals.clone(), holidays.clone()).unwrap();
    let a = at(tokyo, 2025, 2, 1, 7, 13);
    let b = at(tokyo, 2025, 3, 20, 19, 1);
    let expected = reference_between(tokyo, &intervals, &holidays, a, b);
    assert_eq!(cal.business_time_between(a, b), expected);
    let end = cal.add_business_time(a, expected).unwrap();
    assert!(end <= b);
    assert_eq!(cal.business_time_between(a, end), expected);
}

#[test]
fn always_open_is_wall_clock_time() {
    let cal = Calendar::always_open();
    let a = utc(2024, 3, 31, 0, 0);
    assert_eq!(
        cal.add_business_time(a, hours(10_000)),
        Some(a + hours(10_000))
    );
    assert_eq!(cal.business_time_between(a, a + hours(123)), hours(123));
    assert!(cal.is_open(a));
    assert_eq!(cal.next_open(a), Some(a));
    // The same week in a DST zone is also wall-clock time.
    let cal = Calendar::from_parts(
        chrono_tz::Europe::Berlin,
        daily(&ALL_DAYS, t(0, 0), t(0, 0)),
        vec![],
    )
    .unwrap();
    let b = at(chrono_tz::Europe::Berlin, 2024, 10, 20, 0, 0);
    assert_eq!(
        cal.business_time_between(b, b + hours(24 * 14)),
        hours(24 * 14)
    );
}

#[test]
fn never_open_calendars_give_up() {
    let empty = Calendar::from_parts(chrono_tz::Europe::Berlin, vec![], vec![]).unwrap();
    let a = utc(2025, 1, 1, 0, 0);
    assert_eq!(empty.add_business_time(a, hours(1)), None);
    assert_eq!(empty.next_open(a), None);
    assert!(!empty.is_open(a));
    assert_eq!(
        empty.business_time_between(a, a + hours(1000)),
        Duration::zero()
    );
    assert_eq!(empty.add_business_time(a, Duration::zero()), Some(a));

    // Holidays covering the whole search horizon.
    let holidays = (0..110)
        .map(|i| {
            let s = date(2025 + i, 1, 1);
            Holiday::range(format!("Closed {i}"), s, date(2025 + i, 12, 31))
        })
        .collect();
    let closed = office(chrono_tz::Europe::Berlin, holidays);
    assert_eq!(closed.add_business_time(a, hours(1)), None);
    assert_eq!(closed.next_open(a), None);
    assert_eq!(
        closed.business_time_between(a, a + hours(24 * 365)),
        Duration::zero()
    );
}

#[test]
fn validation_reports_each_problem() {
    let codes = |spec: CalendarSpec| -> Vec<&'static str> {
        Calendar::new(spec)
            .unwrap_err()
            .0
            .iter()
            .map(|e| e.code)
            .collect()
    };
    let spec = |intervals: Vec<OpeningInterval>, holidays: Vec<Holiday>| CalendarSpec {
        zone: "Europe/Berlin".into(),
        intervals,
        holidays,
    };
    assert_eq!(
        codes(CalendarSpec {
            zone: "Mars/Olympus".into(),
            ..spec(vec![], vec![])
        }),
        ["unknown_zone"]
    );
    // Same day.
    assert_eq!(
        codes(spec(
            vec![
                OpeningInterval::from_times(Weekday::Mon, t(9, 0), t(12, 0)),
                OpeningInterval::from_times(Weekday::Mon, t(11, 0), t(14, 0)),
            ],
            vec![]
        )),
        ["overlap"]
    );
    // Across midnight, and across the end of the week.
    assert_eq!(
        codes(spec(
            vec![
                OpeningInterval::from_times(Weekday::Fri, t(22, 0), t(6, 0)),
                OpeningInterval::from_times(Weekday::Sat, t(5, 0), t(8, 0)),
            ],
            vec![]
        )),
        ["overlap"]
    );
    assert_eq!(
        codes(spec(
            vec![
                OpeningInterval::from_times(Weekday::Sun, t(22, 0), t(6, 0)),
                OpeningInterval::from_times(Weekday::Mon, t(5, 0), t(8, 0)),
            ],
            vec![]
        )),
        ["overlap"]
    );
    // Touching intervals are fine.
    assert!(
        Calendar::new(spec(
            vec![
                OpeningInterval::from_times(Weekday::Sun, t(22, 0), t(6, 0)),
                OpeningInterval::from_times(Weekday::Mon, t(6, 0), t(8, 0)),
            ],
            vec![]
        ))
        .is_ok()
    );
    assert_eq!(
        codes(spec(
            vec![OpeningInterval::new(
                Weekday::Mon,
                t(9, 0),
                Duration::zero()
            )],
            vec![]
        )),
        ["zero_length"]
    );
    assert_eq!(
        codes(spec(
            vec![OpeningInterval::new(Weekday::Mon, t(9, 0), hours(25))],
            vec![]
        )),
        ["too_long"]
    );
    let many: Vec<OpeningInterval> = (0..71)
        .map(|i| OpeningInterval::new(ALL_DAYS[i % 7], t((i / 7) as u32, 0), Duration::minutes(10)))
        .collect();
    assert_eq!(codes(spec(many, vec![])), ["too_many"]);
    assert_eq!(
        codes(spec(
            vec![],
            vec![Holiday::range(
                "Backwards",
                date(2025, 1, 2),
                date(2025, 1, 1)
            )]
        )),
        ["end_before_start"]
    );
    assert_eq!(
        codes(spec(vec![], vec![Holiday::day(" ", date(2025, 1, 2))])),
        ["name_required"]
    );
    assert_eq!(
        codes(spec(
            vec![],
            vec![Holiday::partial(
                "Odd",
                date(2025, 1, 2),
                t(14, 0),
                t(10, 0)
            )]
        )),
        ["empty_hours"]
    );
    assert_eq!(
        codes(spec(
            vec![],
            vec![Holiday::range("Long", date(2025, 1, 1), date(2026, 1, 5))]
        )),
        ["too_long"]
    );
    let many: Vec<Holiday> = (0..1001)
        .map(|i| Holiday::day("x", date(2025, 1, 1) + Duration::days(i)))
        .collect();
    assert_eq!(codes(spec(vec![], many)), ["too_many"]);
    let err = Calendar::new(spec(
        vec![OpeningInterval::new(
            Weekday::Mon,
            t(9, 0),
            Duration::zero(),
        )],
        vec![],
    ))
    .unwrap_err();
    assert_eq!(err.0[0].field, "intervals");
    assert!(err.to_string().contains("zero length"), "{err}");
}

#[test]
fn json_round_trip_keeps_the_zone_name() {
    let cal = office(chrono_tz::Europe::Berlin, christmas());
    let json = serde_json::to_value(&cal).unwrap();
    assert_eq!(json["zone"], "Europe/Berlin");
    assert_eq!(json["intervals"][0]["weekday"], "Mon");
    assert_eq!(json["intervals"][0]["start"], "09:00:00");
    assert_eq!(json["intervals"][0]["durationSecs"], 28_800);
    let back: Calendar = serde_json::from_value(json).unwrap();
    assert_eq!(back, cal);

    let parsed: Calendar = serde_json::from_str(
        r#"{"zone":"America/New_York","intervals":[{"weekday":"Fri","start":"22:00","durationSecs":28800}],
            "holidays":[{"name":"Half day","start":"2025-07-03","end":"2025-07-03","hours":{"from":"12:00","until":"00:00"}}]}"#,
    )
    .unwrap();
    assert_eq!(parsed.zone(), chrono_tz::America::New_York);
    assert!(parsed.intervals()[0].crosses_midnight());
    let bad = serde_json::from_str::<Calendar>(r#"{"zone":"Nowhere/Land","intervals":[]}"#);
    assert!(bad.unwrap_err().to_string().contains("zone"));
}

const ICS_HEADER: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Example//Holidays//EN\r\n";

fn ics(events: &str) -> String {
    format!("{ICS_HEADER}{events}END:VCALENDAR\r\n")
}

#[test]
fn ics_all_day_and_multi_day_events() {
    let text = ics(concat!(
        "BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20240101T000000Z\r\n",
        "DTSTART;VALUE=DATE:20251225\r\nDTEND;VALUE=DATE:20251226\r\nSUMMARY:Christmas Day\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:20240101T000000Z\r\n",
        "DTSTART;VALUE=DATE:20251231\r\nDTEND;VALUE=DATE:20260103\r\nSUMMARY:Year end\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:3\r\nDTSTAMP:20240101T000000Z\r\n",
        "DTSTART;VALUE=DATE:20250501\r\nSUMMARY:Labour Day\r\nEND:VEVENT\r\n",
    ));
    let hs = holidays_from_ics(&text, chrono_tz::Europe::Berlin).unwrap();
    assert_eq!(
        hs,
        vec![
            Holiday::day("Christmas Day", date(2025, 12, 25)),
            Holiday::range("Year end", date(2025, 12, 31), date(2026, 1, 2)),
            Holiday::day("Labour Day", date(2025, 5, 1)),
        ]
    );
    // Imported holidays work in a calendar.
    let cal = office(chrono_tz::Europe::Berlin, hs);
    let berlin = chrono_tz::Europe::Berlin;
    assert_eq!(
        cal.next_open(at(berlin, 2025, 12, 30, 18, 0)),
        Some(at(berlin, 2026, 1, 5, 9, 0))
    );
}

#[test]
fn ics_timed_events_become_partial_days() {
    let text = ics(concat!(
        "BEGIN:VEVENT\r\nUID:1\r\nDTSTAMP:20240101T000000Z\r\n",
        "DTSTART;TZID=Europe/Berlin:20251224T120000\r\nDTEND;TZID=Europe/Berlin:20251224T170000\r\n",
        "SUMMARY:Christmas Eve afternoon\r\nEND:VEVENT\r\n",
        "BEGIN:VEVENT\r\nUID:2\r\nDTSTAMP:20240101T000000Z\r\n",
        "DTSTART:20251230T150000Z\r\nDTEND:20260102T090000Z\r\nSUMMARY:Shutdown\r\nEND:VEVENT\r\n",
    ));
    let hs = holidays_from_ics(&text, chrono_tz::Europe::Berlin).unwrap();
    assert_eq!(
        hs,
        vec![
            Holiday::partial(
                "Christmas Eve afternoon",
                date(2025, 12, 24),
                t(12, 0),
                t(17, 0)
            ),
            // 15:00Z = 16:00 Berlin, until 10:00 Berlin on 2 Jan.
            Holiday::partial("Shutdown", date(2025, 12, 30), t(16, 0), t(0, 0)),
            Holiday::range("Shutdown", date(2025, 12, 31), date(2026, 1, 1)),
            Holiday::partial("Shutdown", date(2026, 1, 2), t(0, 0), t(10, 0)),
        ]
    );
    let cal = office(chrono_tz::Europe::Berlin, hs);
    assert!(cal.holidays().len() == 4);
}

#[test]
fn ics_malformed_input_is_a_clear_error() {
    assert!(matches!(
        holidays_from_ics("hello world", chrono_tz::UTC),
        Err(IcsError::Syntax(_))
    ));
    assert!(matches!(
        holidays_from_ics("", chrono_tz::UTC),
        Err(IcsError::Syntax(_))
    ));
    assert!(matches!(
        holidays_from_ics(
            "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x",
            chrono_tz::UTC
        ),
        Err(IcsError::Syntax(_))
    ));
    assert_eq!(
        holidays_from_ics(&ics(""), chrono_tz::UTC),
        Err(IcsError::NoEvents)
    );
    let missing = ics("BEGIN:VEVENT\r\nUID:1\r\nSUMMARY:No start\r\nEND:VEVENT\r\n");
    match holidays_from_ics(&missing, chrono_tz::UTC) {
        Err(IcsError::Event { index, summary, .. }) => {
            assert_eq!((index, summary.as_str()), (1, "No start"));
        }
        other => panic!("unexpected {other:?}"),
    }
    let garbage_date =
        ics("BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:2025-13-45\r\nSUMMARY:Bad\r\nEND:VEVENT\r\n");
    assert!(matches!(
        holidays_from_ics(&garbage_date, chrono_tz::UTC),
        Err(IcsError::Event { .. })
    ));
    let backwards = ics(
        "BEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20250105\r\nDTEND;VALUE=DATE:20250101\r\nSUMMARY:Back\r\nEND:VEVENT\r\n",
    );
    let err = holidays_from_ics(&backwards, chrono_tz::UTC).unwrap_err();
    assert!(
        err.to_string().contains("DTEND must be after DTSTART"),
        "{err}"
    );
}

/// 100,000 due-date computations of up to two weeks of office hours. Timed only in
/// optimised builds (`cargo test --release`), where they must take well under a second.
#[test]
fn many_calls_are_fast() {
    let berlin = chrono_tz::Europe::Berlin;
    let cal = office(berlin, christmas());
    let start = at(berlin, 2024, 10, 1, 8, 0);
    let began = std::time::Instant::now();
    let mut last = start;
    for i in 0..100_000i64 {
        let s = start + Duration::minutes(i * 7);
        let due = cal
            .add_business_time(s, Duration::minutes(1 + i % (80 * 60)))
            .unwrap();
        last = last.max(due);
    }
    let took = began.elapsed();
    assert!(last > start);
    if !cfg!(debug_assertions) {
        assert!(
            took < std::time::Duration::from_millis(700),
            "took {took:?}"
        );
    }
}
