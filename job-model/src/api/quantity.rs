//! Kubernetes resource quantities ("500m", "8", "32Gi", "1e3").

use std::fmt;

/// A parsed quantity, held exactly in nano-units.
///
/// ```
/// use job_model::api::Quantity;
/// assert_eq!(Quantity::parse("500m").unwrap().milli_value(), 500);
/// assert_eq!(Quantity::parse("1.5").unwrap().milli_value(), 1500);
/// assert_eq!(Quantity::parse("32Gi").unwrap().value(), 32 << 30);
/// assert!(Quantity::parse("12 cores").is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity {
    nanos: i128,
}

/// Why a quantity was rejected; the message follows the API server's wording.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
)]
pub struct QuantityError;

impl Quantity {
    /// Parses the Kubernetes quantity syntax: a decimal number followed by a binary-SI
    /// suffix (Ki, Mi, Gi, Ti, Pi, Ei), a decimal-SI suffix (n, u, m, k, M, G, T, P, E)
    /// or a decimal exponent (e3, E-2).
    pub fn parse(text: &str) -> Result<Quantity, QuantityError> {
        let s = text.trim();
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let num_len = body
            .bytes()
            .take_while(|b| b.is_ascii_digit() || *b == b'.')
            .count();
        let (number, suffix) = body.split_at(num_len);
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(QuantityError);
        }
        let (int_part, frac_part) = number.split_once('.').unwrap_or((number, ""));
        // mantissa * 10^(-frac digits)
        let digits = format!("{int_part}{frac_part}");
        let mantissa: i128 = if digits.is_empty() {
            0
        } else {
            digits.parse().map_err(|_| QuantityError)?
        };
        let mut exp10: i32 = -(frac_part.len() as i32);
        let mut factor: i128 = 1;
        match suffix {
            "" => {}
            "Ki" => factor = 1 << 10,
            "Mi" => factor = 1 << 20,
            "Gi" => factor = 1 << 30,
            "Ti" => factor = 1 << 40,
            "Pi" => factor = 1 << 50,
            "Ei" => factor = 1 << 60,
            "n" => exp10 -= 9,
            "u" => exp10 -= 6,
            "m" => exp10 -= 3,
            "k" => exp10 += 3,
            "M" => exp10 += 6,
            "G" => exp10 += 9,
            "T" => exp10 += 12,
            "P" => exp10 += 15,
            "E" => exp10 += 18,
            s if s.starts_with(['e', 'E']) => {
                let e: i32 = s[1..].parse().map_err(|_| QuantityError)?;
                if !(-30..=30).contains(&e) {
                    return Err(QuantityError);
                }
                exp10 += e;
            }
            _ => return Err(QuantityError),
        }
        // Convert to nano-units: mantissa * factor * 10^(exp10 + 9), rounding up like
        // the API server does when it cannot represent a value exactly.
        let shift = exp10 + 9;
        let scaled = mantissa.checked_mul(factor).ok_or(QuantityError)?;
        let nanos = if shift >= 0 {
            scaled
                .checked_mul(10i128.checked_pow(shift as u32).ok_or(QuantityError)?)
                .ok_or(QuantityError)?
        } else {
            let div = 10i128.checked_pow((-shift) as u32).ok_or(QuantityError)?;
            (scaled + div - 1) / div
        };
        Ok(Quantity {
            nanos: if negative { -nanos } else { nanos },
        })
    }

    /// A quantity of `milli` thousandths.
    pub const fn from_milli(milli: i64) -> Quantity {
        Quantity {
            nanos: milli as i128 * 1_000_000,
        }
    }

    /// The value in thousandths, rounded up (Kubernetes' `MilliValue`).
    pub fn milli_value(self) -> i64 {
        ceil_div(self.nanos, 1_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// The value in units, rounded up (Kubernetes' `Value`).
    pub fn value(self) -> i64 {
        ceil_div(self.nanos, 1_000_000_000).clamp(i64::MIN as i128, i64::MAX as i128) as i64
    }

    /// True if below zero.
    pub fn is_negative(self) -> bool {
        self.nanos < 0
    }
}

fn ceil_div(a: i128, b: i128) -> i128 {
    let q = a / b;
    if a % b > 0 { q + 1 } else { q }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos % 1_000_000_000 == 0 {
            write!(f, "{}", self.nanos / 1_000_000_000)
        } else {
            write!(f, "{}m", self.milli_value())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cpu_and_memory_forms() {
        let q = |s| Quantity::parse(s).unwrap();
        assert_eq!(q("100m").milli_value(), 100);
        assert_eq!(q("0.1").milli_value(), 100);
        assert_eq!(q("2").milli_value(), 2000);
        assert_eq!(q("1Ki").value(), 1024);
        assert_eq!(q("128Mi").value(), 128 << 20);
        assert_eq!(q("1G").value(), 1_000_000_000);
        assert_eq!(q("1e3").value(), 1000);
        assert_eq!(q("1.5Gi").value(), 3 << 29);
        assert_eq!(q("0.0001").milli_value(), 1, "rounds up like MilliValue");
        assert!(q("-1").is_negative());
    }

    #[test]
    fn rejects_garbage() {
        for bad in ["", "abc", "1.2.3", "5Xi", "1 Gi", ".", "1e99"] {
            assert!(Quantity::parse(bad).is_err(), "{bad}");
        }
    }
}
