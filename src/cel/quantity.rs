//! Kubernetes resource quantities (`500m`, `1.5Gi`, `2e3`) as exact numbers, for the CEL
//! `quantity` library: `quantity()`, `isQuantity()`, comparisons, `add`, `sub`, `asInteger`,
//! `asApproximateFloat`, `isInteger`, `sign`.
//!
//! A quantity is kept as `units × 10^exponent` with `units` an `i128`: binary suffixes
//! (`Ki` … `Ei`) are powers of two that multiply `units`, so every quantity the API server
//! accepts is exact here, and comparison needs no floating point.

use std::cmp::Ordering;

/// An exact quantity: `units × 10^exponent`, normalised so that equal amounts are equal values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Quantity {
    units: i128,
    exponent: i32,
}

/// Decimal exponents beyond this are refused: the API server caps quantities far below.
const MAX_EXPONENT: i32 = 60;

impl Quantity {
    /// Parses the Kubernetes quantity syntax: `<sign><digits>[.<digits>]<suffix>`.
    pub(super) fn parse(text: &str) -> Option<Quantity> {
        let number_end = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '+' || c == '-'))
            .unwrap_or(text.len());
        let (number, suffix) = text.split_at_checked(number_end)?;
        let (negative, digits) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number.strip_prefix('+').unwrap_or(number)),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let mut units: i128 = 0;
        for digit in whole.bytes().chain(fraction.bytes()) {
            units = units
                .checked_mul(10)?
                .checked_add(i128::from(digit.wrapping_sub(b'0')))?;
        }
        let fraction_digits = i32::try_from(fraction.len()).ok()?;
        let (binary_power, decimal_power) = suffix_powers(suffix)?;
        let units = units.checked_mul(1i128.checked_shl(binary_power)?)?;
        let units = if negative { -units } else { units };
        let exponent = decimal_power.checked_sub(fraction_digits)?;
        if exponent.abs() > MAX_EXPONENT {
            return None;
        }
        Some(Quantity { units, exponent }.normalised())
    }

    pub(super) fn from_int(number: i64) -> Quantity {
        Quantity {
            units: i128::from(number),
            exponent: 0,
        }
        .normalised()
    }

    fn normalised(mut self) -> Quantity {
        if self.units == 0 {
            return Quantity {
                units: 0,
                exponent: 0,
            };
        }
        while self.units % 10 == 0 {
            self.units /= 10;
            self.exponent += 1;
        }
        self
    }

    /// Both quantities' units at their common (smaller) exponent; `None` on overflow.
    fn aligned(self, other: Quantity) -> Option<(i128, i128, i32)> {
        let exponent = self.exponent.min(other.exponent);
        let scale = |q: Quantity| {
            let power = u32::try_from(q.exponent - exponent).ok()?;
            q.units.checked_mul(10i128.checked_pow(power)?)
        };
        Some((scale(self)?, scale(other)?, exponent))
    }

    pub(super) fn compare(self, other: Quantity) -> Ordering {
        match self.aligned(other) {
            Some((left, right, _)) => left.cmp(&right),
            None => self
                .approximate()
                .partial_cmp(&other.approximate())
                .unwrap_or(Ordering::Equal),
        }
    }

    pub(super) fn add(self, other: Quantity) -> Option<Quantity> {
        let (left, right, exponent) = self.aligned(other)?;
        Some(
            Quantity {
                units: left.checked_add(right)?,
                exponent,
            }
            .normalised(),
        )
    }

    pub(super) fn negated(self) -> Quantity {
        Quantity {
            units: -self.units,
            exponent: self.exponent,
        }
    }

    pub(super) fn is_integer(self) -> bool {
        self.as_integer().is_some()
    }

    /// The quantity as an `int`, when it is a whole number in range.
    pub(super) fn as_integer(self) -> Option<i64> {
        if self.exponent < 0 {
            return None;
        }
        let power = u32::try_from(self.exponent).ok()?;
        let whole = self.units.checked_mul(10i128.checked_pow(power)?)?;
        i64::try_from(whole).ok()
    }

    pub(super) fn approximate(self) -> f64 {
        // Precision loss is what "approximate" promises.
        #[allow(clippy::cast_precision_loss)]
        let units = self.units as f64;
        units * 10f64.powi(self.exponent)
    }

    pub(super) fn sign(self) -> i64 {
        match self.units.cmp(&0) {
            Ordering::Less => -1,
            Ordering::Equal => 0,
            Ordering::Greater => 1,
        }
    }
}

/// The power of two and the power of ten a suffix multiplies by.
fn suffix_powers(suffix: &str) -> Option<(u32, i32)> {
    let binary = |power: u32| Some((power, 0));
    let decimal = |power: i32| Some((0, power));
    match suffix {
        "Ki" => binary(10),
        "Mi" => binary(20),
        "Gi" => binary(30),
        "Ti" => binary(40),
        "Pi" => binary(50),
        "Ei" => binary(60),
        "n" => decimal(-9),
        "u" => decimal(-6),
        "m" => decimal(-3),
        "" => decimal(0),
        "k" => decimal(3),
        "M" => decimal(6),
        "G" => decimal(9),
        "T" => decimal(12),
        "P" => decimal(15),
        "E" => decimal(18),
        exponent => {
            let digits = exponent
                .strip_prefix('e')
                .or_else(|| exponent.strip_prefix('E'))?;
            if digits.is_empty() {
                return None;
            }
            decimal(digits.parse().ok()?)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        Quantity::parse(text).unwrap_or_else(|| unreachable!("{text} should parse"))
    }

    #[test]
    fn equal_amounts_in_any_spelling_are_equal() {
        assert_eq!(q("1k"), q("1000"));
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("500m"), q("0.5"));
        assert_eq!(q("2e3"), q("2k"));
        assert_eq!(q("1.5Gi"), q("1536Mi"));
    }

    #[test]
    fn compares_across_suffixes() {
        assert_eq!(q("1Gi").compare(q("1G")), Ordering::Greater);
        assert_eq!(q("100m").compare(q("1")), Ordering::Less);
        assert_eq!(q("-1").compare(q("0")), Ordering::Less);
    }

    #[test]
    fn arithmetic_and_conversions() {
        assert_eq!(q("1").add(q("500m")), Some(q("1.5")));
        assert_eq!(q("1Ki").as_integer(), Some(1024));
        assert_eq!(q("1500m").as_integer(), None);
        assert!(!q("1500m").is_integer());
        assert_eq!(q("-3").sign(), -1);
        assert!((q("250m").approximate() - 0.25).abs() < 1e-12);
    }

    #[test]
    fn refuses_what_is_not_a_quantity() {
        for text in ["", "abc", "1Qi", "1.2.3", "--1", "1e", ".", "1e999"] {
            assert_eq!(Quantity::parse(text), None, "{text}");
        }
    }
}
