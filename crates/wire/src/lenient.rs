//! Deserialisers for the loose shapes real SDKs send: numbers as strings, nulls for absent
//! values, booleans as 0/1 (see the reference, §1.1).

use serde::{Deserialize, Deserializer};

#[derive(Deserialize)]
#[serde(untagged)]
enum IntOrString {
    Int(i64),
    Float(f64),
    Str(String),
}

/// An optional integer that may arrive as a JSON number, a numeric string or null.
pub fn opt_int<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let v: Option<IntOrString> = Option::deserialize(d)?;
    match v {
        None => Ok(None),
        Some(IntOrString::Int(i)) => Ok(Some(i)),
        Some(IntOrString::Float(f)) if f.fract() == 0.0 => Ok(Some(f as i64)),
        Some(IntOrString::Float(_)) => Err(serde::de::Error::custom("expected an integer")),
        Some(IntOrString::Str(s)) if s.trim().is_empty() => Ok(None),
        Some(IntOrString::Str(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, got {s:?}"))),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolLike {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// An optional boolean that may arrive as true/false, 0/1, "true"/"1" or null.
pub fn opt_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    let v: Option<BoolLike> = Option::deserialize(d)?;
    Ok(match v {
        None => None,
        Some(BoolLike::Bool(b)) => Some(b),
        Some(BoolLike::Int(i)) => Some(i != 0),
        Some(BoolLike::Str(s)) => Some(matches!(s.as_str(), "true" | "1" | "True")),
    })
}

/// An integer inside an already-parsed JSON value: a number, a numeric string, or None.
pub fn int_value(v: Option<&serde_json::Value>) -> Option<i64> {
    match v? {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A flag inside an already-parsed JSON value: true/false, 0/1, "true"/"1"; absent is false.
pub fn flag_value(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::Number(n)) => n.as_i64().unwrap_or(0) != 0,
        Some(serde_json::Value::String(s)) => matches!(s.as_str(), "true" | "1"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "opt_int")]
        n: Option<i64>,
        #[serde(default, deserialize_with = "opt_bool")]
        b: Option<bool>,
    }

    #[test]
    fn accepts_sdk_shapes() {
        let t: T = serde_json::from_str(r#"{"n":"101","b":1}"#).unwrap();
        assert_eq!((t.n, t.b), (Some(101), Some(true)));
        let t: T = serde_json::from_str(r#"{"n":null,"b":false}"#).unwrap();
        assert_eq!((t.n, t.b), (None, Some(false)));
        let t: T = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!((t.n, t.b), (None, None));
        assert!(serde_json::from_str::<T>(r#"{"n":"abc"}"#).is_err());
    }
}
