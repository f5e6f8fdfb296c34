//! The units operators type and providers send: durations (`90m`, `2h`), request rates
//! (`10/s`, `600/m`) and timestamps, for the command line, the config file and the wire alike.

use std::time::Duration;

use jiff::Timestamp;
use jiff::tz::TimeZone;

/// Reads the timestamp forms providers send: RFC 3339 with any precision and offset,
/// and Digital Samba's `2024-03-27 08:15:36` (no zone, meaning UTC).
pub fn parse_time(s: &str) -> Option<Timestamp> {
    s.parse::<Timestamp>().ok().or_else(|| {
        let civil: jiff::civil::DateTime = s.parse().ok()?;
        TimeZone::UTC.to_timestamp(civil).ok()
    })
}

/// A request-rate cap, in requests per second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate(pub f64);

/// Longest duration accepted anywhere: far beyond any real need, and far enough from
/// the limits of clocks that adding it to "now" can never overflow.
pub const MAX_DURATION: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// A humantime duration (`90m`, `2h`, `1d`), at most [`MAX_DURATION`].
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("{e} (try e.g. `90m`, `2h`, `1d`)"))?;
    if d > MAX_DURATION {
        return Err(format!("`{s}` is longer than 100 years"));
    }
    Ok(d)
}

/// A `--max-stall` / `max_stall` bound: a duration of at least a second, since a shorter one
/// would stop a run that is only being paced.
pub fn parse_max_stall(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < Duration::from_secs(1) {
        return Err(format!("`{s}` is shorter than a second"));
    }
    Ok(d)
}

/// [`parse_duration`] for a bound that must leave time to act (`--deadline`): `0s` would
/// still start one request, so it is refused, as a profile's `timeout = "0s"` is.
pub fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        d if d.is_zero() => Err("must be more than 0".to_owned()),
        d => Ok(d),
    }
}

const MIN_RATE: f64 = 0.001;
const MAX_RATE: f64 = 1e6;

pub fn parse_rate(s: &str) -> Result<Rate, String> {
    let (n, unit) = s.split_once('/').unwrap_or((s, "s"));
    let n: f64 = n
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a rate like `10/s`"))?;
    let per = match unit.trim() {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        other => return Err(format!("unknown rate unit `{other}` (use s, m or h)")),
    };
    let rate = n / per;
    // A limiter needs a period it can represent: one request per 1000 s to a million a second.
    if !(MIN_RATE..=MAX_RATE).contains(&rate) {
        return Err(format!(
            "rate `{s}` is out of range (between one request per 1000 s and {MAX_RATE} per second)"
        ));
    }
    Ok(Rate(rate))
}

/// A duration in a sentence, to its two largest units and in words: "1 day", "3 hours
/// 5 minutes", "38 days 8 hours" (never "1month 8h 31m 24s", nor a unit run into its number).
/// Under 10 seconds it keeps tenths, to the nearest ("1.9 seconds"): a retry or a wait that
/// short is said as it is, not rounded down to a whole second. From 10 seconds up each unit
/// is rounded down (59.96 s is "59 seconds"). Every error, warning and note says its
/// durations so; what is read back (`config show`, a resume command, a plan's selection) or
/// pinned (a sweep's reason) keeps its own form.
pub fn human(d: Duration) -> String {
    const UNITS: [(u64, &str); 4] = [
        (86_400, "day"),
        (3600, "hour"),
        (60, "minute"),
        (1, "second"),
    ];
    let secs = d.as_secs();
    let Some(first) = UNITS.iter().position(|(size, _)| secs >= *size) else {
        return format!("{} ms", d.as_millis());
    };
    if secs < 10 {
        let tenths = (d.as_millis() as u64 + 50) / 100;
        return match tenths % 10 {
            0 => plural(tenths / 10, "second"),
            t => format!("{}.{t} seconds", tenths / 10),
        };
    }
    // The largest unit and the one after it (when not 0): the rest is noise in a sentence.
    let (big, name) = UNITS[first];
    let mut words = vec![plural(secs / big, name)];
    if let Some((small, name)) = UNITS.get(first + 1)
        && secs % big / small > 0
    {
        words.push(plural(secs % big / small, name));
    }
    words.join(" ")
}

