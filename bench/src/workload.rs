//! What each mode asks of a server: its phases in order, each over every user (or
//! group, or membership batch) before the next begins, as Entra's cycle goes. Users and
//! groups are numbered; number `n` belongs to tenant `n % tenants`. Pure.

use crate::scim::MEMBERS_PER_PATCH;

/// What one item of a phase does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// `POST /Users` → 201 with an id.
    CreateUser,
    /// `GET /Users?filter=userName eq …` → 200, one result.
    LookupUser,
    /// `PATCH /Users/{id}` of displayName, work phone and department → 200.
    PatchUser,
    /// `GET /Users/{id}` → 200.
    GetUser,
    /// `PATCH /Users/{id}` `active` `"False"` → 200.
    DisableUser,
    /// `DELETE /Users/{id}` → 204.
    DeleteUser,
    /// Entra's first cycle, per user: the match finds nothing (200, 0 results), then
    /// `POST /Users` → 201.
    SyncUser,
    /// The same for a group: `GET /Groups?…displayName eq …` (0 results), `POST /Groups`.
    SyncGroup,
    /// `PATCH /Groups/{id}` `Add members` with one batch → 204.
    AddMembers,
    /// One client per tenant walks the whole user list by cursor (RFC 9865), page after
    /// page of [`PAGE`], and keeps the cursor of the last page.
    WalkByCursor,
    /// `GET /Users?startIndex=1&count=100`: the first page by index.
    FirstPageByIndex,
    /// `GET /Users?startIndex=<last>&count=100`: the last page by index (`OFFSET`).
    LastPageByIndex,
    /// `GET /Users?cursor=&count=100`: the first page by cursor.
    FirstPageByCursor,
    /// `GET /Users?cursor=<last page's>&count=100`: the last page by cursor.
    LastPageByCursor,
    /// `POST /Users` of a user that exists → 409 `uniqueness`: a write that fails, and
    /// is logged as failed.
    CreateDuplicateUser,
}

/// Users per page in the paging phases.
pub const PAGE: usize = 100;

/// How often each paging phase reads its page, per tenant.
pub const PAGE_READS: usize = 200;

/// `console`: one user in this many is disabled, and created a second time (refused).
pub const CONSOLE_SAMPLE_STRIDE: usize = 100;

impl Step {
    /// The phase's name in the report.
    pub fn name(self) -> &'static str {
        match self {
            Step::CreateUser => "create",
            Step::LookupUser => "lookup",
            Step::PatchUser => "patch",
            Step::GetUser => "get",
            Step::DisableUser => "disable",
            Step::DeleteUser => "delete",
            Step::SyncUser => "users",
            Step::SyncGroup => "groups",
            Step::AddMembers => "members",
            Step::WalkByCursor => "walk",
            Step::FirstPageByIndex => "index1",
            Step::LastPageByIndex => "indexN",
            Step::FirstPageByCursor => "cursor1",
            Step::LastPageByCursor => "cursorN",
            Step::CreateDuplicateUser => "refused",
        }
    }
}

/// One phase: a step and, per tenant, the items (user, group or batch numbers) it runs.
#[derive(Debug, Clone)]
pub struct Phase {
    /// What each item does.
    pub step: Step,
    /// `items[tenant]`: the numbers that tenant's clients work through, in order.
    pub items: Vec<Vec<usize>>,
}

/// A mode's whole workload.
#[derive(Debug, Clone)]
pub struct Workload {
    /// Users in all tenants together.
    pub users: usize,
    /// Groups in all tenants together.
    pub groups: usize,
    /// Tenants.
    pub tenants: usize,
    /// The phases in order.
    pub phases: Vec<Phase>,
    /// Membership batches: a group number and at most [`MEMBERS_PER_PATCH`] user numbers.
    pub batches: Vec<(usize, Vec<usize>)>,
}

impl Workload {
    /// A workload of user phases only.
    fn users(users: usize, tenants: usize, steps: &[Step]) -> Workload {
        let phases = steps
            .iter()
            .map(|&step| Phase {
                step,
                items: (0..tenants).map(|t| numbers_of(t, users, tenants)).collect(),
            })
            .collect();
        Workload {
            users,
            groups: 0,
            tenants,
            phases,
            batches: Vec::new(),
        }
    }

    /// Entra's incremental cycle over every user, each phase before the next.
    pub fn cycle(users: usize, tenants: usize) -> Workload {
        use Step::*;
        Workload::users(
            users,
            tenants,
            &[CreateUser, LookupUser, PatchUser, GetUser, DisableUser, DeleteUser],
        )
    }

