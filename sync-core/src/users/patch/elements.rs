//! PATCH on multi-valued attributes: whole lists, and elements chosen by a value filter.
//!
//! Lists are short (a user has a handful of emails), so a value filter such as
//! `phoneNumbers[type eq "work"]` is evaluated in memory ([`super::element`]) with the
//! same semantics the storage layer uses in SQL. A filtered `add`/`replace` that matches
//! nothing creates the element the filter describes (`{type: "work", value: …}`), which
//! is how Entra sets a work phone on a user that has none; later operations of the same
//! request then match that element, so several sub-attributes land in ONE element.

use idsync_proto::v1::{Address, MultiValue, User};
use idsync_storage::query::MultiValuedAttr;
use prost_types::value::Kind;
use prost_types::{Struct, Value};

use super::element::{Element, filter_sub, matches, sub_def};
use super::{Op, is_clear, kind};
use crate::error::{CoreError, CoreResult, ScimType};
use crate::schema::{AttrType, MultiDef, SubDef};
use crate::scim::filter::{CompValue, CompareOp, Filter};

/// `emails` or `emails.type`: an operation on a whole multi-valued attribute of `user`.
pub(super) fn apply_to_list(
    user: &mut User,
    op: Op,
    multi: &MultiDef,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    match list_mut(user, multi.attr) {
        ListMut::Values(list) => apply_whole(list, multi, op, sub, value),
        ListMut::Addresses(list) => apply_whole(list, multi, op, sub, value),
    }
}

/// `emails[type eq "work"]` or `emails[type eq "work"].value`: an operation on the
/// elements of a multi-valued attribute of `user` that `filter` selects.
pub(super) fn apply_to_matches(
    user: &mut User,
    op: Op,
    multi: &MultiDef,
    filter: &Filter,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    match list_mut(user, multi.attr) {
        ListMut::Values(list) => apply_filtered(list, multi, op, filter, sub, value),
        ListMut::Addresses(list) => apply_filtered(list, multi, op, filter, sub, value),
    }
}

/// A mutable view of one multi-valued attribute of a user.
enum ListMut<'a> {
    /// Any attribute with the standard sub-attributes.
    Values(&'a mut Vec<MultiValue>),
    /// `addresses`.
    Addresses(&'a mut Vec<Address>),
}

/// The list behind `attr`.
fn list_mut(user: &mut User, attr: MultiValuedAttr) -> ListMut<'_> {
    match attr {
        MultiValuedAttr::Emails => ListMut::Values(&mut user.emails),
        MultiValuedAttr::PhoneNumbers => ListMut::Values(&mut user.phone_numbers),
        MultiValuedAttr::Ims => ListMut::Values(&mut user.ims),
        MultiValuedAttr::Photos => ListMut::Values(&mut user.photos),
        MultiValuedAttr::Entitlements => ListMut::Values(&mut user.entitlements),
        MultiValuedAttr::Roles => ListMut::Values(&mut user.roles),
        MultiValuedAttr::X509Certificates => ListMut::Values(&mut user.x509_certificates),
        MultiValuedAttr::Addresses => ListMut::Addresses(&mut user.addresses),
    }
}

/// An operation on the attribute itself (`emails`) or one sub-attribute of every element
/// (`emails.type`).
fn apply_whole<E: Element>(
    list: &mut Vec<E>,
    multi: &MultiDef,
    op: Op,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    if let Some(sub) = sub {
        if op == Op::Remove || is_clear(value) {
            for e in list.iter_mut() {
                set_sub(e, multi, sub, None)?;
            }
            return Ok(());
        }
        if list.is_empty() {
            list.push(E::default());
        }
        for e in list.iter_mut() {
            set_sub(e, multi, sub, value)?;
        }
        return Ok(());
    }
    if op == Op::Remove || is_clear(value) {
        list.clear();
        return Ok(());
    }
    let new: Vec<E> = match kind(value) {
        Some(Kind::ListValue(values)) => values
            .values
            .iter()
            .map(|v| element_from(multi, v))
            .collect::<CoreResult<_>>()?,
        Some(Kind::StructValue(_)) => vec![element_from(multi, value.unwrap_or(&Value::default()))?],
        _ => {
            return Err(CoreError::invalid_value(format!(
                "{} needs a list of objects",
                multi.name
            )));
        }
    };
    if op == Op::Replace {
        list.clear();
    }
    // Adding a value that is already there is a no-op (RFC 7644 §3.5.2.1).
    let new: Vec<E> = new.into_iter().filter(|e| !list.contains(e)).collect();
    if new.iter().any(Element::is_primary) {
        list.iter_mut().for_each(Element::demote);
    }
    for e in new {
        if !list.contains(&e) {
            list.push(e);
        }
    }
    Ok(())
}

