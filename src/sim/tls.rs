//! The simulator's HTTPS face: a certificate authority made afresh at every start, and a
//! server certificate it signs for the names clients dial — loopback, the metadata address,
//! and the Alibaba Cloud hosts the official SDKs and credential libraries contact (STS, ECS,
//! Resource Manager), so a client whose hosts file points those names here needs nothing but
//! the CA to trust it.
//!
//! The CA's private key lives only in this process and signs one certificate, so trusting the
//! CA (its PEM is public: `sim serve --ca-out`) trusts nothing but this simulator run.

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use std::sync::Arc;

/// Names every simulator certificate covers. Wildcards match one label, so regional hosts
/// (`sts.cn-hangzhou.aliyuncs.com`) come from [`names_for_regions`].
const FIXED_NAMES: &[&str] = &[
    "localhost",
    "127.0.0.1",
    "::1",
    // The instance metadata address, for clients that insist on https.
    "100.100.100.200",
    // sts.aliyuncs.com, ecs.aliyuncs.com, ecs-cn-hangzhou.aliyuncs.com,
    // resourcemanager.aliyuncs.com, ...
    "*.aliyuncs.com",
    "*.vpc-proxy.aliyuncs.com",
];

/// The names for a simulator that serves `regions`: the fixed ones plus every
/// `<service>.<region>.aliyuncs.com` (STS's and ECS's regional hosts).
pub fn names_for_regions<'a>(regions: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut names: Vec<String> = FIXED_NAMES.iter().map(|n| n.to_string()).collect();
    for region in regions {
        // A region ID is letters, digits and hyphens (the seed checks it); anything else would
        // make an invalid DNS name, so it is skipped rather than failing the start.
        if !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            names.push(format!("*.{region}.aliyuncs.com"));
        }
    }
    names
}

/// A CA and the server configuration holding the certificate it signed.
pub struct Authority {
    ca_pem: String,
    server: Arc<rustls::ServerConfig>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

/// Why the certificates could not be made (a library failure, not the user's input).
#[derive(Debug, thiserror::Error)]
#[error("cannot create the TLS certificates: {0}")]
pub struct TlsError(String);

fn failed(e: impl std::fmt::Display) -> TlsError {
    TlsError(e.to_string())
}

impl Authority {
    /// A new CA and a server certificate for `names` (DNS names, wildcards or IP addresses).
    pub fn generate(names: &[String]) -> Result<Authority, TlsError> {
        let ca_key = KeyPair::generate().map_err(failed)?;
        let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(failed)?;
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.distinguished_name
            .push(DnType::CommonName, "ecsimg simulator CA (this run only)");
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_cert = ca.self_signed(&ca_key).map_err(failed)?;
        let issuer = Issuer::new(ca, ca_key);

        let leaf_key = KeyPair::generate().map_err(failed)?;
        let mut leaf = CertificateParams::new(names.to_vec()).map_err(failed)?;
        leaf.distinguished_name
            .push(DnType::CommonName, "ecsimg simulator");
        leaf.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let leaf_cert = leaf.signed_by(&leaf_key, &issuer).map_err(failed)?;

        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut server = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(failed)?
            .with_no_client_auth()
            .with_single_cert(vec![leaf_cert.der().clone(), ca_cert.der().clone()], key)
            .map_err(failed)?;
        // The server speaks HTTP/1.1 only.
        server.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Authority {
            ca_pem: ca_cert.pem(),
            server: Arc::new(server),
        })
    }

    /// The CA certificate, PEM: what clients must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(self.server.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_names_are_added_and_odd_regions_skipped() {
        let names = names_for_regions(["cn-hangzhou", "bad region", ""]);
        assert!(names.contains(&"*.cn-hangzhou.aliyuncs.com".to_string()));
        assert!(names.contains(&"100.100.100.200".to_string()));
        assert!(!names.iter().any(|n| n.contains(' ')));
        let authority = Authority::generate(&names).expect("certificates");
        assert!(
            authority
                .ca_pem()
                .starts_with("-----BEGIN CERTIFICATE-----")
        );
        assert!(!authority.ca_pem().contains("PRIVATE KEY"));
    }
}
