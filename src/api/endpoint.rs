//! Where requests go: the regional ECS endpoint, or an override such as a local simulator
//! (other products' endpoints follow from it: `super::product`).
//!
//! Plain `http` is refused unless the host is a loopback address: an override pointing at a
//! remote host over cleartext would expose signed requests (and an STS token) on the network.

use std::fmt;
use std::net::IpAddr;

use reqwest::Url;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    Http,
    Https,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// An ECS endpoint: scheme, host and (non-default) port. The path is always `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    scheme: Scheme,
    /// Host as it appears in a URL: IPv6 addresses keep their brackets.
    host: String,
    /// `None` when the scheme's default port is meant.
    port: Option<u16>,
}

/// Why an endpoint override was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EndpointError {
    #[error("endpoint `{input}` is not a valid URL ({reason}); write it as https://HOST[:PORT]")]
    Malformed { input: String, reason: String },
    #[error(
        "endpoint `{input}` uses scheme `{scheme}`; only https (or http to a loopback address) is supported"
    )]
    UnsupportedScheme { input: String, scheme: String },
    #[error(
        "endpoint `{input}` must be just scheme, host and port: {what} is not allowed; write it as https://HOST[:PORT]"
    )]
    Extra { input: String, what: &'static str },
    #[error(
        "endpoint `{input}` uses plain http to `{host}`, which is not a loopback address: signed \
         requests would cross the network unencrypted. Use https://, or plain http only to \
         127.0.0.1, [::1] or localhost (for example a local simulator or an SSH tunnel)"
    )]
    InsecureHttp { input: String, host: String },
}

impl Endpoint {
    /// `https://host` on the default port (an Alibaba Cloud endpoint).
    pub(crate) fn https(host: String) -> Endpoint {
        Endpoint {
            scheme: Scheme::Https,
            host,
            port: None,
        }
    }

    /// Parses an override such as `https://ecs.example.com` or `http://127.0.0.1:8080`.
    ///
    /// A bare host (`ecs.example.com[:port]`) means https. Paths other than `/`, queries,
    /// fragments and user info are refused rather than silently dropped.
    pub fn parse(input: &str) -> Result<Endpoint, EndpointError> {
        let trimmed = input.trim();
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_string()
        } else {
            format!("https://{trimmed}")
        };
        let url = Url::parse(&with_scheme).map_err(|e| EndpointError::Malformed {
            input: input.to_string(),
            reason: e.to_string(),
        })?;
        let scheme = match url.scheme() {
            "https" => Scheme::Https,
            "http" => Scheme::Http,
            other => {
                return Err(EndpointError::UnsupportedScheme {
                    input: input.to_string(),
                    scheme: other.to_string(),
                });
            }
        };
        let extra = |what| EndpointError::Extra {
            input: input.to_string(),
            what,
        };
        if !url.username().is_empty() || url.password().is_some() {
            // Echo the input with any password masked: errors get printed and logged.
            let mut shown = url.clone();
            let _ = shown.set_password(url.password().map(|_| "***"));
            return Err(EndpointError::Extra {
                input: shown.to_string(),
                what: "user info",
            });
        }
        if url.path() != "/" {
            return Err(extra("a path"));
        }
        if url.query().is_some() {
            return Err(extra("a query string"));
        }
        if url.fragment().is_some() {
            return Err(extra("a fragment"));
        }
        let Some(host) = url.host_str().filter(|h| !h.is_empty()) else {
            return Err(EndpointError::Malformed {
                input: input.to_string(),
                reason: "no host".into(),
            });
        };
        let endpoint = Endpoint {
            scheme,
            host: host.to_string(),
            // `Url::port` is already `None` for the scheme's default port.
            port: url.port(),
        };
        if scheme == Scheme::Http && !endpoint.is_loopback() {
            return Err(EndpointError::InsecureHttp {
                input: input.to_string(),
                host: endpoint.host,
            });
        }
        Ok(endpoint)
    }

    pub fn scheme(&self) -> Scheme {
        self.scheme
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    /// The port requests connect to (the scheme default when none was given).
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(self.scheme.default_port())
    }

    /// The `host` header value, which V3 signs: `host[:port]`, port only when not the
    /// scheme's default — the same form HTTP clients derive from the URL.
    pub fn host_header(&self) -> String {
        match self.port {
            Some(port) if port != self.scheme.default_port() => format!("{}:{port}", self.host),
            _ => self.host.clone(),
        }
    }

    /// Whether the host is a loopback address (a local simulator or tunnel).
    pub fn is_loopback(&self) -> bool {
        let bare = self.host.trim_start_matches('[').trim_end_matches(']');
        bare.eq_ignore_ascii_case("localhost")
            || bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
    }
}

