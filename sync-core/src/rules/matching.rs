//! Matching rules applied to a user create, inside its transaction: find the existing
//! account this identity should be linked to instead of duplicated.
//!
//! Only accounts that the calling connection (token) neither created nor adopted are
//! candidates: a connection never adopts its own users, so Entra re-sending a create
//! still meets today's 409 `uniqueness`. Attributes are tried in order; the first one
//! whose value finds any candidate decides. One candidate is adopted or refused as the
//! policy says; more than one is always a conflict, because guessing would merge two
//! people.

use idsync_storage::Tx;
use idsync_storage::records::{MatchPolicy, UserRecord};

use super::cache::TenantRules;
use super::spec::MatchAttribute;
use crate::error::{CoreError, CoreResult};

/// The existing user a create must adopt, when the tenant's matching rule finds exactly
/// one and its policy is `adopt`; `None` when the create goes ahead as a new user.
/// 409 `uniqueness` when the policy is `conflict` or several accounts match.
pub(crate) fn user_to_adopt(
    tx: &mut Tx<'_>,
    rules: &TenantRules,
    incoming: &UserRecord,
    token: &str,
) -> CoreResult<Option<UserRecord>> {
    let Some((attributes, policy)) = &rules.matching else {
        return Ok(None);
    };
    let identities: Vec<String> = attributes
        .iter()
        .filter_map(|&a| {
            a.value_of(incoming)
                .map(|v| format!("{}={}", a.as_str(), v.to_lowercase()))
        })
        .collect();
    tx.lock_identities(&incoming.tenant_id, &identities)?;
    for &attribute in attributes {
        let Some(value) = attribute.value_of(incoming) else {
            continue;
        };
        let predicate = attribute.predicate(value)?;
        let ids = tx.unlinked_users(&incoming.tenant_id, &predicate, token, 2)?;
        match ids.as_slice() {
            [] => continue,
            [id] if *policy == MatchPolicy::Adopt => match tx.get_user(&incoming.tenant_id, id)? {
                Some(existing) => return Ok(Some(existing)),
                // Deleted by a commit between the two reads (PostgreSQL reads committed
                // data per statement): there is nothing left to adopt by this attribute.
                None => continue,
            },
            [id] => {
                return Err(CoreError::Uniqueness(format!(
                    "user {id:?}, which this connection did not provision, has the same {} {value:?} \
                     (matching rule policy conflict)",
                    attribute.as_str()
                )));
            }
            _ => return Err(ambiguous(attribute, value)),
        }
    }
    Ok(None)
}

fn ambiguous(attribute: MatchAttribute, value: &str) -> CoreError {
    CoreError::Uniqueness(format!(
        "more than one existing user that this connection did not provision has {} {value:?}; \
         the matching rule cannot pick one",
        attribute.as_str()
    ))
}

/// `existing` taken over by the connection `token`: the incoming values replace every
/// writable attribute (as a PUT would), the id, creation time and creator stay, the
/// version moves on. An absent password keeps the stored one.
pub(crate) fn adopted(existing: &UserRecord, incoming: UserRecord, token: &str, now_us: i64) -> UserRecord {
    UserRecord {
        tenant_id: existing.tenant_id.clone(),
        id: existing.id.clone(),
        created_us: existing.created_us,
        created_by_token: existing.created_by_token.clone(),
        adopted_by_token: Some(token.to_owned()),
        password_hash: incoming
            .password_hash
            .clone()
            .or_else(|| existing.password_hash.clone()),
        manager_display_name: existing.manager_display_name.clone(),
        out_of_scope: existing.out_of_scope,
        last_modified_us: now_us.max(existing.last_modified_us),
        version: existing.version + 1,
        ..incoming
    }
}
