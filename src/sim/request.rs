//! Turning raw HTTP into decoded parts: headers, query pairs and form-body pairs.
//!
//! Everything here is hostile input: percent-encodings are checked strictly, bytes must be UTF-8,
//! and the number of parameters is capped, so a bad request earns an error envelope instead of
//! a panic or unbounded memory.

use super::body::ReadBody;
use super::error::SimError;
use hyper::http::HeaderMap;
use hyper::http::request::Parts;
use std::borrow::Cow;

/// Most parameters one request may carry (query and body together).
pub const MAX_PARAMS: usize = 1000;

/// The pieces of a request that authentication and the operations look at, borrowed from the
/// request head where they need no decoding.
#[derive(Debug)]
pub struct RawRequest<'a> {
    /// The HTTP method as received (the server passes only GET and POST on).
    pub method: &'a str,
    pub path: &'a str,
    /// Header names lowercase (as hyper gives them), values as received (must be UTF-8).
    pub headers: Vec<(&'a str, &'a str)>,
    /// Query pairs, form-decoded (`+` is a space).
    pub query: Vec<(String, String)>,
    /// Form-body pairs when the body is `application/x-www-form-urlencoded`, else empty.
    pub form: Vec<(String, String)>,
    /// Lowercase hex SHA-256 of the body, as V3's `x-acs-content-sha256` states it.
    pub body_sha256: Cow<'static, str>,
}

/// Whether the request's body is `application/x-www-form-urlencoded` (parameters travel in it).
pub fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get_all(hyper::http::header::CONTENT_TYPE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("application/x-www-form-urlencoded")
        })
}

impl<'a> RawRequest<'a> {
    pub fn new(parts: &'a Parts, body: ReadBody) -> Result<Self, SimError> {
        let mut headers = Vec::with_capacity(parts.headers.len());
        for (name, value) in &parts.headers {
            let value = std::str::from_utf8(value.as_bytes()).map_err(|_| {
                SimError::malformed_request(format!("Header \"{name}\" is not valid UTF-8."))
            })?;
            headers.push((name.as_str(), value));
        }
        let query = match parts.uri.query() {
            Some(q) => decode_form(q.as_bytes(), "the query string")?,
            None => Vec::new(),
        };
        let form = match &body.form {
            Some(bytes) => decode_form(bytes, "the form body")?,
            None => Vec::new(),
        };
        if query.len() + form.len() > MAX_PARAMS {
            return Err(SimError::malformed_request(format!(
                "The request carries more than {MAX_PARAMS} parameters."
            )));
        }
        Ok(Self {
            method: parts.method.as_str(),
            path: parts.uri.path(),
            headers,
            query,
            form,
            body_sha256: body.sha256,
        })
    }

    /// The value of a header (first occurrence), by lowercase name.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    }
}

/// Decodes `application/x-www-form-urlencoded` bytes: `+` is a space, `%XX` must be two hex
/// digits, and every name and value must be UTF-8.
pub fn decode_form(input: &[u8], what: &str) -> Result<Vec<(String, String)>, SimError> {
    let mut pairs = Vec::new();
    for segment in input.split(|b| *b == b'&').filter(|s| !s.is_empty()) {
        if pairs.len() == MAX_PARAMS {
            return Err(SimError::malformed_request(format!(
                "The request carries more than {MAX_PARAMS} parameters."
            )));
        }
        let (name, value) = match segment.iter().position(|b| *b == b'=') {
            Some(at) => (&segment[..at], &segment[at + 1..]),
            None => (segment, &[][..]),
        };
        pairs.push((
            decode_component(name, what)?,
            decode_component(value, what)?,
        ));
    }
    Ok(pairs)
}

fn decode_component(raw: &[u8], what: &str) -> Result<String, SimError> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' => {
                // Checked digit by digit: `from_str_radix` alone would accept a sign ("%+1").
                let hex = raw
                    .get(i + 1..i + 3)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| u8::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                let Some(byte) = hex else {
                    return Err(SimError::malformed_request(format!(
                        "Malformed percent-encoding in {what}: every \"%\" must be followed by two hex digits."
                    )));
                };
                out.push(byte);
                i += 2;
            }
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8(out).map_err(|_| {
        SimError::malformed_request(format!("{what} is not valid UTF-8 once percent-decoded."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(s: &str) -> Result<Vec<(String, String)>, SimError> {
        decode_form(s.as_bytes(), "the query string")
    }

    #[test]
    fn plus_is_space_and_percent_is_decoded() {
        let pairs = decoded("ImageName=my+image~%2A%2B%2F&SignatureType=&Flag&&x=%C3%A9").unwrap();
        assert_eq!(
            pairs,
            vec![
                ("ImageName".into(), "my image~*+/".into()),
                ("SignatureType".into(), String::new()),
                ("Flag".into(), String::new()),
                ("x".into(), "é".into()),
            ]
        );
    }

    #[test]
    fn broken_encodings_are_errors_not_panics() {
        for bad in ["a=%", "a=%4", "a=%zz", "a=%C3", "%FF=1", "a=%e9%", "a=%+1"] {
            let err = decoded(bad).unwrap_err();
            assert_eq!(err.code, "InvalidParameter", "{bad}");
        }
    }

    #[test]
    fn parameter_count_is_capped() {
        let many = (0..=MAX_PARAMS)
            .map(|i| format!("p{i}=1"))
            .collect::<Vec<_>>()
            .join("&");
        assert!(decoded(&many).unwrap_err().message.contains("more than"));
    }
}
