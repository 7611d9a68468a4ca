//! A user's time zone: an IANA name (`Europe/Rome`), and the local days and
//! hours it cuts time into. Days are built of whole local hours, so a
//! daylight-saving switch day has 23 or 25 of them.
//!
//! The zones' rules are the tz database as `tzdb_data` compiles it for
//! `tz-rs`: each zone's transitions as its TZif file lists them, then the
//! POSIX rule that continues them. That is about a third of the size of a
//! table that spells out every transition to 2037 (`chrono-tz`), and the
//! Worker's wasm pays for every byte at each cold start. The unit tests
//! check every zone against `chrono-tz` over decades.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use tz::TimeZoneRef;

use super::Invalid;

#[derive(Clone, Copy)]
pub struct Zone {
    /// The tz database's own spelling.
    name: &'static str,
    rules: &'static TimeZoneRef<'static>,
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for Zone {}

impl std::fmt::Debug for Zone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Zone").field(&self.name).finish()
    }
}

impl Default for Zone {
    fn default() -> Self {
        Zone::UTC
    }
}

/// Local offsets never change twice within this many seconds of each other,
/// so the offsets in force this far on each side of a local time are every
/// offset it can have.
const PROBE_SECS: i64 = 86_400;

impl Zone {
    pub const UTC: Zone = Zone {
        name: "UTC",
        rules: &tzdb_data::time_zone::UTC,
    };

    /// An IANA zone name, exactly as the tz database spells it (its lookup
    /// ignores case; a stored and echoed name must not).
    pub fn parse(field: &str, name: &str) -> Result<Zone, Invalid> {
        let spelled = tzdb_data::TZ_NAMES.iter().find(|known| **known == name);
        match spelled.and_then(|&name| Some((name, tzdb_data::find_tz(name.as_bytes())?))) {
            Some((name, rules)) => Ok(Zone { name, rules }),
            None => Err(Invalid::new(
                field,
                "must be an IANA time zone name such as Europe/Rome or UTC",
            )),
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn is_utc(&self) -> bool {
        matches!(self.name, "UTC" | "Etc/UTC")
    }

    /// The zone's offset from UTC in seconds at the Unix time `at`; 0 only
    /// where its rules cannot say (years past chrono's own calendar).
    fn offset_at(&self, at: i64) -> i64 {
        self.rules
            .find_local_time_type(at)
            .map_or(0, |local| i64::from(local.ut_offset()))
    }

    /// The local day `at` falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        let offset = Duration::seconds(self.offset_at(at.timestamp()));
        at.naive_utc()
            .checked_add_signed(offset)
            .map_or_else(|| at.date_naive(), |local| local.date())
    }

    /// The earliest instant that is `local` in this zone: none in a gap
    /// (the hour a spring-forward skips).
    fn earliest(&self, local: NaiveDateTime) -> Option<DateTime<Utc>> {
        let wall = local.and_utc().timestamp();
        [
            wall.checked_sub(PROBE_SECS),
            Some(wall),
            wall.checked_add(PROBE_SECS),
        ]
        .into_iter()
        .flatten()
        .map(|probe| self.offset_at(probe))
        .filter_map(|offset| {
            let at = wall.checked_sub(offset)?;
            (self.offset_at(at) == offset).then_some(at)
        })
        .min()
        .and_then(|at| DateTime::from_timestamp(at, 0))
    }

    /// When local day `day` begins. Where midnight does not exist (a switch
    /// at midnight), the day begins at its first existing minute.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        let mut local = day.and_time(chrono::NaiveTime::MIN);
        for _ in 0..=4 {
            if let Some(start) = self.earliest(local) {
                return start;
            }
            match local.checked_add_signed(Duration::minutes(30)) {
                Some(later) => local = later,
                None => break,
            }
        }
        Utc.from_utc_datetime(&day.and_time(chrono::NaiveTime::MIN))
    }

    /// The starts of the local hours from day `first` through day `last`,
    /// and the end of the last one.
    pub fn hour_starts(
        &self,
        first: NaiveDate,
        last: NaiveDate,
    ) -> (Vec<DateTime<Utc>>, DateTime<Utc>) {
        let end = self.day_start(last.succ_opt().unwrap_or(last));
        let mut hours = Vec::new();
        let mut at = Some(self.day_start(first));
        while let Some(hour) = at.filter(|hour| *hour < end) {
            hours.push(hour);
            at = hour.checked_add_signed(Duration::hours(1));
        }
        (hours, end)
    }
}

