//! Holiday import from iCalendar (`.ics`, RFC 5545) files.

use chrono::{Days, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};

use super::Holiday;

/// Why an `.ics` text could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IcsError {
    #[error("not an iCalendar file: {0}")]
    Syntax(String),
    #[error("the file contains no events")]
    NoEvents,
    #[error("event {index} ({summary}): {reason}")]
    Event {
        /// 1-based position of the VEVENT in the file.
        index: usize,
        summary: String,
        reason: String,
    },
}

/// Reads holidays from the VEVENTs of an iCalendar text.
///
/// * All-day events (`DTSTART;VALUE=DATE`) become whole-day holidays; `DTEND` is
///   exclusive as RFC 5545 says, and a missing `DTEND` means one day.
/// * Timed events become partial-day holidays in `zone`, split at local midnights (the
///   whole days in between become one range). Times in UTC or with a known `TZID` are
///   converted to `zone`; floating times and unknown `TZID`s are taken as wall-clock
///   times of `zone`. A timed event without `DTEND` closes nothing and is skipped.
/// * `SUMMARY` is the holiday's name ("Holiday" when absent). Recurrence rules are not
///   expanded: a recurring event imports its first occurrence only.
pub fn holidays_from_ics(text: &str, zone: Tz) -> Result<Vec<Holiday>, IcsError> {
    if !text.trim_start().starts_with("BEGIN:VCALENDAR") {
        return Err(IcsError::Syntax(
            "the text must start with BEGIN:VCALENDAR".to_string(),
        ));
    }
    let calendar: icalendar::Calendar = text
        .parse()
        .map_err(|e: String| IcsError::Syntax(e.lines().take(3).collect::<Vec<_>>().join(" ")))?;
    let mut holidays = Vec::new();
    let mut events = 0;
    for (i, event) in calendar.events().enumerate() {
        events += 1;
        let summary = event
            .get_summary()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .unwrap_or("Holiday")
            .to_string();
        let fail = |reason: &str| IcsError::Event {
            index: i + 1,
            summary: summary.clone(),
            reason: reason.to_string(),
        };
        let start = event
            .get_start()
            .ok_or_else(|| fail("DTSTART is missing or not a valid date or date-time"))?;
        let end = match event.properties().get("DTEND") {
            None => None,
            Some(_) => Some(
                event
                    .get_end()
                    .ok_or_else(|| fail("DTEND is not a valid date or date-time"))?,
            ),
        };
        match (start, end) {
            (DatePerhapsTime::Date(s), end) => {
                let end_exclusive = match end {
                    None => s.checked_add_days(Days::new(1)),
                    Some(DatePerhapsTime::Date(e)) => Some(e),
                    Some(DatePerhapsTime::DateTime(_)) => {
                        return Err(fail("DTSTART is a date but DTEND is a date-time"));
                    }
                }
                .ok_or_else(|| fail("date out of range"))?;
                if end_exclusive <= s {
                    return Err(fail("DTEND must be after DTSTART"));
                }
                let last = end_exclusive
                    .pred_opt()
                    .ok_or_else(|| fail("date out of range"))?;
                holidays.push(Holiday::range(summary.clone(), s, last));
            }
            (DatePerhapsTime::DateTime(_), None) => {}
            (DatePerhapsTime::DateTime(s), Some(DatePerhapsTime::DateTime(e))) => {
                let (s, e) = (to_local(&s, zone), to_local(&e, zone));
                if e <= s {
                    return Err(fail("DTEND must be after DTSTART"));
                }
                split_timed(&summary, s, e, &mut holidays)
                    .ok_or_else(|| fail("date out of range"))?;
            }
            (DatePerhapsTime::DateTime(_), Some(DatePerhapsTime::Date(_))) => {
                return Err(fail("DTSTART is a date-time but DTEND is a date"));
            }
        }
    }
    if events == 0 {
        return Err(IcsError::NoEvents);
    }
    Ok(holidays)
}

/// The wall-clock time of `dt` in `zone`.
fn to_local(dt: &CalendarDateTime, zone: Tz) -> NaiveDateTime {
    match dt {
        CalendarDateTime::Floating(n) => *n,
        CalendarDateTime::Utc(u) => u.with_timezone(&zone).naive_local(),
        CalendarDateTime::WithTimezone { date_time, tzid } => match tzid.parse::<Tz>() {
            Ok(src) => src
                .from_local_datetime(date_time)
                .earliest()
                .map_or(*date_time, |t| t.with_timezone(&zone).naive_local()),
            Err(_) => *date_time,
        },
    }
}

/// Splits the local range `[s, e)` at midnights into holidays: a partial first day, whole
/// days, a partial last day.
fn split_timed(
    name: &str,
    s: NaiveDateTime,
    e: NaiveDateTime,
    out: &mut Vec<Holiday>,
) -> Option<()> {
    let midnight = NaiveTime::MIN;
    if s.date() == e.date() {
        out.push(Holiday::partial(name, s.date(), s.time(), e.time()));
        return Some(());
    }
    // First date: from the start time to midnight (a whole day if it starts at 00:00).
    let mut full_from: NaiveDate = s.date();
    if s.time() != midnight {
        out.push(Holiday::partial(name, s.date(), s.time(), midnight));
        full_from = s.date().succ_opt()?;
    }
    // Whole days up to the end date (exclusive), then the morning of the end date.
    let end_date = e.date();
    if full_from < end_date {
        out.push(Holiday::range(name, full_from, end_date.pred_opt()?));
    }
    if e.time() != midnight {
        out.push(Holiday::partial(name, end_date, midnight, e.time()));
    }
    Some(())
}