    /// Create every user, then read each by filter and by id at that size; then page:
    /// walk every tenant's list by cursor once, and read its first and its last page by
    /// index and by cursor [`PAGE_READS`] times each, so that deep paging shows its cost.
    ///
    /// `reads`: read at most about that many users by filter and by id (every k-th user,
    /// so the sample spans the whole table); `None` reads every user. Without `paging`
    /// the workload ends after the reads.
    pub fn scale(users: usize, tenants: usize, reads: Option<usize>, paging: bool) -> Workload {
        let mut workload = Workload::users(users, tenants, &[Step::CreateUser, Step::LookupUser, Step::GetUser]);
        let stride = reads.map_or(1, |reads| users.div_ceil(reads.max(1)).max(1));
        for phase in &mut workload.phases[1..] {
            for items in &mut phase.items {
                *items = items.iter().copied().step_by(stride).collect();
            }
        }
        if !paging {
            return workload;
        }
        workload.phases.push(Phase {
            step: Step::WalkByCursor,
            items: (0..tenants).map(|t| vec![t]).collect(),
        });
        for step in [
            Step::FirstPageByIndex,
            Step::LastPageByIndex,
            Step::FirstPageByCursor,
            Step::LastPageByCursor,
        ] {
            workload.phases.push(Phase {
                step,
                items: (0..tenants).map(|_| (0..PAGE_READS).collect()).collect(),
            });
        }
        workload
    }

    /// How many users tenant `tenant` has.
    pub fn users_of(&self, tenant: usize) -> usize {
        numbers_of(tenant, self.users, self.tenants).len()
    }

    /// Entra's first cycle: users matched and created, then groups, then memberships
    /// (each user in `groups_per_user` of its tenant's groups) in batches.
    pub fn initial_sync(users: usize, groups: usize, groups_per_user: usize, tenants: usize) -> Workload {
        let mut workload = Workload::users(users, tenants, &[Step::SyncUser]);
        workload.add_groups(groups, groups_per_user);
        workload
    }

    /// What the admin console is measured on (one tenant): every user created, `groups`
    /// groups with every user a member of one of them, one user in
    /// [`CONSOLE_SAMPLE_STRIDE`] disabled (so that `active eq false` finds some) and
    /// created again, refused as a duplicate (so that the log holds failures).
    ///
    /// A group gets several batches at this size. They are sent round-robin over the
    /// groups (each group's first batch, then each one's second, …), so that the
    /// clients, which take items in turn, PATCH different groups at the same time:
    /// concurrent PATCHes of one group contend for it, and on PostgreSQL some are
    /// answered 412 once idsync's retries run out. That contention is not what this
    /// mode measures.
    pub fn console(users: usize, groups: usize) -> Workload {
        let mut workload = Workload::users(users, 1, &[Step::CreateUser]);
        workload.add_groups(groups, 1);
        let mut seen = vec![0; groups];
        let mut round: Vec<(usize, usize, usize)> = Vec::with_capacity(workload.batches.len());
        for (batch, (group, _)) in workload.batches.iter().enumerate() {
            round.push((seen[*group], *group, batch));
            seen[*group] += 1;
        }
        round.sort_unstable();
        workload.phases[2].items = vec![round.into_iter().map(|(_, _, batch)| batch).collect()];
        let sample: Vec<usize> = (0..users).step_by(CONSOLE_SAMPLE_STRIDE).collect();
        for step in [Step::DisableUser, Step::CreateDuplicateUser] {
            workload.phases.push(Phase {
                step,
                items: vec![sample.clone()],
            });
        }
        workload
    }

    /// Adds the `groups` phase (`groups` groups matched and created) and the `members`
    /// phase: batches that put each user in `groups_per_user` of its tenant's groups.
    fn add_groups(&mut self, groups: usize, groups_per_user: usize) {
        let (users, tenants) = (self.users, self.tenants);
        self.groups = groups;
        self.phases.push(Phase {
            step: Step::SyncGroup,
            items: (0..tenants).map(|t| numbers_of(t, groups, tenants)).collect(),
        });
        let mut items = Vec::with_capacity(tenants);
        for tenant in 0..tenants {
            let groups_here = numbers_of(tenant, groups, tenants);
            let mut members: Vec<Vec<usize>> = vec![Vec::new(); groups_here.len()];
            for (j, user) in numbers_of(tenant, users, tenants).into_iter().enumerate() {
                for m in 0..groups_per_user.min(groups_here.len()) {
                    members[(j + m) % groups_here.len()].push(user);
                }
            }
            let mut mine = Vec::new();
            for (group, users) in groups_here.into_iter().zip(members) {
                for chunk in users.chunks(MEMBERS_PER_PATCH) {
                    mine.push(self.batches.len());
                    self.batches.push((group, chunk.to_vec()));
                }
            }
            items.push(mine);
        }
        self.phases.push(Phase {
            step: Step::AddMembers,
            items,
        });
    }
}

