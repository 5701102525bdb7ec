//! One client's work on one item of a phase: the request(s) Entra would send, the status
//! each must answer, and — against idsync, which keeps state — that the answer says what
//! it must (an id, the number of matches). Every request's latency is recorded; every
//! failure is counted.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use hyper::Method;
use hyper::body::Bytes;
use serde::Deserialize;

use crate::client::Connection;
use crate::scim;
use crate::workload::{PAGE, Step, Workload};

/// How many failures each client keeps the text of.
const SAMPLES_KEPT: usize = 3;

/// What every client of one server shares.
pub struct Shared {
    /// The phases and batches.
    pub workload: Arc<Workload>,
    /// Check answers' contents, not only their statuses (the ceiling's are canned).
    pub strict: bool,
    /// The id the server gave each user, by user number.
    pub users: Vec<OnceLock<String>>,
    /// The id the server gave each group, by group number.
    pub groups: Vec<OnceLock<String>>,
    /// The cursor of each tenant's last page, found by the cursor walk.
    pub last_cursors: Vec<OnceLock<String>>,
}

impl Shared {
    /// Shared state for `workload`, no ids known yet.
    pub fn new(workload: Arc<Workload>, strict: bool) -> Shared {
        Shared {
            users: (0..workload.users).map(|_| OnceLock::new()).collect(),
            groups: (0..workload.groups).map(|_| OnceLock::new()).collect(),
            last_cursors: (0..workload.tenants).map(|_| OnceLock::new()).collect(),
            workload,
            strict,
        }
    }
}

/// What one client found during one phase.
#[derive(Debug, Default)]
pub struct Tally {
    /// Latency of each request sent, µs.
    pub latencies: Vec<u64>,
    /// Failures.
    pub errors: u64,
    /// The first few failures, as text.
    pub samples: Vec<String>,
}

/// One client: a connection bound to one tenant, and its tally for the current phase.
pub struct Worker {
    /// The tenant this client speaks for.
    pub tenant: usize,
    conn: Connection,
    /// Since the phase began.
    pub tally: Tally,
}

#[derive(Deserialize)]
struct Created {
    id: String,
}

#[derive(Deserialize)]
struct Listed {
    #[serde(rename = "totalResults")]
    total_results: u64,
}

/// What a cursor walk reads of each page.
#[derive(Deserialize)]
struct CursorPage {
    #[serde(rename = "itemsPerPage")]
    items_per_page: usize,
    #[serde(rename = "nextCursor")]
    next_cursor: Option<String>,
}

impl Worker {
    /// A client of `tenant` over `conn`.
    pub fn new(tenant: usize, conn: Connection) -> Worker {
        Worker {
            tenant,
            conn,
            tally: Tally::default(),
        }
    }

    /// Records a failure.
    pub fn fail(&mut self, what: String) {
        self.tally.errors += 1;
        if self.tally.samples.len() < SAMPLES_KEPT {
            self.tally.samples.push(what);
        }
    }

