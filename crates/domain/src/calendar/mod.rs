//! Business calendars: weekly opening hours in an IANA time zone, minus holidays, and the
//! arithmetic the SLA clocks need ("add 8 business hours", "business time between").
//!
//! # Model
//!
//! * Opening hours are a set of weekly [`OpeningInterval`]s: a weekday, a local start
//!   time and a length (1 second to 24 hours). An interval that runs past midnight simply
//!   continues into the next day: Friday 22:00 for 8 hours is open until Saturday 06:00.
//!   [`OpeningInterval::from_times`] builds one from a start and an end time, where an end
//!   at or before the start means "on the next day". Intervals may not overlap anywhere
//!   in the week (a cross-midnight interval is checked against the next day's hours too).
//! * [`Holiday`]s close whole dates, inclusive date ranges, or (with [`ClosedHours`]) only
//!   a time range of one date. Holidays close wall-clock time: a Friday-night interval
//!   that runs into a Saturday holiday ends at Saturday 00:00.
//! * Business time is real elapsed time (seconds of UTC) that falls inside open,
//!   non-holiday wall-clock time of the calendar's zone.
//!
//! # Daylight saving time
//!
//! Every boundary of open time (interval starts and ends, holiday edges) is a local
//! wall-clock time that is mapped to an instant:
//!
//! * a local time inside a DST gap maps to the first instant after the gap;
//! * an ambiguous local time (the repeated hour when clocks fall back) maps to its
//!   **earliest** instant when it opens time and to its **latest** instant when it closes
//!   time, so open time is never lost to the ambiguity.
//!
//! So a 00:00–06:00 interval lasts 7 real hours on a fall-back day and 5 on a
//! spring-forward day, and a local date that does not exist at all (Pacific/Apia skipped
//! 2011-12-30) contributes no time.
//!
//! # Calendars that are never open
//!
//! A calendar without opening intervals is valid (it is what "the SLA clock never runs"
//! looks like). [`Calendar::add_business_time`] and [`Calendar::next_open`] return `None`
//! when no open time exists within [`SEARCH_HORIZON_DAYS`] of the start, which is always
//! the case for such a calendar and for one whose holidays cover the whole horizon; they
//! never loop forever. [`Calendar::business_time_between`] then returns zero.
//!
//! Instants are handled at whole-second precision: sub-second parts are dropped.

mod ics;

pub use ics::{IcsError, holidays_from_ics};

use std::fmt;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Timelike,
    Utc, Weekday,
};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::validation::FieldError;

/// At most this many opening intervals per calendar.
pub const MAX_INTERVALS: usize = 70;
/// At most this many holidays per calendar.
pub const MAX_HOLIDAYS: usize = 1000;
/// A holiday range covers at most this many dates.
pub const MAX_HOLIDAY_DAYS: i64 = 366;
/// At most this many characters in a holiday's name.
pub const MAX_HOLIDAY_NAME_CHARS: usize = 200;
/// How far ahead (in days) a search for open time goes before giving up.
pub const SEARCH_HORIZON_DAYS: u64 = 100 * 366;

const DAY_SECS: i64 = 86_400;
const WEEK_SECS: i64 = 7 * DAY_SECS;

/// One weekly opening interval: from `start` (local time) on `weekday`, for `duration_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OpeningInterval {
    pub weekday: Weekday,
    pub start: NaiveTime,
    pub duration_secs: u32,
}

impl OpeningInterval {
    /// An interval of the given length; negative or oversized lengths are kept out of
    /// range so that validation rejects them.
    pub fn new(weekday: Weekday, start: NaiveTime, duration: Duration) -> Self {
        let secs = duration.num_seconds().clamp(0, i64::from(u32::MAX));
        Self {
            weekday,
            start,
            duration_secs: u32::try_from(secs).unwrap_or(u32::MAX),
        }
    }

