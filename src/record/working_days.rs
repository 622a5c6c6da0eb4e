//! Working days in England and Wales: Monday to Friday, bank holidays excepted. The bank holidays
//! are a table shipped with the service (`bank_holidays.txt`, 2000–2035); outside those years only
//! weekends are known.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, NaiveTime, Utc, Weekday};

static BANK_HOLIDAYS: LazyLock<BTreeSet<NaiveDate>> = LazyLock::new(|| {
    include_str!("bank_holidays.txt")
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| {
            NaiveDate::parse_from_str(&line[..10], "%Y-%m-%d")
                .expect("bank_holidays.txt holds dates (checked by its unit test)")
        })
        .collect()
});

pub fn is_bank_holiday(day: NaiveDate) -> bool {
    BANK_HOLIDAYS.contains(&day)
}

pub fn is_working_day(day: NaiveDate) -> bool {
    !matches!(day.weekday(), Weekday::Sat | Weekday::Sun) && !is_bank_holiday(day)
}

/// The last moment of a day (UTC), which is when anything due that day is due.
pub fn end_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(NaiveTime::from_hms_micro_opt(23, 59, 59, 999_999).expect("a valid time"))
        .and_utc()
}

/// The end of the `n`-th working day after the day of `at`: that day itself never counts, even
/// when it is a working day. Saturates at the last representable day.
pub fn working_days_after(at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let mut day = at.date_naive();
    let mut counted = 0;
    while counted < n {
        let Some(next) = day.succ_opt() else {
            break;
        };
        day = next;
        if is_working_day(day) {
            counted += 1;
        }
    }
    end_of(day)
}

/// The end of the same calendar date `n` months after `at` (the month's last day where that date
/// does not exist). Saturates at the last representable day.
pub fn months_after(at: DateTime<Utc>, n: u32) -> DateTime<Utc> {
    let day = at
        .date_naive()
        .checked_add_months(Months::new(n))
        .unwrap_or(NaiveDate::MAX);
    end_of(day)
}

/// The end of the day after `n` calendar days.
pub fn days_after(at: DateTime<Utc>, n: u64) -> DateTime<Utc> {
    end_of(
        at.date_naive()
            .checked_add_days(Days::new(n))
            .unwrap_or(NaiveDate::MAX),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap()
    }

    #[test]
    fn the_table_holds_the_published_dates() {
        for (y, m, d) in [
            (2006, 12, 25),
            (2006, 12, 26),
            (2007, 1, 1),
            (2007, 4, 6),
            (2007, 4, 9),
            (2007, 5, 7),
            (2007, 5, 28),
            (2007, 8, 27),
            (2020, 5, 8),
            (2022, 9, 19),
            (2023, 5, 8),
            (2004, 12, 28),
            (2035, 12, 25),
            (2000, 1, 3),
        ] {
            assert!(is_bank_holiday(date(y, m, d)), "{y}-{m}-{d}");
        }
        // The usual May Day of 2020 was moved; 2007's Christmas Eve is a working day.
        assert!(!is_bank_holiday(date(2020, 5, 4)));
        assert!(is_working_day(date(2007, 12, 24)));
        assert!(!is_working_day(date(2007, 12, 22)));
    }

    #[test]
    fn every_year_has_eight_or_more_and_every_line_is_a_date() {
        for line in include_str!("bank_holidays.txt").lines() {
            if !line.starts_with('#') {
                assert!(
                    NaiveDate::parse_from_str(&line[..10], "%Y-%m-%d").is_ok(),
                    "{line}"
                );
            }
        }
        for year in 2000..=2035 {
            let n = BANK_HOLIDAYS.iter().filter(|d| d.year() == year).count();
            assert!((8..=10).contains(&n), "{year}: {n}");
            assert!(
                BANK_HOLIDAYS
                    .iter()
                    .filter(|d| d.year() == year)
                    .all(|d| is_bank_holiday(*d)
                        && !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)),
                "{year}: a bank holiday at a weekend"
            );
        }
    }

    #[test]
    fn working_days_skip_the_start_day_weekends_and_bank_holidays() {
        // Friday 2007-04-06 is Good Friday and Monday the 9th Easter Monday.
        assert_eq!(
            working_days_after(at(2007, 4, 5, 10), 1),
            end_of(date(2007, 4, 10))
        );
        // A working day's own day never counts: Tuesday -> Wednesday.
        assert_eq!(
            working_days_after(at(2007, 4, 10, 23), 1),
            end_of(date(2007, 4, 11))
        );
        // A start on a Saturday counts from the Monday.
        assert_eq!(
            working_days_after(at(2007, 3, 3, 9), 1),
            end_of(date(2007, 3, 5))
        );
        // Across Christmas 2006 and New Year 2007: Friday 22nd, then 27, 28, 29 Dec, 2 Jan.
        assert_eq!(
            working_days_after(at(2006, 12, 22, 12), 4),
            end_of(date(2007, 1, 2))
        );
        assert_eq!(
            working_days_after(at(2007, 1, 1, 12), 0),
            end_of(date(2007, 1, 1))
        );
    }

    #[test]
    fn months_keep_the_date_or_take_the_last_day() {
        assert_eq!(
            months_after(at(2007, 1, 31, 9), 1),
            end_of(date(2007, 2, 28))
        );
        assert_eq!(
            months_after(at(2007, 3, 15, 9), 3),
            end_of(date(2007, 6, 15))
        );
        assert_eq!(
            months_after(at(2007, 8, 31, 9), 6),
            end_of(date(2008, 2, 29))
        );
    }
}