/// `scheme://host[:port]`, without a trailing slash.
impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host_header())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_info_is_refused_without_echoing_the_password() {
        let err = Endpoint::parse("https://user:hunter2-pass@ecs.example.com")
            .expect_err("user info is refused");
        let text = err.to_string();
        assert!(text.contains("user info"), "{text}");
        assert!(!text.contains("hunter2-pass"), "{text}");
        assert!(!format!("{err:?}").contains("hunter2-pass"));
    }

    #[test]
    fn https_overrides_are_accepted_anywhere() {
        let e = Endpoint::parse("https://ecs.example.com:8443").expect("valid");
        assert_eq!(e.scheme(), Scheme::Https);
        assert_eq!(e.host_header(), "ecs.example.com:8443");
        let e = Endpoint::parse("https://ecs.example.com:443/").expect("valid");
        assert_eq!(e.host_header(), "ecs.example.com");
        let bare = Endpoint::parse("ecs-vpc.cn-hangzhou.aliyuncs.com").expect("valid");
        assert_eq!(bare.to_string(), "https://ecs-vpc.cn-hangzhou.aliyuncs.com");
    }

    #[test]
    fn plain_http_only_to_loopback() {
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.5.6.7:1",
            "http://localhost:9000",
            "http://LOCALHOST",
            "http://[::1]:8080",
        ] {
            let e = Endpoint::parse(ok).unwrap_or_else(|err| panic!("{ok}: {err}"));
            assert!(e.is_loopback(), "{ok}");
            assert_eq!(e.scheme(), Scheme::Http);
        }
        assert_eq!(
            Endpoint::parse("http://[::1]:8080")
                .expect("valid")
                .host_header(),
            "[::1]:8080"
        );
        assert_eq!(
            Endpoint::parse("http://127.0.0.1:80")
                .expect("valid")
                .host_header(),
            "127.0.0.1"
        );
        for bad in [
            "http://10.0.0.1:8080",
            "http://ecs.example.com",
            "http://localhost.evil.com",
            "http://[::2]",
        ] {
            let err = Endpoint::parse(bad).expect_err(bad);
            assert!(matches!(err, EndpointError::InsecureHttp { .. }), "{bad}");
            let text = err.to_string();
            assert!(
                text.contains("https://") && text.contains("loopback"),
                "{text}"
            );
        }
    }

    #[test]
    fn junk_is_refused_with_a_reason() {
        assert!(matches!(
            Endpoint::parse("ftp://127.0.0.1"),
            Err(EndpointError::UnsupportedScheme { .. })
        ));
        for (bad, what) in [
            ("https://h.example.com/api", "a path"),
            ("https://h.example.com/?x=1", "a query string"),
            ("https://h.example.com/#f", "a fragment"),
            ("https://user:pw@h.example.com", "user info"),
        ] {
            match Endpoint::parse(bad) {
                Err(EndpointError::Extra { what: got, .. }) => assert_eq!(got, what, "{bad}"),
                other => panic!("{bad}: {other:?}"),
            }
        }
        assert!(matches!(
            Endpoint::parse("https://exa mple.com"),
            Err(EndpointError::Malformed { .. })
        ));
        assert!(matches!(
            Endpoint::parse(""),
            Err(EndpointError::Malformed { .. })
        ));
    }
}
