//! Which operation a request names. One listener serves several Alibaba Cloud products, as if
//! each had its own endpoint: a request is routed by its API version (V1 `Version`, V3
//! `x-acs-version`) to a product, then by its action name within that product. A product is a
//! row of [`PRODUCTS`]; adding one is a row, its [`Action`] variants and their handlers (in
//! `ops`, or `sts` for the security token service).

use super::error::SimError;

/// An operation the simulator answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    DescribeRegions,
    DescribeInstances,
    DescribeDisks,
    DescribeSnapshots,
    DescribeImages,
    CreateImage,
    DeleteImage,
    StopInstances,
    StartInstances,
    ListResourceGroups,
    AssumeRole,
    AssumeRoleWithOIDC,
    GetCallerIdentity,
    CopyImage,
    CancelCopyImage,
    ModifyImageSharePermission,
    DescribeImageSharePermission,
    TagResources,
    UntagResources,
    ListTagResources,
    ModifyImageAttribute,
}

/// One product: its API version and the actions the simulator serves under it.
#[derive(Debug)]
pub struct Product {
    /// As the error envelope's troubleshooting link names it (`product=Ecs`).
    pub name: &'static str,
    pub version: &'static str,
    pub actions: &'static [Action],
}

/// ECS, API version 2014-05-26.
pub const ECS: Product = Product {
    name: "Ecs",
    version: crate::api::product::ECS.version,
    actions: &[
        Action::DescribeRegions,
        Action::DescribeInstances,
        Action::DescribeDisks,
        Action::DescribeSnapshots,
        Action::DescribeImages,
        Action::CreateImage,
        Action::DeleteImage,
        Action::StopInstances,
        Action::StartInstances,
        Action::CopyImage,
        Action::CancelCopyImage,
        Action::ModifyImageSharePermission,
        Action::DescribeImageSharePermission,
        Action::TagResources,
        Action::UntagResources,
        Action::ListTagResources,
        Action::ModifyImageAttribute,
    ],
};

/// Resource Manager, API version 2020-03-31 (RPC style; `resourcemanager.aliyuncs.com` in
/// reality).
pub const RESOURCE_MANAGER: Product = Product {
    name: "ResourceManager",
    version: crate::api::product::RESOURCE_MANAGER.version,
    actions: &[Action::ListResourceGroups],
};

/// STS, API version 2015-04-01 (`sts.aliyuncs.com` in reality).
pub const STS: Product = Product {
    name: "Sts",
    version: crate::api::product::STS.version,
    actions: &[
        Action::AssumeRole,
        Action::AssumeRoleWithOIDC,
        Action::GetCallerIdentity,
    ],
};

/// Every product the listener serves.
pub const PRODUCTS: &[&Product] = &[&ECS, &RESOURCE_MANAGER, &STS];

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::DescribeRegions => "DescribeRegions",
            Self::DescribeInstances => "DescribeInstances",
            Self::DescribeDisks => "DescribeDisks",
            Self::DescribeSnapshots => "DescribeSnapshots",
            Self::DescribeImages => "DescribeImages",
            Self::CreateImage => "CreateImage",
            Self::DeleteImage => "DeleteImage",
            Self::StopInstances => "StopInstances",
            Self::StartInstances => "StartInstances",
            Self::ListResourceGroups => "ListResourceGroups",
            Self::AssumeRole => "AssumeRole",
            Self::AssumeRoleWithOIDC => "AssumeRoleWithOIDC",
            Self::GetCallerIdentity => "GetCallerIdentity",
            Self::CopyImage => "CopyImage",
            Self::CancelCopyImage => "CancelCopyImage",
            Self::ModifyImageSharePermission => "ModifyImageSharePermission",
            Self::DescribeImageSharePermission => "DescribeImageSharePermission",
            Self::TagResources => "TagResources",
            Self::UntagResources => "UntagResources",
            Self::ListTagResources => "ListTagResources",
            Self::ModifyImageAttribute => "ModifyImageAttribute",
        }
    }

    /// The product the action belongs to.
    pub fn product(self) -> &'static Product {
        PRODUCTS
            .iter()
            .copied()
            .find(|p| p.actions.contains(&self))
            .unwrap_or(&ECS)
    }

    /// The action named `name` in any product (exact: action names are case-sensitive), else
    /// 404 `InvalidAction.NotFound`. Scripted faults name actions this way.
    pub fn from_name(name: &str) -> Result<Self, SimError> {
        PRODUCTS
            .iter()
            .flat_map(|p| p.actions.iter().copied())
            .find(|a| a.name() == name)
            .ok_or_else(SimError::action_not_found)
    }
}

/// The action a request names: an API version no product has is 400 `InvalidVersion`; a known
/// version with an action its product lacks is 404 `InvalidAction.NotFound`, as a real endpoint
/// answers an action it does not serve.
pub fn route(version: &str, action: &str) -> Result<Action, SimError> {
    let product = PRODUCTS
        .iter()
        .find(|p| p.version == version)
        .ok_or_else(SimError::invalid_version)?;
    product
        .actions
        .iter()
        .copied()
        .find(|a| a.name() == action)
        .ok_or_else(SimError::action_not_found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_are_routed_by_version_then_name() {
        assert_eq!(
            route("2014-05-26", "CreateImage").unwrap(),
            Action::CreateImage
        );
        assert_eq!(
            route("2020-03-31", "ListResourceGroups").unwrap(),
            Action::ListResourceGroups
        );
        assert_eq!(
            route("2015-04-01", "AssumeRole").unwrap(),
            Action::AssumeRole
        );
        // Each product answers only its own actions, case-sensitively.
        for (version, action) in [
            ("2020-03-31", "DescribeInstances"),
            ("2014-05-26", "ListResourceGroups"),
            ("2014-05-26", "createimage"),
        ] {
            assert_eq!(
                route(version, action).unwrap_err().code,
                "InvalidAction.NotFound",
                "{version} {action}"
            );
        }
        assert_eq!(
            route("2016-11-11", "DescribeInstances").unwrap_err().code,
            "InvalidVersion"
        );
    }

    #[test]
    fn every_action_belongs_to_exactly_one_product() {
        for product in PRODUCTS {
            for action in product.actions {
                assert_eq!(action.product().name, product.name);
                assert_eq!(Action::from_name(action.name()).unwrap(), *action);
                let owners = PRODUCTS
                    .iter()
                    .filter(|p| p.actions.contains(action))
                    .count();
                assert_eq!(owners, 1, "{action:?}");
            }
        }
    }
}
