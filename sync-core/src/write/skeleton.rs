//! The skeleton every user and group write follows: read → apply → check the version
//! (`If-Match`) → let the scoping rule judge → commit with the feed events and the log
//! entry ([`Core::commit`]) → retry when another writer won the race. Users and groups
//! supply the reading and the applying; the retry loop, the version check, the one
//! error mapping, deletion, and what a scoping rule's outcome makes of a write live
//! here once.

use std::future::Future;

use idsync_storage::records::ResourceType;
use idsync_storage::{ChangeEvent, NewChange, StorageError, Tx};

use super::{Effects, Intent, Operation};
use crate::auth::Caller;
use crate::clock::now_us;
use crate::error::{CoreError, CoreResult};
use crate::rules::scope::Outcome;
use crate::{Core, MAX_WRITE_ATTEMPTS};

/// Why a write's transaction rolled back.
#[derive(Debug)]
pub(crate) enum WriteError {
    /// The core refused the write (a scoping rule, an unknown member, a stale `If-Match`).
    Refused(CoreError),
    /// The resource's unique attribute (a user's `userName`, a group's `displayName`)
    /// would take this value, which another resource of the tenant holds.
    Taken(String),
    /// Anything else storage reported; a lost race is a `VersionMismatch`.
    Storage(StorageError),
}

impl From<StorageError> for WriteError {
    fn from(e: StorageError) -> Self {
        WriteError::Storage(e)
    }
}

impl From<CoreError> for WriteError {
    fn from(e: CoreError) -> Self {
        WriteError::Refused(e)
    }
}

impl WriteError {
    /// Converts the storage errors of a write whose unique attribute holds `value`: a
    /// uniqueness conflict is [`WriteError::Taken`] naming it.
    pub(crate) fn naming(value: &str) -> impl Fn(StorageError) -> WriteError + '_ {
        move |e| match e {
            StorageError::Conflict { .. } => WriteError::Taken(value.to_owned()),
            other => WriteError::Storage(other),
        }
    }

    /// The error a client is answered with for a write of `resource` `id` (`None` for
    /// a create).
    pub(crate) fn answer(self, resource: ResourceType, id: Option<&str>) -> CoreError {
        match (self, id) {
            (WriteError::Refused(e), _) => e,
            (WriteError::Taken(value), _) => CoreError::Uniqueness(match resource {
                ResourceType::User => format!("userName {value:?} is already taken (userName is unique ignoring case)"),
                ResourceType::Group => {
                    format!("displayName {value:?} is already taken (group displayName is unique ignoring case)")
                }
            }),
            (WriteError::Storage(StorageError::NotFound), Some(id)) => CoreError::not_found(noun(resource), id),
            (WriteError::Storage(other), _) => other.into(),
        }
    }
}

/// How messages name a resource type.
pub(crate) fn noun(resource: ResourceType) -> &'static str {
    match resource {
        ResourceType::User => "user",
        ResourceType::Group => "group",
    }
}

/// Refuses the write when the caller named a version (`If-Match`) and the resource is at
/// another one (412).
pub(crate) fn check_version(resource: ResourceType, if_match: Option<i64>, current: i64) -> Result<(), WriteError> {
    match if_match {
        Some(expected) if expected != current => Err(WriteError::Refused(CoreError::VersionMismatch(format!(
            "If-Match names version {expected} but the {} is at version {current}",
            noun(resource)
        )))),
        _ => Ok(()),
    }
}

/// What the tenant's scoping rule did to a write, for the provisioning log.
pub(crate) fn scope_detail(resource: ResourceType, outcome: &Outcome) -> Option<String> {
    let detail = match (resource, outcome) {
        (_, Outcome::Kept) => return None,
        (ResourceType::User, Outcome::Disabled) => "out of the tenant's User scoping rule: stored disabled",
        (ResourceType::Group, Outcome::Disabled) => "out of the tenant's Group scoping rule: marked out of scope",
        (ResourceType::User, Outcome::Restored) => "back in the tenant's User scoping rule: reactivated",
        (ResourceType::Group, Outcome::Restored) => "back in the tenant's Group scoping rule",
        (ResourceType::User, Outcome::Deleted(_)) => {
            "left the tenant's User scoping rule: deleted (update policy delete)"
        }
        (ResourceType::Group, Outcome::Deleted(_)) => {
            "left the tenant's Group scoping rule: deleted (update policy delete)"
        }
    };
    Some(detail.to_owned())
}