    /// An interval from `start` to `end` on the same day, or — when `end <= start` — to
    /// `end` on the next day (so 00:00 to 00:00 is a full day).
    pub fn from_times(weekday: Weekday, start: NaiveTime, end: NaiveTime) -> Self {
        let s = i64::from(start.num_seconds_from_midnight());
        let mut e = i64::from(end.num_seconds_from_midnight());
        if e <= s {
            e += DAY_SECS;
        }
        Self::new(weekday, start, Duration::seconds(e - s))
    }

    /// The local time at which the interval closes (on the next day if it crosses midnight).
    pub fn end_time(&self) -> NaiveTime {
        self.start + Duration::seconds(i64::from(self.duration_secs))
    }

    /// Whether the interval runs past midnight into the next day.
    pub fn crosses_midnight(&self) -> bool {
        i64::from(self.start.num_seconds_from_midnight()) + i64::from(self.duration_secs) > DAY_SECS
    }

    fn week_start_secs(&self) -> i64 {
        i64::from(self.weekday.num_days_from_monday()) * DAY_SECS
            + i64::from(self.start.num_seconds_from_midnight())
    }
}

impl fmt::Display for OpeningInterval {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}–{}{}",
            self.weekday,
            self.start.format("%H:%M"),
            self.end_time().format("%H:%M"),
            if self.crosses_midnight() {
                " (+1 day)"
            } else {
                ""
            }
        )
    }
}

/// The closed part of a partial-day holiday: from `from` to `until` local time. An
/// `until` of 00:00 means midnight at the end of the date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClosedHours {
    pub from: NaiveTime,
    pub until: NaiveTime,
}

/// A named closure: the dates `start..=end`, whole days unless `hours` restricts it (then
/// `start` and `end` must be the same date).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Holiday {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<ClosedHours>,
}

impl Holiday {
    /// A whole-day holiday on one date.
    pub fn day(name: impl Into<String>, date: NaiveDate) -> Self {
        Self::range(name, date, date)
    }

    /// A whole-day holiday over the dates `start..=end`.
    pub fn range(name: impl Into<String>, start: NaiveDate, end: NaiveDate) -> Self {
        Self {
            name: name.into(),
            start,
            end,
            hours: None,
        }
    }

    /// A holiday that closes only `from..until` of one date (`until` 00:00 = end of day).
    pub fn partial(
        name: impl Into<String>,
        date: NaiveDate,
        from: NaiveTime,
        until: NaiveTime,
    ) -> Self {
        Self {
            name: name.into(),
            start: date,
            end: date,
            hours: Some(ClosedHours { from, until }),
        }
    }

    /// The local wall-clock range this holiday closes (end exclusive).
    fn closed_range(&self) -> Option<(NaiveDateTime, NaiveDateTime)> {
        match self.hours {
            None => Some((
                self.start.and_time(NaiveTime::MIN),
                self.end.succ_opt()?.and_time(NaiveTime::MIN),
            )),
            Some(h) => {
                let until = if h.until == NaiveTime::MIN {
                    self.start.succ_opt()?.and_time(NaiveTime::MIN)
                } else {
                    self.start.and_time(h.until)
                };
                Some((self.start.and_time(h.from), until))
            }
        }
    }
}

impl fmt::Display for Holiday {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let day = |d: NaiveDate| d.format("%a %-d %b %Y").to_string();
        if self.start == self.end {
            write!(f, "{}", day(self.start))?;
        } else {
            write!(f, "{} – {}", day(self.start), day(self.end))?;
        }
        if let Some(h) = self.hours {
            write!(
                f,
                " {}–{}",
                h.from.format("%H:%M"),
                if h.until == NaiveTime::MIN {
                    "24:00".to_string()
                } else {
                    h.until.format("%H:%M").to_string()
                }
            )?;
        }
        write!(f, " ({})", self.name)
    }
}

/// The stored form of a calendar: what is read from and written to JSON. Turn it into a
/// [`Calendar`] with [`Calendar::new`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CalendarSpec {
    /// IANA zone name, e.g. `Europe/Berlin`.
    pub zone: String,
    #[serde(default)]
    pub intervals: Vec<OpeningInterval>,
    #[serde(default)]
    pub holidays: Vec<Holiday>,
}