#[cfg(test)]
#[allow(clippy::arithmetic_side_effects)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn zones_are_iana_names() {
        assert_eq!(
            Zone::parse("tz", "America/Los_Angeles").unwrap().name(),
            "America/Los_Angeles"
        );
        assert!(Zone::parse("tz", "UTC").unwrap().is_utc());
        for bad in ["Mars/Olympus", "PST8PDTX", "", "america/los_angeles"] {
            assert!(Zone::parse("tz", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn daylight_saving_days_have_23_and_25_hours() {
        let la = Zone::parse("tz", "America/Los_Angeles").unwrap();
        let hours = |d: &str| la.hour_starts(day(d), day(d)).0.len();
        assert_eq!(hours("2026-03-08"), 23);
        assert_eq!(hours("2026-11-01"), 25);
        assert_eq!(hours("2026-11-02"), 24);
        assert_eq!(
            crate::clock::timestamp(la.day_start(day("2026-11-01"))),
            "2026-11-01T07:00:00Z"
        );
        assert_eq!(
            crate::clock::timestamp(la.day_start(day("2026-11-02"))),
            "2026-11-02T08:00:00Z"
        );
    }

    #[test]
    fn half_hour_zones_start_their_hours_at_half_past() {
        let kolkata = Zone::parse("tz", "Asia/Kolkata").unwrap();
        let (hours, end) = kolkata.hour_starts(day("2026-11-29"), day("2026-11-29"));
        assert_eq!(hours.len(), 24);
        assert_eq!(crate::clock::timestamp(hours[0]), "2026-11-28T18:30:00Z");
        assert_eq!(crate::clock::timestamp(end), "2026-11-29T18:30:00Z");
        assert_eq!(kolkata.day_of(hours[23]), day("2026-11-29"));
    }

    #[test]
    fn a_day_without_midnight_starts_at_its_first_minute() {
        // Santiago springs forward at 00:00 on 2026-09-06: the day begins at 01:00 local.
        let santiago = Zone::parse("tz", "America/Santiago").unwrap();
        let start = santiago.day_start(day("2026-09-06"));
        assert_eq!(santiago.day_of(start), day("2026-09-06"));
        assert_eq!(
            santiago
                .hour_starts(day("2026-09-06"), day("2026-09-06"))
                .0
                .len(),
            23
        );
    }

    /// Zones whose rules changed after chrono-tz's data (2025b) was cut:
    /// British Columbia keeps daylight time from November 2026 on (2026a).
    const CHANGED_SINCE_CHRONO_TZ: [(&str, &str); 2] = [
        ("America/Vancouver", "2026-11-01"),
        ("Canada/Pacific", "2026-11-01"),
    ];

    /// Every zone both databases know, from 2000 through 2037: each day
    /// around a change of offset (on either side's rules) and the first of
    /// each month has the same start as chrono-tz gives it, and the hour
    /// before its start and its start fall on the same local days.
    #[test]
    fn every_zone_agrees_with_chrono_tz_for_decades() {
        let mut checked = 0;
        for name in tzdb_data::TZ_NAMES {
            let Ok(reference) = name.parse::<chrono_tz::Tz>() else {
                continue;
            };
            let zone = Zone::parse("tz", name).unwrap();
            let until = CHANGED_SINCE_CHRONO_TZ
                .iter()
                .find(|(changed, _)| changed == name)
                .map_or(day("2037-12-31"), |(_, from)| day(from));
            let noon_offsets = |local: NaiveDate| {
                let noon = Utc.from_utc_datetime(&local.and_hms_opt(12, 0, 0).unwrap());
                let theirs = noon.with_timezone(&reference).naive_local() - noon.naive_utc();
                (theirs.num_seconds(), zone.offset_at(noon.timestamp()))
            };
            let mut local = day("2000-01-01");
            let mut previous = noon_offsets(local);
            while local < until {
                let next = local.succ_opt().unwrap();
                let offsets = noon_offsets(next);
                if offsets != previous || local.day() == 1 {
                    for nearby in [local, next] {
                        agrees_with(&zone, &reference, nearby);
                    }
                }
                previous = offsets;
                local = next;
            }
            checked += 1;
        }
        assert!(checked > 590, "{checked} zones checked");
    }

    fn agrees_with(zone: &Zone, reference: &chrono_tz::Tz, local: NaiveDate) {
        let name = zone.name();
        let midnight = local.and_time(chrono::NaiveTime::MIN);
        let Some(expected) = reference.from_local_datetime(&midnight).earliest() else {
            return;
        };
        let start = zone.day_start(local);
        assert_eq!(start, expected.with_timezone(&Utc), "{name} {local}");
        let before = start - Duration::hours(1);
        assert_eq!(
            zone.day_of(before),
            before.with_timezone(reference).date_naive(),
            "{name} {before}"
        );
        assert_eq!(zone.day_of(start), local, "{name} {local}");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        const ZONES: [&str; 6] = [
            "UTC",
            "America/Los_Angeles",
            "Europe/Rome",
            "Asia/Kolkata",
            "Australia/Lord_Howe",
            "Pacific/Chatham",
        ];

        proptest! {
            #[test]
            fn every_local_day_has_23_to_25_whole_hours(
                zone in 0_usize..ZONES.len(), offset in -40_000_i32..40_000,
            ) {
                let zone = Zone::parse("tz", ZONES[zone]).unwrap();
                let day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Duration::days(offset.into());
                let (hours, end) = zone.hour_starts(day, day);
                // Lord Howe moves by 30 minutes: 23.5 and 24.5 hour days.
                prop_assert!((23..=25).contains(&hours.len()), "{} {}", day, hours.len());
                prop_assert!(hours.iter().all(|h| *h < end));
                prop_assert!(hours.iter().all(|h| zone.day_of(*h) == day));
            }

            #[test]
            fn the_ends_of_the_calendar_do_not_panic(zone in 0_usize..ZONES.len(), which in 0_usize..2) {
                let zone = Zone::parse("tz", ZONES[zone]).unwrap();
                let day = [NaiveDate::MIN, NaiveDate::MAX][which];
                let _ = zone.hour_starts(day, day);
                let _ = zone.day_start(day);
            }
        }
    }
}
