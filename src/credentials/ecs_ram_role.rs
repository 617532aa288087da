//! `EcsRamRole`: the credentials of the RAM role attached to the ECS instance ecsimg runs on,
//! from the instance metadata service. Resolution already recognises the mode (a profile's
//! `mode = EcsRamRole` / `ram_role_name`, the credentials file's `type = ecs_ram_role`); this
//! is where its provider is built.

use super::CredentialsError;
use crate::api::provider::SharedProvider;

/// The provider for the instance's role `role_name` (`None`: the one role the instance has).
pub(super) fn provider(role_name: Option<&str>) -> Result<SharedProvider, CredentialsError> {
    let _ = role_name;
    Err(CredentialsError::NotYet {
        mode: "EcsRamRole",
        hint: "ecsimg cannot read instance metadata yet; use a RamRoleArn profile, or export \
               the instance role's credentials as ALIBABA_CLOUD_ACCESS_KEY_ID, \
               ALIBABA_CLOUD_ACCESS_KEY_SECRET and ALIBABA_CLOUD_SECURITY_TOKEN"
            .into(),
    })
}