/// Why a calendar was rejected: one field error per problem found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidCalendar(pub Vec<FieldError>);

impl fmt::Display for InvalidCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("invalid calendar: ")?;
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for InvalidCalendar {}

type LocalRange = (NaiveDateTime, NaiveDateTime);

/// A validated business calendar. Serialises as its [`CalendarSpec`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "CalendarSpec", into = "CalendarSpec")]
pub struct Calendar {
    zone: Tz,
    intervals: Vec<OpeningInterval>,
    holidays: Vec<Holiday>,
    /// Per weekday (Monday first): `(start seconds after midnight, length)`, by start.
    by_weekday: [Vec<(i64, i64)>; 7],
    /// Holiday closures as sorted, disjoint local ranges.
    closures: Vec<LocalRange>,
    weekly_secs: i64,
}

impl TryFrom<CalendarSpec> for Calendar {
    type Error = InvalidCalendar;
    fn try_from(spec: CalendarSpec) -> Result<Self, Self::Error> {
        Calendar::new(spec)
    }
}

impl From<Calendar> for CalendarSpec {
    fn from(c: Calendar) -> Self {
        CalendarSpec {
            zone: c.zone.name().to_string(),
            intervals: c.intervals,
            holidays: c.holidays,
        }
    }
}

impl Calendar {
    /// Validates a stored calendar, reporting every problem found.
    pub fn new(spec: CalendarSpec) -> Result<Self, InvalidCalendar> {
        let mut errors = Vec::new();
        let zone = match spec.zone.trim().parse::<Tz>() {
            Ok(z) => Some(z),
            Err(_) => {
                errors.push(FieldError::new(
                    "zone",
                    "unknown_zone",
                    format!(
                        "{:?} is not an IANA time zone name (like Europe/Berlin)",
                        spec.zone
                    ),
                ));
                None
            }
        };
        check_intervals(&spec.intervals, &mut errors);
        check_holidays(&spec.holidays, &mut errors);
        match zone {
            Some(zone) if errors.is_empty() => Ok(Self::build(zone, spec.intervals, spec.holidays)),
            _ => Err(InvalidCalendar(errors)),
        }
    }

    /// Validates a calendar given as its parts.
    pub fn from_parts(
        zone: Tz,
        intervals: Vec<OpeningInterval>,
        holidays: Vec<Holiday>,
    ) -> Result<Self, InvalidCalendar> {
        Self::new(CalendarSpec {
            zone: zone.name().to_string(),
            intervals,
            holidays,
        })
    }

    /// Open around the clock, every day, in UTC and without holidays: business time is
    /// wall-clock time and every operation is O(1).
    pub fn always_open() -> Self {
        let intervals = [
            Weekday::Mon,
            Weekday::Tue,
            Weekday::Wed,
            Weekday::Thu,
            Weekday::Fri,
            Weekday::Sat,
            Weekday::Sun,
        ]
        .into_iter()
        .map(|d| OpeningInterval {
            weekday: d,
            start: NaiveTime::MIN,
            duration_secs: 86_400,
        })
        .collect();
        Self::build(Tz::UTC, intervals, Vec::new())
    }

    fn build(zone: Tz, mut intervals: Vec<OpeningInterval>, mut holidays: Vec<Holiday>) -> Self {
        intervals.sort_by_key(OpeningInterval::week_start_secs);
        holidays.sort_by(|a, b| (a.start, a.end, &a.name).cmp(&(b.start, b.end, &b.name)));
        let mut by_weekday: [Vec<(i64, i64)>; 7] = Default::default();
        let mut weekly_secs = 0;
        for iv in &intervals {
            let idx = iv.weekday.num_days_from_monday() as usize;
            let len = i64::from(iv.duration_secs);
            by_weekday[idx].push((i64::from(iv.start.num_seconds_from_midnight()), len));
            weekly_secs += len;
        }
        let mut ranges: Vec<LocalRange> =
            holidays.iter().filter_map(Holiday::closed_range).collect();
        ranges.sort();
        let mut closures: Vec<LocalRange> = Vec::with_capacity(ranges.len());
        for (s, e) in ranges {
            match closures.last_mut() {
                Some(last) if s <= last.1 => last.1 = last.1.max(e),
                _ => closures.push((s, e)),
            }
        }
        Self {
            zone,
            intervals,
            holidays,
            by_weekday,
            closures,
            weekly_secs,
        }
    }

