//! What providers are built with: the session's network settings and clock, and where STS is
//! (the sandbox's simulator, the profile's endpoint, config.toml's, or the regional one).

use std::sync::Arc;
use std::time::Duration;

use super::CredentialsError;
use super::ecs_ram_role::MetadataSettings;
use crate::api::endpoint::Endpoint;
use crate::api::product::STS;
use crate::api::provider::{Now, SharedProvider};
use crate::api::sign::SignatureVersion;
use crate::api::{Client, ClientConfig, RetryPolicy};

/// Where STS is, as the profile or the environment say.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StsPlace {
    /// `sts_endpoint` (profile) or `ALIBABA_CLOUD_STS_ENDPOINT`, as written.
    pub endpoint: Option<String>,
    /// `sts_region` (profile) or `ALIBABA_CLOUD_STS_REGION`.
    pub region: Option<String>,
    /// `enable_vpc` (profile) or `ALIBABA_CLOUD_VPC_ENDPOINT_ENABLED=true`: with a region,
    /// `sts-vpc.<region>.aliyuncs.com`.
    pub vpc: bool,
}

/// The session's settings a provider is built with.
#[derive(Clone)]
pub struct Wiring {
    /// `--sandbox`: every STS request goes to the simulator, whatever the profile says.
    pub sts_override: Option<Endpoint>,
    /// `sts_endpoint` in config.toml, below the profile's own.
    pub config_sts: Option<Endpoint>,
    /// Extra CAs (PEM) STS is trusted through, as the ECS client is (`[network] ca_file`).
    pub extra_roots: Option<Arc<str>>,
    /// Where the instance metadata service is, and its switches (`EcsRamRole`).
    pub metadata: MetadataSettings,
    pub connect_timeout: Duration,
    pub read_timeout: Duration,
    pub call_timeout: Duration,
    pub max_attempts: u32,
    pub now: Now,
}

/// The STS endpoint: the sandbox's simulator, else the profile's `sts_endpoint`, else
/// config.toml's, else `sts[-vpc].<region>.aliyuncs.com`, else `sts.aliyuncs.com`.
pub(super) fn sts_endpoint(
    place: &StsPlace,
    wiring: &Wiring,
) -> Result<Endpoint, CredentialsError> {
    if let Some(sandbox) = &wiring.sts_override {
        return Ok(sandbox.clone());
    }
    if let Some(text) = &place.endpoint {
        return Endpoint::parse(text).map_err(|e| CredentialsError::Incomplete {
            origin: "sts_endpoint".into(),
            problem: e.to_string(),
        });
    }
    if let Some(endpoint) = &wiring.config_sts {
        return Ok(endpoint.clone());
    }
    Ok(match place.region.as_deref() {
        Some(region) if place.vpc => STS.vpc_endpoint(region),
        Some(region) => STS.public_endpoint(region),
        None => STS.public_endpoint(""),
    })
}

/// A client for STS signing with `source`'s credentials, V1 as the official credential
/// libraries send AssumeRole.
pub(super) fn sts_client(
    wiring: &Wiring,
    endpoint: &Endpoint,
    source: SharedProvider,
) -> Result<Client, CredentialsError> {
    let mut config = ClientConfig::new("", source)
        .with_endpoint(endpoint.clone())
        .with_signature_version(SignatureVersion::V1)
        .with_timeouts(wiring.connect_timeout, wiring.read_timeout)
        .with_call_timeout(wiring.call_timeout)
        .with_retry(RetryPolicy {
            max_attempts: wiring.max_attempts,
            ..RetryPolicy::default()
        })
        .with_clock(wiring.now.clone());
    if let Some(pem) = &wiring.extra_roots {
        config = config.with_extra_roots(pem.clone());
    }
    Client::new(config).map_err(|e| CredentialsError::Incomplete {
        origin: "STS client".into(),
        problem: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wiring() -> Wiring {
        Wiring {
            sts_override: None,
            config_sts: None,
            extra_roots: None,
            metadata: MetadataSettings::default(),
            connect_timeout: Duration::from_secs(1),
            read_timeout: Duration::from_secs(1),
            call_timeout: Duration::from_secs(1),
            max_attempts: 1,
            now: crate::api::provider::system_now(),
        }
    }

    #[test]
    fn sts_endpoint_precedence() {
        let mut w = wiring();
        let place = |endpoint: Option<&str>, region: Option<&str>, vpc| StsPlace {
            endpoint: endpoint.map(str::to_string),
            region: region.map(str::to_string),
            vpc,
        };
        let at = |p: &StsPlace, w: &Wiring| sts_endpoint(p, w).expect("endpoint").to_string();
        assert_eq!(
            at(&place(None, None, false), &w),
            "https://sts.aliyuncs.com"
        );
        assert_eq!(
            at(&place(None, Some("cn-shanghai"), false), &w),
            "https://sts.cn-shanghai.aliyuncs.com"
        );
        assert_eq!(
            at(&place(None, Some("cn-shanghai"), true), &w),
            "https://sts-vpc.cn-shanghai.aliyuncs.com"
        );
        w.config_sts = Some(Endpoint::parse("https://sts.example.com").expect("valid"));
        assert_eq!(
            at(&place(None, Some("cn-shanghai"), false), &w),
            "https://sts.example.com"
        );
        assert_eq!(
            at(&place(Some("sts.cn-beijing.aliyuncs.com"), None, false), &w),
            "https://sts.cn-beijing.aliyuncs.com"
        );
        let e = sts_endpoint(&place(Some("http://sts.example.com"), None, false), &w).unwrap_err();
        assert!(e.to_string().contains("not a loopback"), "{e}");
        w.sts_override = Some(Endpoint::parse("http://127.0.0.1:9").expect("valid"));
        assert_eq!(
            at(&place(Some("sts.x.com"), None, false), &w),
            "http://127.0.0.1:9"
        );
    }
}