/// The effects of an update of `resource` `id` as the scoping rule left it: `effects`
/// (for a group, plus `deactivated` when the rule marked it out of scope and
/// `reactivated` when it brought it back; a user's own event already says so); under
/// the update policy `delete`, the delete's events instead, logged as a delete.
pub(crate) fn judged(resource: ResourceType, id: &str, mut effects: Effects, outcome: &Outcome) -> Effects {
    let marked = match (resource, outcome) {
        (_, Outcome::Kept) => return effects,
        (_, Outcome::Deleted(parents)) => {
            return Effects {
                operation: Some(Operation::Delete),
                detail: scope_detail(resource, outcome),
                ..deletion_effects(parents, id, resource)
            };
        }
        (ResourceType::User, Outcome::Disabled | Outcome::Restored) => None,
        (ResourceType::Group, Outcome::Disabled) => Some(ChangeEvent::Deactivated),
        (ResourceType::Group, Outcome::Restored) => Some(ChangeEvent::Reactivated),
    };
    if let Some(event) = marked {
        effects.events.push(NewChange::of(resource, id, event, Vec::new()));
    }
    effects.detail = scope_detail(resource, outcome);
    effects
}

/// The feed effects of deleting `resource` `id`, which was a member of the groups
/// `parents`: a `member_removed` event on each of them, then `deleted`.
pub(crate) fn deletion_effects(parents: &[String], id: &str, resource: ResourceType) -> Effects {
    let mut events: Vec<NewChange> = parents
        .iter()
        .map(|g| NewChange::membership(g, id, resource, ChangeEvent::MemberRemoved))
        .collect();
    events.push(NewChange::of(resource, id, ChangeEvent::Deleted, Vec::new()));
    Effects {
        events,
        ..Effects::default()
    }
}

impl Core {
    /// Runs `attempt` (read → apply → check the version → judge → commit) until it
    /// commits, retrying when another writer committed in between, unless the caller
    /// named the version it expects (then the lost race is the answer: 412). An update
    /// that the scoping rule's `delete` policy turned into a delete committed, and is
    /// answered as the resource no longer existing.
    pub(crate) async fn retrying<T, F, Fut>(
        &self,
        resource: ResourceType,
        id: &str,
        if_match: Option<i64>,
        mut attempt: F,
    ) -> CoreResult<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<(T, Outcome), WriteError>>,
    {
        for _ in 0..MAX_WRITE_ATTEMPTS {
            match attempt().await {
                Ok((_, Outcome::Deleted(_))) => {
                    return Err(CoreError::NotFound(format!(
                        "{} {id:?} left the tenant's {} scoping rule and was deleted (update policy delete)",
                        noun(resource),
                        resource.as_str()
                    )));
                }
                Ok((value, _)) => return Ok(value),
                Err(WriteError::Storage(StorageError::VersionMismatch { .. })) if if_match.is_none() => continue,
                Err(e) => return Err(e.answer(resource, Some(id))),
            }
        }
        Err(CoreError::VersionMismatch(format!(
            "the {} kept changing concurrently; retry",
            noun(resource)
        )))
    }