    pub fn zone(&self) -> Tz {
        self.zone
    }

    /// Opening intervals, Monday first, by start time.
    pub fn intervals(&self) -> &[OpeningInterval] {
        &self.intervals
    }

    /// Holidays, by date.
    pub fn holidays(&self) -> &[Holiday] {
        &self.holidays
    }

    /// Nominal open time of one week without holidays or DST changes.
    pub fn weekly_open_time(&self) -> Duration {
        Duration::seconds(self.weekly_secs)
    }

    /// Open every second of the week with no holidays: business time is wall-clock time.
    fn is_always_open(&self) -> bool {
        self.weekly_secs == WEEK_SECS && self.closures.is_empty()
    }

    /// Whether `t` falls inside open time (a closing instant itself is closed).
    pub fn is_open(&self, t: DateTime<Utc>) -> bool {
        if self.is_always_open() {
            return true;
        }
        if self.weekly_secs == 0 {
            return false;
        }
        let t0 = t.timestamp();
        let Some(mut w) = Walker::new(self, t0, 2) else {
            return false;
        };
        while let Some(s) = w.next_span() {
            if s.start > t0 {
                return false;
            }
            if t0 < s.end {
                return true;
            }
        }
        false
    }

    /// The first open instant at or after `t`; `None` if there is none within the search
    /// horizon.
    pub fn next_open(&self, t: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.is_always_open() {
            return Some(t);
        }
        if self.weekly_secs == 0 {
            return None;
        }
        let t0 = t.timestamp();
        let mut w = Walker::new(self, t0, SEARCH_HORIZON_DAYS)?;
        while let Some(s) = w.next_span() {
            if s.end > t0 {
                return if s.start <= t0 {
                    Some(t)
                } else {
                    instant(s.start)
                };
            }
        }
        None
    }

    /// The instant at which `d` of business time has passed after `start`. A zero (or
    /// negative) `d` returns `start` unchanged; otherwise the result lies inside open time
    /// or exactly at a closing edge. `None` if the calendar does not have that much open
    /// time within the search horizon (never for an always-open calendar).
    pub fn add_business_time(&self, start: DateTime<Utc>, d: Duration) -> Option<DateTime<Utc>> {
        let mut remaining = d.num_seconds();
        if remaining <= 0 {
            return Some(start);
        }
        let t0 = start.timestamp();
        if self.is_always_open() {
            return instant(t0.checked_add(remaining)?);
        }
        if self.weekly_secs == 0 {
            return None;
        }
        let mut w = Walker::new(self, t0, SEARCH_HORIZON_DAYS)?;
        loop {
            if remaining > self.weekly_secs && w.try_skip_week(t0, None) {
                remaining -= self.weekly_secs;
                continue;
            }
            let s = w.next_span()?;
            if s.end <= t0 {
                continue;
            }
            let from = s.start.max(t0);
            let available = s.end - from;
            if remaining <= available {
                return instant(from + remaining);
            }
            remaining -= available;
        }
    }

    /// Business time in `[a, b)`; zero if `b <= a`.
    pub fn business_time_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Duration {
        let (t0, t1) = (a.timestamp(), b.timestamp());
        if t1 <= t0 || self.weekly_secs == 0 {
            return Duration::zero();
        }
        if self.is_always_open() {
            return Duration::seconds(t1 - t0);
        }
        let days = u64::try_from((t1 - t0) / DAY_SECS + 4).unwrap_or(u64::MAX);
        let Some(mut w) = Walker::new(self, t0, days) else {
            return Duration::zero();
        };
        let mut total = 0;
        loop {
            if w.try_skip_week(t0, Some(t1)) {
                total += self.weekly_secs;
                continue;
            }
            let Some(s) = w.next_span() else { break };
            if s.start >= t1 {
                break;
            }
            if s.end <= t0 {
                continue;
            }
            total += s.end.min(t1) - s.start.max(t0);
        }
        Duration::seconds(total)
    }

