//! The Alibaba Cloud products ecsimg calls, as data: the API version a request names (V1
//! `Version`, V3 `x-acs-version`), where the product's public and VPC endpoints are, and
//! whether its requests carry `RegionId`. Signing and the client take a [`Product`], so a new
//! one is a constant here and its operations in the client.

use super::endpoint::Endpoint;

/// One product's API.
#[derive(Debug)]
pub struct Product {
    /// As error envelopes and logs name it (`Ecs`, `ResourceManager`).
    pub name: &'static str,
    /// The API version every request names.
    pub version: &'static str,
    /// The public endpoint's host in a region.
    public_host: fn(&str) -> String,
    /// The endpoint's host inside a VPC (no internet needed).
    vpc_host: fn(&str) -> String,
    /// Whether requests name the region (`RegionId`); account-wide products take none.
    pub regional: bool,
}

/// ECS, API version 2014-05-26. Public endpoint `ecs.<region>.aliyuncs.com`, except
/// cn-hangzhou, which the official SDKs send to `ecs-cn-hangzhou.aliyuncs.com`; VPC endpoint
/// `ecs-vpc.<region>.aliyuncs.com`.
pub const ECS: Product = Product {
    name: "Ecs",
    version: "2014-05-26",
    public_host: |region| {
        if region == "cn-hangzhou" {
            "ecs-cn-hangzhou.aliyuncs.com".to_string()
        } else {
            format!("ecs.{region}.aliyuncs.com")
        }
    },
    vpc_host: |region| format!("ecs-vpc.{region}.aliyuncs.com"),
    regional: true,
};

/// Resource Manager, API version 2020-03-31 (RPC style). One endpoint for every region:
/// `resourcemanager.aliyuncs.com`, `resourcemanager.vpc-proxy.aliyuncs.com` from a VPC
/// (<https://www.alibabacloud.com/help/en/resource-management/resource-directory/developer-reference/api-resourcemanager-2020-03-31-endpoint>).
pub const RESOURCE_MANAGER: Product = Product {
    name: "ResourceManager",
    version: "2020-03-31",
    public_host: |_| "resourcemanager.aliyuncs.com".to_string(),
    vpc_host: |_| "resourcemanager.vpc-proxy.aliyuncs.com".to_string(),
    regional: false,
};

/// STS (Security Token Service), API version 2015-04-01. Public endpoint `sts.aliyuncs.com`,
/// regional `sts.<region>.aliyuncs.com`, VPC `sts-vpc.<region>.aliyuncs.com`
/// (<https://www.alibabacloud.com/help/en/ram/developer-reference/api-sts-2015-04-01-endpoint>).
/// Its endpoint is chosen by the credential settings, never derived from ECS's
/// (`crate::api::sts`).
pub const STS: Product = Product {
    name: "Sts",
    version: "2015-04-01",
    public_host: |region| {
        if region.is_empty() {
            "sts.aliyuncs.com".to_string()
        } else {
            format!("sts.{region}.aliyuncs.com")
        }
    },
    vpc_host: |region| format!("sts-vpc.{region}.aliyuncs.com"),
    regional: false,
};

impl Product {
    /// The product's public endpoint for `region`.
    pub fn public_endpoint(&self, region: &str) -> Endpoint {
        Endpoint::https((self.public_host)(region))
    }

    /// The product's VPC endpoint for `region`.
    pub fn vpc_endpoint(&self, region: &str) -> Endpoint {
        Endpoint::https((self.vpc_host)(region))
    }

    /// Where this product's requests go when ECS's go to `ecs` (the regional endpoint or an
    /// override). An Alibaba Cloud ECS endpoint (`*.aliyuncs.com`) means the real service:
    /// each product has its own endpoint there, its VPC one when ECS is reached through its
    /// VPC endpoint. Anything else — a simulator, a gateway, a tunnel — is taken to serve
    /// every product on one listener, as ecsimg's simulator does (it routes by API version).
    pub fn endpoint(&self, ecs: &Endpoint, region: &str) -> Endpoint {
        let host = ecs.host().to_ascii_lowercase();
        if self.name == ECS.name || !host.ends_with(".aliyuncs.com") {
            return ecs.clone();
        }
        if host.starts_with("ecs-vpc.") {
            Endpoint::https((self.vpc_host)(region))
        } else {
            self.public_endpoint(region)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regional_ecs_endpoints_follow_the_sdk_rule() {
        assert_eq!(
            ECS.public_endpoint("cn-hangzhou").to_string(),
            "https://ecs-cn-hangzhou.aliyuncs.com"
        );
        let sh = ECS.public_endpoint("cn-shanghai");
        assert_eq!(sh.to_string(), "https://ecs.cn-shanghai.aliyuncs.com");
        assert_eq!(sh.host_header(), "ecs.cn-shanghai.aliyuncs.com");
        assert_eq!(sh.port(), 443);
        assert!(!sh.is_loopback());
    }

    fn resolve(product: &Product, ecs: &str) -> String {
        let ecs = Endpoint::parse(ecs).expect("valid");
        product.endpoint(&ecs, "cn-shanghai").to_string()
    }

    #[test]
    fn each_product_has_its_own_endpoint_at_alibaba_cloud() {
        let regional = ECS.public_endpoint("cn-shanghai").to_string();
        assert_eq!(regional, "https://ecs.cn-shanghai.aliyuncs.com");
        assert_eq!(resolve(&ECS, &regional), regional);
        assert_eq!(
            resolve(&RESOURCE_MANAGER, &regional),
            "https://resourcemanager.aliyuncs.com"
        );
        // The central ECS endpoint and an upper-case host are Alibaba Cloud's too.
        assert_eq!(
            resolve(&RESOURCE_MANAGER, "https://ECS.aliyuncs.com"),
            "https://resourcemanager.aliyuncs.com"
        );
    }

    #[test]
    fn a_vpc_endpoint_keeps_every_product_inside_the_vpc() {
        let vpc = "https://ecs-vpc.cn-shanghai.aliyuncs.com";
        assert_eq!(resolve(&ECS, vpc), vpc);
        assert_eq!(
            resolve(&RESOURCE_MANAGER, vpc),
            "https://resourcemanager.vpc-proxy.aliyuncs.com"
        );
    }

    #[test]
    fn a_simulator_or_gateway_serves_every_product() {
        for other in [
            "http://127.0.0.1:4600",
            "https://gateway.example.com:8443",
            "https://aliyuncs.com.evil.example",
        ] {
            let expected = Endpoint::parse(other).expect("valid").to_string();
            assert_eq!(resolve(&RESOURCE_MANAGER, other), expected, "{other}");
            assert_eq!(resolve(&ECS, other), expected, "{other}");
        }
    }
}
