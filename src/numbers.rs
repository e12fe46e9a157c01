//! How numbers are written in check messages and JUnit properties: four decimals at most, no
//! trailing zeros, scientific notation for values too small to show that way.

/// Formats a metric value for messages (4 significant decimals, no trailing noise).
pub fn fmt(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    if v.abs() >= 1e12 || !v.is_finite() {
        return format!("{v:.4e}");
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() || s == "0" {
        format!("{v:.3e}")
    } else {
        s.to_string()
    }
}

/// [`fmt`] with an explicit `+` on positive values.
pub fn fmt_signed(v: f64) -> String {
    let s = fmt(v);
    if v > 0.0 { format!("+{s}") } else { s }
}