    /// The holidays whose closed time overlaps `[a, b)`, by date (for explanations).
    pub fn holidays_between(&self, a: DateTime<Utc>, b: DateTime<Utc>) -> Vec<&Holiday> {
        let (t0, t1) = (a.timestamp(), b.timestamp());
        if t1 <= t0 {
            return Vec::new();
        }
        self.holidays
            .iter()
            .filter(|h| {
                h.closed_range().is_some_and(|(s, e)| {
                    let (s, e) = (self.map_start(s), self.map_end(e));
                    s < e && s < t1 && e > t0
                })
            })
            .collect()
    }

    /// Earliest instant for a local time that opens a range (gap: first instant after it).
    fn map_start(&self, local: NaiveDateTime) -> i64 {
        match self.zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.timestamp(),
            chrono::LocalResult::Ambiguous(earliest, _) => earliest.timestamp(),
            chrono::LocalResult::None => self.gap_end(local),
        }
    }

    /// Latest instant for a local time that closes a range (gap: first instant after it).
    fn map_end(&self, local: NaiveDateTime) -> i64 {
        match self.zone.from_local_datetime(&local) {
            chrono::LocalResult::Single(t) => t.timestamp(),
            chrono::LocalResult::Ambiguous(_, latest) => latest.timestamp(),
            chrono::LocalResult::None => self.gap_end(local),
        }
    }

    /// UTC offset in seconds at the instant `t`.
    fn offset_at(&self, t: i64) -> i64 {
        DateTime::from_timestamp(t, 0).map_or(0, |u| {
            i64::from(
                self.zone
                    .offset_from_utc_datetime(&u.naive_utc())
                    .fix()
                    .local_minus_utc(),
            )
        })
    }

    /// The first instant whose local time is at or after `local` (the end of the DST gap
    /// that swallowed `local`), found by bisection: offsets are within ±15 h and gaps at
    /// most a day long.
    fn gap_end(&self, local: NaiveDateTime) -> i64 {
        let target = local.and_utc().timestamp();
        let (mut lo, mut hi) = (target - 50 * 3600, target + 50 * 3600);
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if mid + self.offset_at(mid) >= target {
                hi = mid;
            } else {
                lo = mid;
            }
        }
        hi
    }

    /// The local date of instant `t`.
    fn local_date(&self, t: i64) -> Option<NaiveDate> {
        let u = DateTime::from_timestamp(t, 0)?;
        Some(u.with_timezone(&self.zone).date_naive())
    }

    /// The fixed UTC offset of a local time, if it exists exactly once.
    fn single_offset(&self, local: NaiveDateTime) -> Option<i64> {
        self.zone
            .offset_from_local_datetime(&local)
            .single()
            .map(|o| i64::from(o.fix().local_minus_utc()))
    }

    fn closures_overlapping(&self, from: NaiveDateTime, to: NaiveDateTime) -> &[LocalRange] {
        let first = self.closures.partition_point(|c| c.1 <= from);
        let rest = &self.closures[first..];
        let n = rest.partition_point(|c| c.0 < to);
        &rest[..n]
    }
}

fn instant(secs: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs, 0)
}