/// An operation on the elements that match `filter` (`emails[type eq "work"]` and
/// `emails[type eq "work"].value`).
fn apply_filtered<E: Element>(
    list: &mut Vec<E>,
    multi: &MultiDef,
    op: Op,
    filter: &Filter,
    sub: Option<&SubDef>,
    value: Option<&Value>,
) -> CoreResult<()> {
    let mut hits = Vec::new();
    for (i, e) in list.iter().enumerate() {
        if matches(e, multi, filter)? {
            hits.push(i);
        }
    }
    if op == Op::Remove {
        match sub {
            Some(sub) => {
                for &i in &hits {
                    set_sub(&mut list[i], multi, sub, None)?;
                }
            }
            None => {
                let mut i = 0;
                list.retain(|_| {
                    i += 1;
                    !hits.contains(&(i - 1))
                });
            }
        }
        return Ok(());
    }
    if hits.is_empty() {
        // Nothing matched: create the element the filter describes (see the module docs).
        let mut e = E::default();
        seed_from_filter(&mut e, multi, filter)?;
        // `type eq "work" and type eq "home"` seeds an element the filter does not
        // select: creating it would not create "the element the filter names".
        if !matches(&e, multi, filter)? {
            return Err(no_target(multi, filter));
        }
        list.push(e);
        hits.push(list.len() - 1);
    }
    for &i in &hits {
        match sub {
            Some(sub) => set_sub(&mut list[i], multi, sub, value)?,
            None => match kind(value) {
                Some(Kind::StructValue(object)) => merge(&mut list[i], multi, object)?,
                _ => {
                    return Err(CoreError::invalid_value(format!(
                        "{}[…] needs an object value",
                        multi.name
                    )));
                }
            },
        }
    }
    if hits.iter().any(|&i| list[i].is_primary()) {
        for (i, e) in list.iter_mut().enumerate() {
            if !hits.contains(&i) {
                e.demote();
            }
        }
    }
    Ok(())
}

/// Sets the equality conditions of a filter (`type eq "work" and …`) on a new element.
fn seed_from_filter<E: Element>(e: &mut E, multi: &MultiDef, filter: &Filter) -> CoreResult<()> {
    match filter {
        Filter::And(a, b) => {
            seed_from_filter(e, multi, a)?;
            seed_from_filter(e, multi, b)
        }
        Filter::Compare {
            path,
            op: CompareOp::Eq,
            value,
        } => {
            let sub = filter_sub(multi, path)?;
            let v = match value {
                CompValue::Str(s) => Value {
                    kind: Some(Kind::StringValue(s.clone())),
                },
                CompValue::Bool(b) => Value {
                    kind: Some(Kind::BoolValue(*b)),
                },
                _ => return Err(no_target(multi, filter)),
            };
            set_sub(e, multi, sub, Some(&v))
        }
        _ => Err(no_target(multi, filter)),
    }
}

fn no_target(multi: &MultiDef, filter: &Filter) -> CoreError {
    CoreError::invalid(
        ScimType::NoTarget,
        format!(
            "no value of {} matches [{filter}] and it does not describe one to create",
            multi.name
        ),
    )
}

fn element_from<E: Element>(multi: &MultiDef, value: &Value) -> CoreResult<E> {
    match &value.kind {
        Some(Kind::StructValue(object)) => {
            let mut e = E::default();
            merge(&mut e, multi, object)?;
            Ok(e)
        }
        _ => Err(CoreError::invalid_value(format!(
            "each value of {} must be an object",
            multi.name
        ))),
    }
}

fn merge<E: Element>(e: &mut E, multi: &MultiDef, object: &Struct) -> CoreResult<()> {
    for (key, v) in &object.fields {
        let sub = sub_def(multi, key)?;
        set_sub(e, multi, sub, Some(v))?;
    }
    Ok(())
}

fn set_sub<E: Element>(e: &mut E, multi: &MultiDef, sub: &SubDef, value: Option<&Value>) -> CoreResult<()> {
    if sub.ty == AttrType::Boolean {
        let flag = match kind(value) {
            None | Some(Kind::NullValue(_)) => None,
            Some(Kind::BoolValue(b)) => Some(*b),
            Some(Kind::StringValue(s)) if s.is_empty() => None,
            Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("true") => Some(true),
            Some(Kind::StringValue(s)) if s.eq_ignore_ascii_case("false") => Some(false),
            _ => {
                return Err(CoreError::invalid_value(format!(
                    "{}.{} must be a boolean",
                    multi.name, sub.name
                )));
            }
        };
        e.set_primary(flag);
        return Ok(());
    }
    let text = match kind(value) {
        None | Some(Kind::NullValue(_)) => None,
        Some(Kind::StringValue(s)) if s.is_empty() => None,
        Some(Kind::StringValue(s)) => Some(s.clone()),
        _ => {
            return Err(CoreError::invalid_value(format!(
                "{}.{} must be a string",
                multi.name, sub.name
            )));
        }
    };
    if e.set_text(sub.column, text) {
        Ok(())
    } else {
        Err(CoreError::invalid(
            ScimType::InvalidPath,
            format!("{} has no sub-attribute {:?}", multi.name, sub.name),
        ))
    }
}
