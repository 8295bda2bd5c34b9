//! Virtual time: integer milliseconds, displayed and parsed the way Kubernetes users
//! write durations (Go's `time.Duration` syntax).

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::str::FromStr;

/// A point on the virtual clock: milliseconds since the start of the run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimTime(u64);

/// A span of virtual time in milliseconds. Never negative.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration(u64);

impl SimTime {
    /// The start of every run.
    pub const ZERO: SimTime = SimTime(0);
    /// The end of time; used as "never".
    pub const MAX: SimTime = SimTime(u64::MAX);

    /// The instant `ms` milliseconds after the start.
    pub const fn from_millis(ms: u64) -> Self {
        SimTime(ms)
    }
    /// The instant `s` seconds after the start.
    pub const fn from_secs(s: u64) -> Self {
        SimTime(s * 1000)
    }
    /// Milliseconds since the start.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Seconds since the start, for statistics and reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    /// The time elapsed since `earlier`, or zero if `earlier` is later than `self`.
    pub const fn saturating_since(self, earlier: SimTime) -> SimDuration {
        SimDuration(self.0.saturating_sub(earlier.0))
    }
    /// `self + d`, saturating at [`SimTime::MAX`].
    pub const fn saturating_add(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
    /// `self - d`, saturating at zero.
    pub const fn saturating_sub(self, d: SimDuration) -> SimTime {
        SimTime(self.0.saturating_sub(d.0))
    }
    /// This instant as a duration since the start of the run.
    pub const fn since_start(self) -> SimDuration {
        SimDuration(self.0)
    }
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration(0);
    /// The longest representable duration.
    pub const MAX: SimDuration = SimDuration(u64::MAX);

    /// `ms` milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        SimDuration(ms)
    }
    /// `s` seconds.
    pub const fn from_secs(s: u64) -> Self {
        SimDuration(s.saturating_mul(1000))
    }
    /// `m` minutes.
    pub const fn from_mins(m: u64) -> Self {
        SimDuration(m.saturating_mul(60_000))
    }
    /// `h` hours.
    pub const fn from_hours(h: u64) -> Self {
        SimDuration(h.saturating_mul(3_600_000))
    }
    /// Whole milliseconds.
    pub const fn as_millis(self) -> u64 {
        self.0
    }
    /// Whole seconds, rounded down (as Kubernetes' `*Seconds` fields are).
    pub const fn as_secs(self) -> u64 {
        self.0 / 1000
    }
    /// Seconds, for statistics and reports only.
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1000.0
    }
    /// True for the zero duration.
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
    /// `self * k`, saturating.
    pub const fn saturating_mul(self, k: u64) -> SimDuration {
        SimDuration(self.0.saturating_mul(k))
    }
    /// `self + d`, saturating.
    pub const fn saturating_add(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_add(d.0))
    }
    /// `self - d`, or zero.
    pub const fn saturating_sub(self, d: SimDuration) -> SimDuration {
        SimDuration(self.0.saturating_sub(d.0))
    }
}

impl Add<SimDuration> for SimTime {
    type Output = SimTime;
    fn add(self, d: SimDuration) -> SimTime {
        self.saturating_add(d)
    }
}

impl AddAssign<SimDuration> for SimTime {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

impl Sub<SimTime> for SimTime {
    type Output = SimDuration;
    /// Elapsed time; saturates at zero rather than going negative.
    fn sub(self, earlier: SimTime) -> SimDuration {
        self.saturating_since(earlier)
    }
}

impl Add for SimDuration {
    type Output = SimDuration;
    fn add(self, d: SimDuration) -> SimDuration {
        self.saturating_add(d)
    }
}

impl Sub for SimDuration {
    type Output = SimDuration;
    /// Saturates at zero.
    fn sub(self, d: SimDuration) -> SimDuration {
        self.saturating_sub(d)
    }
}

impl AddAssign for SimDuration {
    fn add_assign(&mut self, d: SimDuration) {
        *self = *self + d;
    }
}

/// Formats like Go's `time.Duration.String()` at millisecond resolution:
/// `0s`, `250ms`, `1.5s`, `2m0s`, `1h2m3.5s`.
impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0;
        if ms == 0 {
            return f.write_str("0s");
        }
        if ms < 1000 {
            return write!(f, "{ms}ms");
        }
        let h = ms / 3_600_000;
        let m = (ms / 60_000) % 60;
        let s = (ms / 1000) % 60;
        let frac = ms % 1000;
        if h > 0 {
            write!(f, "{h}h")?;
        }
        if h > 0 || m > 0 {
            write!(f, "{m}m")?;
        }
        write!(f, "{s}")?;
        if frac > 0 {
            let digits = format!("{frac:03}");
            write!(f, ".{}", digits.trim_end_matches('0'))?;
        }
        f.write_str("s")
    }
}

/// Formats the instant as the time elapsed since the start of the run.
impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.since_start(), f)
    }
}

/// Why a duration string was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid duration {input:?}: {reason}")]
pub struct ParseDurationError {
    /// The text as given.
    pub input: String,
    /// What was wrong with it.
    pub reason: &'static str,
}