fn check_intervals(intervals: &[OpeningInterval], errors: &mut Vec<FieldError>) {
    if intervals.len() > MAX_INTERVALS {
        errors.push(FieldError::new(
            "intervals",
            "too_many",
            format!("at most {MAX_INTERVALS} opening intervals are allowed"),
        ));
        return;
    }
    let mut ok = true;
    for iv in intervals {
        if iv.duration_secs == 0 {
            ok = false;
            errors.push(FieldError::new(
                "intervals",
                "zero_length",
                format!(
                    "{} {} has zero length",
                    iv.weekday,
                    iv.start.format("%H:%M")
                ),
            ));
        } else if i64::from(iv.duration_secs) > DAY_SECS {
            ok = false;
            errors.push(FieldError::new(
                "intervals",
                "too_long",
                format!("{iv} is longer than 24 hours"),
            ));
        }
        if iv.start.nanosecond() != 0 {
            ok = false;
            errors.push(FieldError::new(
                "intervals",
                "format",
                format!("{iv}: start must be whole seconds"),
            ));
        }
    }
    if !ok {
        return;
    }
    let mut sorted: Vec<&OpeningInterval> = intervals.iter().collect();
    sorted.sort_by_key(|iv| iv.week_start_secs());
    let overlap = |a: &OpeningInterval, b: &OpeningInterval| {
        FieldError::new("intervals", "overlap", format!("{a} overlaps {b}"))
    };
    for pair in sorted.windows(2) {
        let (a, b) = (pair[0], pair[1]);
        if a.week_start_secs() + i64::from(a.duration_secs) > b.week_start_secs() {
            errors.push(overlap(a, b));
        }
    }
    if let (Some(first), Some(last)) = (sorted.first(), sorted.last())
        && sorted.len() > 1
        && last.week_start_secs() + i64::from(last.duration_secs) - WEEK_SECS
            > first.week_start_secs()
    {
        errors.push(overlap(last, first));
    }
}

fn check_holidays(holidays: &[Holiday], errors: &mut Vec<FieldError>) {
    if holidays.len() > MAX_HOLIDAYS {
        errors.push(FieldError::new(
            "holidays",
            "too_many",
            format!("at most {MAX_HOLIDAYS} holidays are allowed"),
        ));
        return;
    }
    for h in holidays {
        let name = h.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new(
                "holidays",
                "name_required",
                format!("the holiday on {} needs a name", h.start),
            ));
        } else if name.chars().count() > MAX_HOLIDAY_NAME_CHARS {
            errors.push(FieldError::new(
                "holidays",
                "name_too_long",
                format!("holiday names have at most {MAX_HOLIDAY_NAME_CHARS} characters"),
            ));
        }
        if h.end < h.start {
            errors.push(FieldError::new(
                "holidays",
                "end_before_start",
                format!(
                    "{:?} ends ({}) before it starts ({})",
                    h.name, h.end, h.start
                ),
            ));
            continue;
        }
        if (h.end - h.start).num_days() + 1 > MAX_HOLIDAY_DAYS {
            errors.push(FieldError::new(
                "holidays",
                "too_long",
                format!("{:?} covers more than {MAX_HOLIDAY_DAYS} days", h.name),
            ));
        }
        if h.start.succ_opt().is_none() || h.end.succ_opt().is_none() {
            errors.push(FieldError::new(
                "holidays",
                "out_of_range",
                format!("{:?} has a date out of range", h.name),
            ));
        }
        if let Some(hours) = h.hours {
            if h.start != h.end {
                errors.push(FieldError::new(
                    "holidays",
                    "partial_range",
                    format!("{:?}: closed hours apply to a single date only", h.name),
                ));
            }
            if hours.until != NaiveTime::MIN && hours.until <= hours.from {
                errors.push(FieldError::new(
                    "holidays",
                    "empty_hours",
                    format!("{:?}: closed hours must end after they start", h.name),
                ));
            }
        }
    }
}

/// A stretch of open time as Unix seconds, `start < end`.
#[derive(Debug, Clone, Copy)]
struct Span {
    start: i64,
    end: i64,
}

/// Walks the open spans of a calendar forward in time, one local date at a time.
///
/// The spans of each date (intervals starting that day, minus holiday closures) are
/// generated in local order; boundary mapping is monotonic, so starts never decrease and
/// the union is measured exactly by clipping each span against the end covered so far
/// (spans only overlap around an ambiguous fall-back hour).
struct Walker<'a> {
    cal: &'a Calendar,
    /// Next date whose intervals are to be generated.
    date: NaiveDate,
    /// Last date that may be generated.
    last: NaiveDate,
    queue: std::collections::VecDeque<Span>,
    covered: i64,
}