    /// Sends one request; its body when the status is `expect`, else a recorded failure.
    pub async fn call(&mut self, method: Method, path: &str, body: Option<String>, expect: u16) -> Option<Bytes> {
        let started = Instant::now();
        let answer = self.conn.send(method.clone(), path, body).await;
        let micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX);
        self.tally.latencies.push(micros);
        match answer {
            Ok(answer) if answer.status == expect => Some(answer.body),
            Ok(answer) => {
                let text = String::from_utf8_lossy(&answer.body);
                let text: String = text.chars().take(200).collect();
                self.fail(format!(
                    "{method} {path}: {} instead of {expect}: {text}",
                    answer.status
                ));
                None
            }
            Err(error) => {
                self.fail(format!("{method} {path}: {error:#}"));
                None
            }
        }
    }

    /// A match query that must find `expected` resources (checked when strict).
    async fn lookup(&mut self, shared: &Shared, path: &str, expected: u64) -> bool {
        let Some(body) = self.call(Method::GET, path, None, 200).await else {
            return false;
        };
        if shared.strict {
            match serde_json::from_slice::<Listed>(&body) {
                Ok(listed) if listed.total_results == expected => {}
                Ok(listed) => {
                    self.fail(format!("GET {path}: {} results, not {expected}", listed.total_results));
                    return false;
                }
                Err(error) => {
                    self.fail(format!("GET {path}: not a ListResponse: {error}"));
                    return false;
                }
            }
        }
        true
    }

    /// A create whose answer must carry the new resource's id; stored in `slot`.
    async fn create(&mut self, path: &str, body: String, slot: &OnceLock<String>) {
        let Some(answer) = self.call(Method::POST, path, Some(body), 201).await else {
            return;
        };
        match serde_json::from_slice::<Created>(&answer) {
            Ok(created) => {
                if slot.set(created.id).is_err() {
                    self.fail(format!("POST {path}: the same item was created twice"));
                }
            }
            Err(error) => self.fail(format!("POST {path}: no id in the answer: {error}")),
        }
    }

    fn id_of(&mut self, ids: &[OnceLock<String>], kind: &str, n: usize) -> Option<String> {
        let id = ids.get(n).and_then(|slot| slot.get()).cloned();
        if id.is_none() {
            self.fail(format!("{kind} {n} has no id: its create failed"));
        }
        id
    }

    /// Runs item `n` of a phase of `step`.
    pub async fn run(&mut self, shared: &Shared, step: Step, n: usize) {
        match step {
            Step::CreateUser => self.create("/Users", scim::create_user(n), &shared.users[n]).await,
            Step::LookupUser => {
                self.lookup(shared, &scim::lookup_user(n), 1).await;
            }
            Step::SyncUser => {
                if self.lookup(shared, &scim::lookup_user(n), 0).await {
                    self.create("/Users", scim::create_user(n), &shared.users[n]).await;
                }
            }
            Step::SyncGroup => {
                if self.lookup(shared, &scim::lookup_group(n), 0).await {
                    self.create("/Groups", scim::create_group(n), &shared.groups[n]).await;
                }
            }
            Step::AddMembers => self.add_members(shared, n).await,
            Step::CreateDuplicateUser => {
                self.call(Method::POST, "/Users", Some(scim::create_user(n)), 409).await;
            }
            Step::WalkByCursor => self.walk_by_cursor(shared).await,
            Step::FirstPageByIndex => {
                self.call(Method::GET, &scim::page_by_index(1, PAGE), None, 200).await;
            }
            Step::LastPageByIndex => {
                let users = shared.workload.users_of(self.tenant);
                let start = users.saturating_sub(PAGE - 1).max(1);
                self.call(Method::GET, &scim::page_by_index(start, PAGE), None, 200)
                    .await;
            }
            Step::FirstPageByCursor => {
                self.call(Method::GET, &scim::page_by_cursor("", PAGE), None, 200).await;
            }
            Step::LastPageByCursor => {
                let cursor = shared.last_cursors[self.tenant].get().cloned();
                match cursor {
                    Some(cursor) => {
                        self.call(Method::GET, &scim::page_by_cursor(&cursor, PAGE), None, 200)
                            .await;
                    }
                    None => self.fail("no last-page cursor: the walk failed".to_owned()),
                }
            }
            Step::PatchUser | Step::GetUser | Step::DisableUser | Step::DeleteUser => {
                let Some(id) = self.id_of(&shared.users, "user", n) else {
                    return;
                };
                let path = scim::user_path(&id);
                let (method, body, expect) = match step {
                    Step::PatchUser => (Method::PATCH, Some(scim::patch_user(n)), 200),
                    Step::DisableUser => (Method::PATCH, Some(scim::disable_user()), 200),
                    Step::DeleteUser => (Method::DELETE, None, 204),
                    _ => (Method::GET, None, 200),
                };
                self.call(method, &path, body, expect).await;
            }
        }
    }

    /// Reads every page of the tenant's users by cursor, first to last, and keeps the
    /// cursor that read the last one. Against idsync (strict), the pages must add up to
    /// the tenant's users. A server that sends no `nextCursor` (the ceiling) ends the walk
    /// after one page.
    async fn walk_by_cursor(&mut self, shared: &Shared) {
        let mut cursor = String::new();
        let mut seen = 0;
        loop {
            let path = scim::page_by_cursor(&cursor, PAGE);
            let Some(body) = self.call(Method::GET, &path, None, 200).await else {
                return;
            };
            let page = if shared.strict {
                match serde_json::from_slice::<CursorPage>(&body) {
                    Ok(page) => page,
                    Err(error) => {
                        self.fail(format!("GET {path}: not a cursor page: {error}"));
                        return;
                    }
                }
            } else {
                CursorPage {
                    items_per_page: 0,
                    next_cursor: None,
                }
            };
            seen += page.items_per_page;
            match page.next_cursor {
                Some(next) => cursor = next,
                None => break,
            }
        }
        let users = shared.workload.users_of(self.tenant);
        if shared.strict && seen != users {
            self.fail(format!("the cursor walk saw {seen} users, not {users}"));
        }
        let _ = shared.last_cursors[self.tenant].set(cursor);
    }

    async fn add_members(&mut self, shared: &Shared, batch: usize) {
        let Some((group, users)) = shared.workload.batches.get(batch) else {
            self.fail(format!("no membership batch {batch}"));
            return;
        };
        let Some(group_id) = self.id_of(&shared.groups, "group", *group) else {
            return;
        };
        let mut ids = Vec::with_capacity(users.len());
        for &user in users {
            match self.id_of(&shared.users, "user", user) {
                Some(id) => ids.push(id),
                None => return,
            }
        }
        let body = scim::add_members(ids.iter().map(String::as_str));
        self.call(Method::PATCH, &scim::group_path(&group_id), Some(body), 204)
            .await;
    }
}