/// `n` and a noun that takes an `s`: "1 session", "3 sessions" (never "3 session(s)").
pub fn plural(n: u64, name: &str) -> String {
    format!("{n} {name}{}", if n == 1 { "" } else { "s" })
}

/// An age for a table column, as kubectl's AGE shows one: `45s`, `3m12s`, `42m`, `5h8m`,
/// `20h`, `4d3h`, `33d`, `2y40d`: the two largest units while they say something, one after.
pub fn age(secs: u64) -> String {
    let (m, h, d) = (secs / 60, secs / 3600, secs / 86_400);
    match secs {
        s if s < 120 => format!("{s}s"),
        s if s < 600 => match s % 60 {
            0 => format!("{m}m"),
            r => format!("{m}m{r}s"),
        },
        s if s < 3 * 3600 => format!("{m}m"),
        s if s < 8 * 3600 => match m % 60 {
            0 => format!("{h}h"),
            r => format!("{h}h{r}m"),
        },
        s if s < 48 * 3600 => format!("{h}h"),
        s if s < 8 * 86_400 => match h % 24 {
            0 => format!("{d}d"),
            r => format!("{d}d{r}h"),
        },
        s if s < 2 * 365 * 86_400 => format!("{d}d"),
        _ => match d % 365 {
            0 => format!("{}y", d / 365),
            r => format!("{}y{r}d", d / 365),
        },
    }
}

/// A timestamp for a table: RFC 3339 in UTC to the second (`2026-01-10T10:00:00Z`), as
/// providers' microseconds and offsets would only widen a column; what does not parse is
/// shown as sent.
pub fn short_time(raw: &str) -> String {
    match parse_time(raw) {
        Some(t) => t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        None => raw.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_in_a_sentence_has_two_units_in_words() {
        let month = Duration::from_secs(38 * 86_400 + 8 * 3600 + 31 * 60 + 24);
        for (d, said) in [
            (Duration::from_secs(86_400), "1 day"),
            (month, "38 days 8 hours"),
            (
                Duration::from_secs(2 * 3600 + 5 * 60 + 9),
                "2 hours 5 minutes",
            ),
            // The unit after the first only when it is not 0, and never a third.
            (Duration::from_secs(86_400 + 59), "1 day"),
            (Duration::from_secs(90), "1 minute 30 seconds"),
            (Duration::from_millis(250), "250 ms"),
            // Under 10 seconds, tenths: a 1.9 s retry is not "1 second".
            (Duration::from_millis(1900), "1.9 seconds"),
            (Duration::from_millis(1000), "1 second"),
            (Duration::from_millis(9_960), "10 seconds"),
            (Duration::from_millis(10_900), "10 seconds"),
        ] {
            assert_eq!(human(d), said, "{d:?}");
        }
    }

    #[test]
    fn ages_read_as_kubectl_prints_them() {
        for (secs, shown) in [
            (45, "45s"),
            (192, "3m12s"),
            (300, "5m"),
            (42 * 60 + 7, "42m"),
            (5 * 3600 + 8 * 60, "5h8m"),
            (20 * 3600 + 59, "20h"),
            (4 * 86_400 + 3 * 3600, "4d3h"),
            (33 * 86_400, "33d"),
            (2 * 365 * 86_400 + 40 * 86_400, "2y40d"),
        ] {
            assert_eq!(age(secs), shown, "{secs}");
        }
    }

    #[test]
    fn a_table_time_is_utc_to_the_second() {
        for (raw, shown) in [
            ("2026-01-10T10:00:00.000000Z", "2026-01-10T10:00:00Z"),
            (
                "2024-05-01T14:00:00.123456789+02:00",
                "2024-05-01T12:00:00Z",
            ),
            ("2024-03-27 08:15:36", "2024-03-27T08:15:36Z"),
            ("soon", "soon"),
        ] {
            assert_eq!(short_time(raw), shown, "{raw}");
        }
    }
}