impl<'a> Walker<'a> {
    /// A walker over the spans that may contain `t0` or come after it, up to `days` after
    /// the local date of `t0`.
    fn new(cal: &'a Calendar, t0: i64, days: u64) -> Option<Self> {
        let today = cal.local_date(t0)?;
        // Intervals are at most 24 h long, so nothing starting two days earlier is still
        // open (one extra day covers fall-back ambiguity around midnight).
        let date = today.checked_sub_days(chrono::Days::new(2))?;
        let last = today
            .checked_add_days(chrono::Days::new(days))
            .unwrap_or(NaiveDate::MAX);
        Some(Self {
            cal,
            date,
            last,
            queue: std::collections::VecDeque::new(),
            covered: i64::MIN,
        })
    }

    fn next_span(&mut self) -> Option<Span> {
        loop {
            if let Some(s) = self.queue.pop_front() {
                let start = s.start.max(self.covered);
                if s.end <= start {
                    continue;
                }
                self.covered = s.end;
                return Some(Span { start, end: s.end });
            }
            if self.date > self.last {
                return None;
            }
            self.generate_day();
        }
    }

    fn generate_day(&mut self) {
        let d = self.date;
        let cal = self.cal;
        let midnight = d.and_time(NaiveTime::MIN);
        let day = &cal.by_weekday[d.weekday().num_days_from_monday() as usize];
        for &(start, len) in day {
            let open = midnight + Duration::seconds(start);
            let close = open + Duration::seconds(len);
            let mut cur = open;
            for &(cs, ce) in cal.closures_overlapping(open, close) {
                if cs > cur {
                    self.push_local(cur, cs);
                }
                cur = cur.max(ce);
            }
            if cur < close {
                self.push_local(cur, close);
            }
        }
        match d.succ_opt() {
            Some(next) => self.date = next,
            None => self.last = NaiveDate::MIN,
        }
    }

    fn push_local(&mut self, from: NaiveDateTime, to: NaiveDateTime) {
        let (start, end) = (self.cal.map_start(from), self.cal.map_end(to));
        if start < end {
            self.queue.push_back(Span { start, end });
        }
    }

    /// Skips the next seven dates in one step when that is exact: all their spans are
    /// generated yet unconsumed nowhere, no holiday touches them, the UTC offset is the
    /// same at every local midnight around them, and they lie inside
    /// `[not_before, not_after]`. Then the week holds exactly the nominal weekly open time.
    fn try_skip_week(&mut self, not_before: i64, not_after: Option<i64>) -> bool {
        if !self.queue.is_empty() {
            return false;
        }
        let d = self.date;
        let (Some(before), Some(after)) = (d.pred_opt(), d.checked_add_days(chrono::Days::new(8)))
        else {
            return false;
        };
        if after > self.last {
            return false;
        }
        let block_start = d.and_time(NaiveTime::MIN);
        let block_end = after.and_time(NaiveTime::MIN);
        if !self
            .cal
            .closures_overlapping(block_start, block_end)
            .is_empty()
        {
            return false;
        }
        let Some(offset) = self.cal.single_offset(before.and_time(NaiveTime::MIN)) else {
            return false;
        };
        let steady = before
            .iter_days()
            .take(10)
            .all(|day| self.cal.single_offset(day.and_time(NaiveTime::MIN)) == Some(offset));
        if !steady {
            return false;
        }
        let utc_start = block_start.and_utc().timestamp() - offset;
        let utc_end = block_end.and_utc().timestamp() - offset;
        if utc_start < not_before || not_after.is_some_and(|t| utc_end > t) {
            return false;
        }
        match d.checked_add_days(chrono::Days::new(7)) {
            Some(next) => {
                self.date = next;
                true
            }
            None => false,
        }
    }
}
