//! A client for each region a delivery works in, made up front by the face that has the
//! credentials (the CLI's session, the wizard's connector), so the engine and its DryRun only
//! ask for them by region and each region's connections are reused.

use std::collections::HashMap;

use crate::api::{ApiError, Client};

/// The clients of a delivery's regions, or why one could not be made.
#[derive(Clone, Default)]
pub struct RegionalClients(HashMap<String, Result<Client, ApiError>>);

impl RegionalClients {
    /// A client for each of `regions`, made by `make`.
    pub fn new(
        regions: impl IntoIterator<Item = String>,
        make: impl Fn(&str) -> Result<Client, ApiError>,
    ) -> RegionalClients {
        RegionalClients(
            regions
                .into_iter()
                .map(|region| {
                    let client = make(&region);
                    (region, client)
                })
                .collect(),
        )
    }

    /// The client for `region`, or why there is none.
    pub fn get(&self, region: &str) -> Result<Client, ApiError> {
        match self.0.get(region) {
            Some(Ok(client)) => Ok(client.clone()),
            Some(Err(why)) => Err(why.clone()),
            None => Err(ApiError::InvalidRequest {
                detail: format!("no client was made for {region}"),
            }),
        }
    }
}
