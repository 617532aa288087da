//! The runner that does what [`Effect`]s ask: each call becomes a tokio task holding a clone of
//! the [`Client`] and a [`CancellationToken`] child, and the task reports back as [`Msg`]s on an
//! unbounded channel. Listings stream one message per page, so a picker shows the first page
//! while the rest load.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use futures::StreamExt;
use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::effect::{Call, Effect, SubmitCall};
use super::launch::Connector;
use super::msg::{Delivered, Loaded, Msg, Page, RequestId, Saved};
use crate::api::model::{ImageQuery, WATCH_STATUSES};
use crate::api::{ApiError, Client};
use crate::delivery::{ActionResult, Deliverer, Event as DeliveryEvent, RegionalClients, Summary};
use crate::journal::{Journal, Submission};
use crate::submission::{Submitted, Submitter};
use crate::watch::{WatchEnd, WatchEvent, WatchPolicy, watch_images};

/// Runs effects. Owned by the UI loop; not part of `App`.
pub struct Runner {
    tx: UnboundedSender<Msg>,
    connector: Connector,
    client: Option<Client>,
    /// Parent of every task's token: cancelled on region switch and on drop.
    root: CancellationToken,
    tasks: HashMap<RequestId, (CancellationToken, JoinHandle<()>)>,
    /// The journal submissions go to; `None` opens the default one when needed.
    journal: Option<Journal>,
    /// The start screen's sandbox hands its connection over here before it reports
    /// [`Msg::SandboxStarted`], so the calls that message leads to find it.
    started: Option<oneshot::Receiver<(Connector, Client)>>,
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
            journal: None,
            started: None,
        }
    }

    /// Records submissions in `journal` instead of the default one (tests).
    pub fn with_journal(mut self, journal: Journal) -> Runner {
        self.journal = Some(journal);
        self
    }

    /// The connector (tests reach the sandbox through it).
    pub fn connector(&self) -> &Connector {
        &self.connector
    }

    /// Carries out one effect. Returns `false` for [`Effect::Quit`].
    pub async fn apply(&mut self, effect: Effect) -> bool {
        self.take_started();
        match effect {
            Effect::Call { id, call, delay } => self.spawn(id, call, delay),
            Effect::Cancel(id) => {
                if let Some((token, _)) = self.tasks.remove(&id) {
                    token.cancel();
                }
            }
            Effect::SwitchRegion(region) => {
                let result = match self.connector.client_for(&region) {
                    Ok(client) => {
                        self.cancel_all();
                        self.client = Some(client);
                        Ok(())
                    }
                    Err(e) => {
                        tracing::error!(error = %e, %region, "cannot switch region");
                        Err(e.to_string())
                    }
                };
                let _ = self.tx.send(Msg::RegionSwitched { region, result });
            }
            Effect::StartSandbox => {
                // On a task of its own, so the screen (and its spinner) goes on meanwhile.
                let (hand_over, started) = oneshot::channel();
                self.started = Some(started);
                let start = self.connector.sandbox_start();
                let tx = self.tx.clone();
                tokio::spawn(async move {
                    let msg = start.await.map(|(connector, client, session)| {
                        let _ = hand_over.send((connector, client));
                        session
                    });
                    let _ = tx.send(Msg::SandboxStarted(msg));
                });
            }
            Effect::Quit => {
                self.cancel_all();
                return false;
            }
        }
        true
    }

    /// Switches to the sandbox's connection once it is up.
    fn take_started(&mut self) {
        if let Some(started) = &mut self.started {
            match started.try_recv() {
                Ok((connector, client)) => {
                    self.connector = connector;
                    self.client = Some(client);
                    self.started = None;
                }
                Err(oneshot::error::TryRecvError::Closed) => self.started = None,
                Err(oneshot::error::TryRecvError::Empty) => {}
            }
        }
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
        // Calls about other regions (a delivery, its DryRun, a family listed in a copy region)
        // get a client for each, made here where the connector is; the wizard's own region
        // reuses its client and its connections.
        let regions = match &call {
            Call::DeliveryDryRun(spec) => crate::delivery::regions(spec),
            Call::Deliver { regions, .. } => regions.clone(),
            Call::ImagesIn { region, .. } => vec![region.clone()],
            _ => Vec::new(),
        };
        let regional = RegionalClients::new(regions, |region| {
            if region == client.config().region {
                return Ok(client.clone());
            }
            self.connector
                .client_for(region)
                .map(|c| c.with_cancel(token.clone()))
                .map_err(|e| ApiError::InvalidRequest {
                    detail: format!("no client for {region}: {e}"),
                })
        });
        let extras = Extras {
            regional,
            journal: self.journal.clone(),
            sandbox: self.connector.sandbox().is_some(),
            policy: self.connector.watch_policy(),
            cancel: token.clone(),
        };
        let task = tokio::spawn(async move {
            tokio::select! {
                biased;
                () = guard.cancelled() => {}
                () = async {
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    perform(&client, id, call, &tx, extras).await;
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

/// What calls beyond plain API requests need.
struct Extras {
    /// Clients for other regions than the wizard's, when the call needs them.
    regional: RegionalClients,
    journal: Option<Journal>,
    /// Whether this is a sandbox session (its own journal file).
    sandbox: bool,
    policy: WatchPolicy,
    cancel: CancellationToken,
}

impl Extras {
    fn journal(&self) -> Result<Journal, String> {
        match &self.journal {
            Some(journal) => Ok(journal.clone()),
            None => Journal::open_default(self.sandbox).map_err(|e| e.to_string()),
        }
    }
}

/// Makes one call and sends its result(s). A cancelled call sends nothing.
async fn perform(
    client: &Client,
    id: RequestId,
    call: Call,
    tx: &UnboundedSender<Msg>,
    extras: Extras,
) {
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
        Call::StopInstance {
            instance_id,
            options,
        } => send(
            client
                .stop_instances(&[instance_id], options)
                .await
                .map(Loaded::Stopping),
        ),
        Call::StartInstance { instance_id } => send(
            client
                .start_instances(&[instance_id])
                .await
                .map(Loaded::Starting),
        ),
        Call::Images(query) => send(client.describe_images_all(&query).await.map(Loaded::Images)),
        Call::ImagesIn { region, query } => match extras.regional.get(&region) {
            Ok(client) => send(client.describe_images_all(&query).await.map(Loaded::Images)),
            Err(e) => send(Err(e)),
        },
        Call::DeliveryDryRun(spec) => {
            let clients = |region: &str| extras.regional.get(region);
            let checks = crate::delivery::dry_run(&spec, &clients).await;
            send(Ok(Loaded::DeliveryChecks(checks)));
        }
        Call::DryRun { mut params } => {
            params.retain(|(name, _)| name != "DryRun");
            params.push(("DryRun".into(), "true".into()));
            send(client.create_image(&params).await.map(Loaded::DryRun));
        }
        Call::Submit(submit) => {
            let submitted = submit_image(client, *submit, &extras).await;
            send(Ok(Loaded::Submitted(Box::new(submitted))));
        }
        Call::Watch { image_id } => watch(client, image_id, &extras, send).await,
        Call::Deliver {
            submission_id,
            image_id,
            ..
        } => deliver(&submission_id, &image_id, &extras, send).await,
        Call::DeleteImage { image_id } => {
            let result = client.delete_image(&image_id, false).await;
            if result.is_ok() {
                record_status(&extras, &image_id, "Deleted", None, true).await;
            }
            send(result.map(|request_id| Loaded::Deleted { request_id }));
        }
        Call::SaveFile {
            path,
            contents,
            replace,
        } => {
            // The write and its fsync block: off the async runtime.
            let write = tokio::task::spawn_blocking(move || save_file(path, &contents, replace));
            let saved = match write.await {
                Ok(saved) => saved,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(_) => return,
            };
            send(Ok(Loaded::Saved(saved)));
        }
        Call::ResourceGroups => {
            stream_pages(client.list_resource_groups(), Loaded::ResourceGroups, send).await;
        }
        Call::CallerIdentity => send(
            client
                .caller_identity()
                .await
                .map(|identity| Loaded::Account(identity.account_id)),
        ),
    }
}

/// A submission through the one submission path ([`Submitter`]): journal first, then
/// CreateImage, then the answer into the journal.
async fn submit_image(client: &Client, call: SubmitCall, extras: &Extras) -> Submitted {
    let journal = match extras.journal() {
        Ok(journal) => journal,
        Err(reason) => return Submitted::NotSent { reason },
    };
    let submission = Submission::new(
        &call.spec,
        call.params,
        client.config().endpoint.to_string(),
        call.credential_source,
    );
    let submitter = Submitter::new(journal, client.clone());
    match call.journaled {
        Some(id) => submitter.resend(&id, &submission.params).await,
        None => submitter.submit(&submission, || {}).await,
    }
}

/// Records a status the wizard saw for `image_id` (off the async runtime); a journal that
/// cannot record it is logged, never shown.
async fn record_status(
    extras: &Extras,
    image_id: &str,
    status: &str,
    progress: Option<&str>,
    is_final: bool,
) {
    let Ok(journal) = extras.journal() else {
        return;
    };
    let (id, status, progress) = (
        image_id.to_string(),
        status.to_string(),
        progress.map(str::to_string),
    );
    let recorded = journal
        .off_runtime(move |j| j.status(&id, &status, progress.as_deref(), is_final))
        .await;
    if let Err(e) = recorded {
        tracing::warn!(image = %image_id, error = %e, "journal did not record a status");
    }
}

/// Forwards the watch engine's events; status changes and the end state go to the journal.
async fn watch(
    client: &Client,
    image_id: String,
    extras: &Extras,
    send: impl Fn(Result<Loaded, ApiError>),
) {
    let events = watch_images(
        client.clone(),
        vec![image_id.clone()],
        extras.policy.clone(),
        extras.cancel.clone(),
    );
    let mut events = std::pin::pin!(events);
    while let Some(event) = events.next().await {
        match &event {
            // A final status is recorded by the `Finished` that follows, as final.
            WatchEvent::StatusChanged { to, .. }
                if !matches!(to.as_str(), "Available" | "CreateFailed" | "UnAvailable") =>
            {
                record_status(extras, &image_id, to, None, false).await;
            }
            WatchEvent::Finished { outcome, .. } => {
                let image = match outcome {
                    WatchEnd::Available(image) => Some(image),
                    WatchEnd::Failed { image, .. } => image.as_ref(),
                    WatchEnd::TimedOut { last } => last.as_ref(),
                    WatchEnd::Error(_) => None,
                };
                let progress = image.map(|i| i.progress.as_str());
                record_status(
                    extras,
                    &image_id,
                    &outcome.status(),
                    progress,
                    outcome.is_final(),
                )
                .await;
            }
            WatchEvent::StatusChanged { .. }
            | WatchEvent::Progress { .. }
            | WatchEvent::Retrying { .. }
            | WatchEvent::NotVisibleYet { .. } => {}
        }
        send(Ok(Loaded::Watch(Box::new(event))));
    }
}

/// Runs the delivery engine on the journal's submission `submission_id`, forwarding its
/// events and then its totals. Every call is journaled by the engine, so a run cut short is
/// finished by the next one (or by `ecsimg watch --resume`) without doing anything twice.
async fn deliver(
    submission_id: &str,
    image_id: &str,
    extras: &Extras,
    send: impl Fn(Result<Loaded, ApiError>) + Send + Sync,
) {
    let broken = |why: String| {
        let event = DeliveryEvent::Action {
            key: "journal".into(),
            what: "read the submission from the journal".into(),
            result: ActionResult::Broken(why),
        };
        send(Ok(Loaded::Delivery(Delivered::Event(Box::new(event)))));
        send(Ok(Loaded::Delivery(Delivered::Ended(Summary {
            failed: 1,
            unfinished: true,
            ..Summary::default()
        }))));
    };
    let journal = match extras.journal() {
        Ok(journal) => journal,
        Err(why) => return broken(why),
    };
    let submission = match journal.off_runtime(|j| j.read()).await {
        Ok(history) => history
            .entries
            .into_iter()
            .map(|e| e.submission)
            .find(|s| s.id == submission_id),
        Err(e) => return broken(e.to_string()),
    };
    let Some(submission) = submission else {
        return broken(format!("the journal has no submission {submission_id}"));
    };
    let clients = |region: &str| extras.regional.get(region);
    let deliverer = Deliverer {
        journal: &journal,
        clients: &clients,
        policy: &extras.policy,
        interrupt: &extras.cancel,
    };
    let summary = deliverer
        .deliver(&submission, image_id, &mut |event| {
            send(Ok(Loaded::Delivery(Delivered::Event(Box::new(event)))));
        })
        .await;
    send(Ok(Loaded::Delivery(Delivered::Ended(summary))));
}

/// Writes `contents` to `path`; an existing file is replaced only with `replace` (never by a
/// race: the check is the create itself).
fn save_file(path: PathBuf, contents: &str, replace: bool) -> Saved {
    use std::io::Write;
    let path = std::path::absolute(&path).unwrap_or(path);
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if replace {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    let written = options.open(&path).and_then(|mut file| {
        file.write_all(contents.as_bytes())
            .and_then(|()| file.sync_all())
    });
    match written {
        Ok(()) => Saved::Written { path },
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Saved::Exists { path },
        Err(e) => Saved::Failed {
            reason: e.to_string(),
            path,
        },
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
