//! Scoping and matching rules: what a tenant's admin decides about which identities are
//! provisioned, and how a created user is linked to an account that already exists.
//!
//! * **Scoping** ([`scope`]): per tenant and resource type, a SCIM filter in the grammar
//!   of list filters. After a write, inside its transaction, the row just written is
//!   tested with that filter pushed down to SQL, and the policy decides: a create out of
//!   scope is rejected or stored disabled and marked; an update that moves a resource
//!   out of scope deactivates (marks) it, deletes it, or is rejected. Marked resources
//!   never become group members.
//! * **Matching** ([`matching`]): on a user create, an ordered list of attributes finds
//!   an account that the calling connection did not provision; the policy adopts it or
//!   answers 409. A tenant without a matching rule never looks (a duplicate userName is
//!   409 `uniqueness`, as before rules existed); a rule set without attributes uses
//!   `externalId`, then `userName`, and without a policy answers `conflict`.
//! * [`spec`] validates rules as an admin writes them; [`admin`] reads and replaces a
//!   tenant's rules for the `Admin` RPCs and the CLI; [`dry_run`] counts, without
//!   storing anything, what a set of rules would put out of scope.
//! * [`cache`] keeps each tenant's rules compiled between writes, checked against the
//!   tenant's rules stamp inside every write's transaction, so a change made through
//!   any replica is seen by the next write on every other.
//!
//! The users and groups operations take the tenant's rules from [`cache`] inside their
//! transaction and call in at three points: [`matching::user_to_adopt`]
//! before a user insert, [`scope::scope_user`] / [`scope::scope_group`] after a write,
//! and [`scope::out_of_scope_refusal`] when members to add are marked out of scope.

pub mod admin;
pub(crate) mod cache;
pub mod dry_run;
pub(crate) mod matching;
pub(crate) mod scope;
pub mod spec;

#[cfg(test)]
mod tests;