/// The numbers below `count` that belong to `tenant`.
pub fn numbers_of(tenant: usize, count: usize, tenants: usize) -> Vec<usize> {
    (tenant..count).step_by(tenants.max(1)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cycle_runs_every_user_through_six_phases() {
        let w = Workload::cycle(10, 3);
        let names: Vec<&str> = w.phases.iter().map(|p| p.step.name()).collect();
        assert_eq!(names, ["create", "lookup", "patch", "get", "disable", "delete"]);
        assert_eq!(w.phases[0].items, [vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]]);
        assert!(
            w.phases
                .iter()
                .all(|p| p.items.iter().map(Vec::len).sum::<usize>() == 10)
        );
    }

    #[test]
    fn memberships_stay_in_their_tenant_and_batches_hold_at_most_a_hundred() {
        let w = Workload::initial_sync(450, 5, 2, 2);
        let names: Vec<&str> = w.phases.iter().map(|p| p.step.name()).collect();
        assert_eq!(names, ["users", "groups", "members"]);
        assert_eq!(w.phases[1].items, [vec![0, 2, 4], vec![1, 3]]);
        let mut memberships = 0;
        for (tenant, batches) in w.phases[2].items.iter().enumerate() {
            for &b in batches {
                let (group, users) = &w.batches[b];
                assert_eq!(group % 2, tenant);
                assert!(!users.is_empty() && users.len() <= MEMBERS_PER_PATCH);
                assert!(users.iter().all(|u| u % 2 == tenant));
                memberships += users.len();
            }
        }
        assert_eq!(memberships, 450 * 2);
        // Tenant 1 has two groups for 225 users in two groups each: 225 per group.
        let sizes: Vec<usize> = w
            .batches
            .iter()
            .filter(|(g, _)| *g == 1)
            .map(|(_, u)| u.len())
            .collect();
        assert_eq!(sizes, [100, 100, 25]);
    }

    #[test]
    fn scale_reads_then_pages_every_tenant() {
        let w = Workload::scale(1001, 2, None, true);
        let names: Vec<&str> = w.phases.iter().map(|p| p.step.name()).collect();
        assert_eq!(
            names,
            [
                "create", "lookup", "get", "walk", "index1", "indexN", "cursor1", "cursorN"
            ]
        );
        assert_eq!(w.phases[3].items, [vec![0], vec![1]]);
        assert!(
            w.phases[4..]
                .iter()
                .all(|p| p.items.iter().all(|i| i.len() == PAGE_READS))
        );
        assert_eq!((w.users_of(0), w.users_of(1)), (501, 500));
    }

    #[test]
    fn scale_without_paging_ends_after_the_reads() {
        let w = Workload::scale(1000, 2, Some(100), false);
        let names: Vec<&str> = w.phases.iter().map(|p| p.step.name()).collect();
        assert_eq!(names, ["create", "lookup", "get"]);
    }

    #[test]
    fn scale_can_read_a_sample_spread_over_every_user() {
        let w = Workload::scale(1000, 2, Some(100), true);
        assert_eq!(
            w.phases[0].items.iter().map(Vec::len).sum::<usize>(),
            1000,
            "every user is created"
        );
        for phase in &w.phases[1..3] {
            let read: Vec<usize> = phase.items.iter().flatten().copied().collect();
            assert_eq!(read.len(), 100, "{}: about `reads` users", phase.step.name());
            assert!(
                read.iter().any(|&u| u < 20) && read.iter().any(|&u| u >= 980),
                "spread over all: {read:?}"
            );
        }
    }

    #[test]
    fn the_console_gets_groups_disabled_users_and_refused_writes() {
        let w = Workload::console(450, 3);
        let names: Vec<&str> = w.phases.iter().map(|p| p.step.name()).collect();
        assert_eq!(names, ["create", "groups", "members", "disable", "refused"]);
        assert_eq!((w.tenants, w.groups), (1, 3));
        assert_eq!(w.phases[0].items, [(0..450).collect::<Vec<_>>()]);
        // Every user in exactly one group: 150 each, in batches of at most 100.
        let mut members: Vec<usize> = w.batches.iter().flat_map(|(_, u)| u.iter().copied()).collect();
        members.sort_unstable();
        assert_eq!(members, (0..450).collect::<Vec<_>>());
        // Sent round-robin over the groups: no two batches in a row PATCH one group.
        let sent: Vec<usize> = w.phases[2].items[0].iter().map(|&b| w.batches[b].0).collect();
        assert_eq!(sent, [0, 1, 2, 0, 1, 2]);
        let mut batches = w.phases[2].items[0].clone();
        batches.sort_unstable();
        assert_eq!(batches, (0..w.batches.len()).collect::<Vec<_>>());
        assert_eq!(w.phases[3].items, [vec![0, 100, 200, 300, 400]]);
        assert_eq!(w.phases[4].items, w.phases[3].items);
    }

    #[test]
    fn fewer_groups_than_asked_per_user_caps_the_memberships() {
        let w = Workload::initial_sync(10, 1, 3, 1);
        assert_eq!(w.batches, [(0, (0..10).collect::<Vec<_>>())]);
        let none = Workload::initial_sync(10, 0, 2, 1);
        assert!(none.batches.is_empty() && none.phases[2].items == [Vec::<usize>::new()]);
    }
}