/// Parses Go duration syntax (`250ms`, `10s`, `1h30m`, `1.5h`) or plain integer
/// seconds (`90`). Units: `ns`, `us`/`µs`, `ms`, `s`, `m`, `h`. Negative durations and
/// values that are not a whole number of milliseconds are rejected.
///
/// ```
/// use sim_core::SimDuration;
/// assert_eq!("1h2m3.5s".parse::<SimDuration>().unwrap().as_millis(), 3_723_500);
/// assert_eq!("90".parse::<SimDuration>().unwrap(), SimDuration::from_secs(90));
/// assert!("5x".parse::<SimDuration>().is_err());
/// ```
impl FromStr for SimDuration {
    type Err = ParseDurationError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| ParseDurationError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        if s.is_empty() {
            return Err(err(
                "empty; expected e.g. 250ms, 10s, 1h30m or integer seconds",
            ));
        }
        if s.starts_with('-') {
            return Err(err("durations must not be negative"));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        if s.bytes().all(|b| b.is_ascii_digit()) {
            let secs: u64 = s.parse().map_err(|_| err("number too large"))?;
            return secs
                .checked_mul(1000)
                .map(SimDuration)
                .ok_or_else(|| err("number too large"));
        }
        // Accumulate in nanoseconds so fractions such as "1.5ms" are checked exactly.
        let mut total_ns: u128 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            let (int_part, after_int) = rest.split_at(int_len);
            let (frac_part, after_num) = match after_int.strip_prefix('.') {
                Some(r) => {
                    let n = r.bytes().take_while(u8::is_ascii_digit).count();
                    r.split_at(n)
                }
                None => ("", after_int),
            };
            if int_part.is_empty() && frac_part.is_empty() {
                return Err(err(
                    "expected a number before each unit, e.g. 250ms, 10s, 1h30m",
                ));
            }
            let unit_len = after_num
                .char_indices()
                .find(|(_, c)| c.is_ascii_digit() || *c == '.')
                .map_or(after_num.len(), |(i, _)| i);
            let (unit, tail) = after_num.split_at(unit_len);
            let unit_ns: u128 = match unit {
                "ns" => 1,
                "us" | "µs" | "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => 1_000_000_000,
                "m" => 60_000_000_000,
                "h" => 3_600_000_000_000,
                "" => return Err(err("missing unit; use ns, us, ms, s, m or h")),
                "d" => {
                    return Err(err(
                        "unknown unit \"d\"; Go durations have no days, use h (24h)",
                    ));
                }
                _ => return Err(err("unknown unit; use ns, us, ms, s, m or h")),
            };
            let int: u128 = if int_part.is_empty() {
                0
            } else {
                int_part.parse().map_err(|_| err("number too large"))?
            };
            let mut value = int
                .checked_mul(unit_ns)
                .ok_or_else(|| err("number too large"))?;
            let mut scale = unit_ns;
            for digit in frac_part.bytes() {
                scale /= 10;
                if scale == 0 {
                    if digit != b'0' {
                        return Err(err("finer than a nanosecond"));
                    }
                    continue;
                }
                value += u128::from(digit - b'0') * scale;
            }
            total_ns = total_ns
                .checked_add(value)
                .ok_or_else(|| err("number too large"))?;
            rest = tail;
        }
        if !total_ns.is_multiple_of(1_000_000) {
            return Err(err(
                "not a whole number of milliseconds (the simulator's resolution)",
            ));
        }
        u64::try_from(total_ns / 1_000_000)
            .map(SimDuration)
            .map_err(|_| err("number too large"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> u64 {
        s.parse::<SimDuration>().unwrap().as_millis()
    }

    #[test]
    fn parses_go_durations() {
        assert_eq!(d("250ms"), 250);
        assert_eq!(d("10s"), 10_000);
        assert_eq!(d("5m"), 300_000);
        assert_eq!(d("1h30m"), 5_400_000);
        assert_eq!(d("1.5h"), 5_400_000);
        assert_eq!(d("1h2m3.5s"), 3_723_500);
        assert_eq!(d("2000us"), 2);
        assert_eq!(d("0"), 0);
        assert_eq!(d("0s"), 0);
        assert_eq!(d(".5s"), 500);
        assert_eq!(d("120"), 120_000);
        assert_eq!(d("2000000ns"), 2);
    }

    #[test]
    fn rejects_malformed_durations_with_a_reason() {
        for bad in [
            "", "5x", "-1s", "1d", "1.5ms", "1500us", "s", "1h-2m", "abc", "1.2.3s",
        ] {
            let e = bad.parse::<SimDuration>().unwrap_err();
            assert!(!e.reason.is_empty(), "{bad}");
        }
        assert!(
            "1d".parse::<SimDuration>()
                .unwrap_err()
                .reason
                .contains("24h")
        );
    }

    #[test]
    fn displays_like_go() {
        let cases = [
            (0, "0s"),
            (250, "250ms"),
            (1500, "1.5s"),
            (1_000, "1s"),
            (120_000, "2m0s"),
            (3_600_000, "1h0m0s"),
            (3_723_500, "1h2m3.5s"),
            (61_010, "1m1.01s"),
        ];
        for (ms, want) in cases {
            assert_eq!(SimDuration::from_millis(ms).to_string(), want);
        }
    }

    #[test]
    fn display_and_parse_round_trip() {
        for ms in [
            0, 1, 999, 1000, 1001, 59_999, 60_000, 3_599_999, 3_600_000, 90_061_001,
        ] {
            let text = SimDuration::from_millis(ms).to_string();
            assert_eq!(d(&text), ms, "{text}");
        }
    }

    #[test]
    fn time_arithmetic_saturates() {
        let t = SimTime::from_secs(5);
        assert_eq!(t - SimTime::from_secs(7), SimDuration::ZERO);
        assert_eq!(SimTime::MAX + SimDuration::from_secs(1), SimTime::MAX);
        assert_eq!((t + SimDuration::from_millis(500)).as_millis(), 5500);
    }
}
