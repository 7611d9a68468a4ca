//! A user's time zone: an IANA name (`Europe/Rome`), and the local days and
//! hours it cuts time into. Days are built of whole local hours, so a
//! daylight-saving switch day has 23 or 25 of them.

#![deny(clippy::arithmetic_side_effects)]

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(Tz);

impl Default for Zone {
    fn default() -> Self {
        Zone(Tz::UTC)
    }
}

impl Zone {
    pub const UTC: Zone = Zone(Tz::UTC);

    /// An IANA zone name, exactly as the tz database spells it.
    pub fn parse(field: &str, name: &str) -> Result<Zone, Invalid> {
        name.parse::<Tz>().map(Zone).map_err(|_| {
            Invalid::new(
                field,
                "must be an IANA time zone name such as Europe/Rome or UTC",
            )
        })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    pub fn is_utc(&self) -> bool {
        matches!(self.0, Tz::UTC | Tz::Etc__UTC)
    }

    /// The local day `at` falls on.
    pub fn day_of(&self, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.0).date_naive()
    }

    /// When local day `day` begins. Where midnight does not exist (a switch
    /// at midnight), the day begins at its first existing minute.
    pub fn day_start(&self, day: NaiveDate) -> DateTime<Utc> {
        let mut local = day.and_time(chrono::NaiveTime::MIN);
        for _ in 0..=4 {
            if let Some(start) = self.0.from_local_datetime(&local).earliest() {
                return start.with_timezone(&Utc);
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