    /// Deletes `resource` `id` of the caller's tenant with its memberships: a
    /// `member_removed` event per group it leaves, then `deleted`.
    pub(crate) async fn delete_resource<D>(
        &self,
        caller: &Caller,
        resource: ResourceType,
        id: String,
        if_match: Option<i64>,
        delete: D,
    ) -> CoreResult<()>
    where
        // Storage's `delete_user` or `delete_group`: deletes the resource of the tenant
        // (and its memberships) and answers the groups it was taken out of.
        D: FnOnce(&mut Tx<'_>, &str, &str, Option<i64>, i64) -> Result<Vec<String>, StorageError> + Send + 'static,
    {
        let intent = Intent::new(Operation::Delete, resource, Some(&id));
        self.logged(caller, intent, |intent| async move {
            let tenant = caller.tenant_id.clone();
            let target = id.clone();
            self.commit(caller, &intent, move |tx| {
                let parents = delete(tx, &tenant, &target, if_match, now_us())?;
                Ok(((), deletion_effects(&parents, &target, resource)))
            })
            .await
            .map_err(|e: WriteError| e.answer(resource, Some(&id)))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_version_that_differs_is_refused_and_no_version_always_passes() {
        assert!(check_version(ResourceType::User, None, 7).is_ok());
        assert!(check_version(ResourceType::Group, Some(7), 7).is_ok());
        let refused = check_version(ResourceType::Group, Some(6), 7).expect_err("stale");
        assert!(matches!(
            refused.answer(ResourceType::Group, Some("g1")),
            CoreError::VersionMismatch(m) if m == "If-Match names version 6 but the group is at version 7"
        ));
    }

    #[test]
    fn one_mapping_answers_both_resources_in_their_own_terms() {
        let taken = |_: ResourceType| WriteError::naming("Ops")(StorageError::Conflict { what: String::new() });
        assert!(matches!(
            taken(ResourceType::Group).answer(ResourceType::Group, None),
            CoreError::Uniqueness(m) if m.starts_with("displayName \"Ops\" is already taken")
        ));
        assert!(matches!(
            taken(ResourceType::User).answer(ResourceType::User, None),
            CoreError::Uniqueness(m) if m.starts_with("userName \"Ops\" is already taken")
        ));
        assert!(matches!(
            WriteError::from(StorageError::NotFound).answer(ResourceType::User, Some("u1")),
            CoreError::NotFound(m) if m == "user \"u1\" not found"
        ));
        let refused = CoreError::invalid_value("no");
        assert!(matches!(
            WriteError::from(refused).answer(ResourceType::User, Some("u1")),
            CoreError::Invalid { .. }
        ));
    }

    #[test]
    fn a_rule_delete_turns_an_update_into_a_logged_delete_with_the_membership_events() {
        let update = Effects {
            attributes: vec!["displayName".into()],
            events: vec![NewChange::of(ResourceType::Group, "g1", ChangeEvent::Renamed, vec![])],
            ..Effects::default()
        };
        let effects = judged(
            ResourceType::Group,
            "g1",
            update,
            &Outcome::Deleted(vec!["parent".into()]),
        );
        assert_eq!(effects.operation, Some(Operation::Delete));
        let events: Vec<_> = effects
            .events
            .iter()
            .map(|e| (e.resource_id.as_str(), e.event))
            .collect();
        assert_eq!(
            events,
            [("parent", ChangeEvent::MemberRemoved), ("g1", ChangeEvent::Deleted)]
        );
        assert!(effects.detail.is_some_and(|d| d.contains("Group scoping rule")));
    }

    #[test]
    fn a_group_marked_out_of_scope_gets_its_own_event_and_a_user_keeps_its_update_event() {
        let group = judged(ResourceType::Group, "g1", Effects::default(), &Outcome::Disabled);
        assert_eq!(group.events.len(), 1);
        assert_eq!(group.events[0].event, ChangeEvent::Deactivated);
        let user_update = Effects {
            events: vec![NewChange::of(
                ResourceType::User,
                "u1",
                ChangeEvent::Deactivated,
                vec![],
            )],
            ..Effects::default()
        };
        let user = judged(ResourceType::User, "u1", user_update, &Outcome::Disabled);
        assert_eq!(user.events.len(), 1, "the user's own event already says it");
        assert_eq!(
            user.detail.as_deref(),
            Some("out of the tenant's User scoping rule: stored disabled")
        );
        let kept = judged(ResourceType::User, "u1", Effects::default(), &Outcome::Kept);
        assert_eq!(kept.detail, None);
    }
}
