//! Work `update` asks for, and the runner that does it.
//!
//! `update` stays pure by returning [`Effect`]s; the [`Runner`] turns each into a tokio task
//! holding a clone of the [`Client`] and a [`CancellationToken`] child, and the task reports back
//! as [`Msg`]s on an unbounded channel. Listings stream one message per page, so a picker shows
//! the first page while the rest load.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::launch::Connector;
use super::msg::{Loaded, Msg, Page, RequestId};
use crate::api::model::{DiskQuery, ImageQuery, InstanceQuery, SnapshotQuery, WATCH_STATUSES};
use crate::api::{ApiError, Client};

/// An API call a step wants made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    /// DescribeRegions → [`Loaded::Regions`].
    Regions,
    /// DescribeInstances, streamed → [`Loaded::Instances`] pages.
    Instances(InstanceQuery),
    /// DescribeSnapshots, streamed → [`Loaded::Snapshots`] pages.
    Snapshots(SnapshotQuery),
    /// DescribeDisks, streamed → [`Loaded::Disks`] pages (e.g. `instance_id` for an instance's
    /// disks).
    Disks(DiskQuery),
    /// DescribeImages of the account's own images whose name contains `name`, in every status
    /// → [`Loaded::Images`]. Used to flag a name already taken (`InvalidImageName.Duplicated`).
    ImagesNamed { name: String },
    /// StopInstances for one instance (clean shutdown) → [`Loaded::Stopping`].
    StopInstance { instance_id: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Make `call`, after waiting `delay` (zero: at once; polls use a delay).
    Call {
        id: RequestId,
        call: Call,
        delay: Duration,
    },
    /// Stop a call (and its remaining pages); nothing more arrives for `id`.
    Cancel(RequestId),
    /// Work against another region from now on: the client is rebuilt and every call in
    /// flight is cancelled.
    SwitchRegion(String),
    /// Start the embedded simulator and connect to it ([`Msg::SandboxStarted`] follows).
    StartSandbox,
    /// Leave the wizard (terminal restored by the caller).
    Quit,
}

/// Runs effects. Owned by the UI loop; not part of `App`.
pub struct Runner {
    tx: UnboundedSender<Msg>,
    connector: Connector,
    client: Option<Client>,
    /// Parent of every task's token: cancelled on region switch and on drop.
    root: CancellationToken,
    tasks: HashMap<RequestId, (CancellationToken, JoinHandle<()>)>,
}

impl Runner {
    /// `client` is `None` until the start screen brings up the sandbox.
    pub fn new(tx: UnboundedSender<Msg>, connector: Connector, client: Option<Client>) -> Runner {
        Runner {
            tx,
            connector,
            client,
            root: CancellationToken::new(),
            tasks: HashMap::new(),
        }
    }

    /// Carries out one effect. Returns `false` for [`Effect::Quit`].
    pub async fn apply(&mut self, effect: Effect) -> bool {
        match effect {
            Effect::Call { id, call, delay } => self.spawn(id, call, delay),
            Effect::Cancel(id) => {
                if let Some((token, _)) = self.tasks.remove(&id) {
                    token.cancel();
                }
            }
            Effect::SwitchRegion(region) => {
                self.cancel_all();
                self.client = self.connector.client_for(&region).map_or_else(
                    |e| {
                        tracing::error!(error = %e, "cannot switch region");
                        None
                    },
                    Some,
                );
            }
            Effect::StartSandbox => {
                let started = self.connector.start_sandbox().await;
                let msg = match started {
                    Ok((client, session)) => {
                        self.client = Some(client);
                        Ok(session)
                    }
                    Err(e) => Err(e),
                };
                let _ = self.tx.send(Msg::SandboxStarted(msg));
            }
            Effect::Quit => {
                self.cancel_all();
                return false;
            }
        }
        true
    }

    /// Whether every call has finished (so all of their messages are already queued).
    pub fn is_idle(&self) -> bool {
        self.tasks.values().all(|(_, task)| task.is_finished())
    }

    fn cancel_all(&mut self) {
        self.root.cancel();
        self.root = CancellationToken::new();
        self.tasks.clear();
    }

    fn spawn(&mut self, id: RequestId, call: Call, delay: Duration) {
        self.tasks.retain(|_, (_, task)| !task.is_finished());
        let tx = self.tx.clone();
        let Some(client) = &self.client else {
            let _ = tx.send(Msg::Api {
                id,
                result: Err(ApiError::InvalidRequest {
                    detail: "not connected to an ECS endpoint".into(),
                }),
            });
            return;
        };
        let token = self.root.child_token();
        let client = client.with_cancel(token.clone());
        let guard = token.clone();
        let task = tokio::spawn(async move {
            tokio::select! {
                biased;
                () = guard.cancelled() => {}
                () = async {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    perform(&client, id, call, &tx).await;
                } => {}
            }
        });
        if let Some((old, _)) = self.tasks.insert(id, (token, task)) {
            old.cancel();
        }
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        self.root.cancel();
    }
}

/// Makes one call and sends its result(s). A cancelled call sends nothing.
async fn perform(client: &Client, id: RequestId, call: Call, tx: &UnboundedSender<Msg>) {
    let send = |result: Result<Loaded, ApiError>| {
        if !matches!(result, Err(ApiError::Cancelled)) {
            let _ = tx.send(Msg::Api { id, result });
        }
    };
    match call {
        Call::Regions => send(client.describe_regions().await.map(Loaded::Regions)),
        Call::Instances(query) => {
            stream_pages(client.describe_instances(&query), Loaded::Instances, send).await;
        }
        Call::Snapshots(query) => {
            stream_pages(client.describe_snapshots(&query), Loaded::Snapshots, send).await;
        }
        Call::Disks(query) => {
            stream_pages(client.describe_disks(&query), Loaded::Disks, send).await;
        }
        Call::ImagesNamed { name } => {
            let query = ImageQuery {
                image_name: Some(name),
                image_owner_alias: Some("self".into()),
                statuses: WATCH_STATUSES.iter().map(|s| s.to_string()).collect(),
                ..ImageQuery::default()
            };
            send(client.describe_images_all(&query).await.map(Loaded::Images));
        }
        Call::StopInstance { instance_id } => send(
            client
                .stop_instances(&[instance_id], false)
                .await
                .map(Loaded::Stopping),
        ),
    }
}

/// Sends each page as it arrives, then an empty `last` page; stops at the first error.
async fn stream_pages<T>(
    pages: impl futures::Stream<Item = Result<Vec<T>, ApiError>>,
    wrap: fn(Page<T>) -> Loaded,
    send: impl Fn(Result<Loaded, ApiError>),
) {
    let mut pages = std::pin::pin!(pages);
    while let Some(page) = pages.next().await {
        match page {
            Ok(rows) => send(Ok(wrap(Page { rows, last: false }))),
            Err(e) => {
                send(Err(e));
                return;
            }
        }
    }
    send(Ok(wrap(Page {
        rows: Vec::new(),
        last: true,
    })));
}

/// `InstanceQuery` for one instance (status polls).
pub fn one_instance(instance_id: &str) -> InstanceQuery {
    InstanceQuery {
        instance_ids: Some(vec![instance_id.to_string()]),
        ..InstanceQuery::default()
    }
}
