//! Bearer tokens, stored as hashes and bound to one tenant.

use diesel::prelude::*;

use crate::conn::AnyConnection;
use crate::error::{DbResultExt, StorageError};
use crate::records::{Scope, TokenRecord};
use crate::schema::tokens;

#[derive(Queryable, Selectable)]
#[diesel(table_name = tokens)]
struct TokenRow {
    id: String,
    tenant_id: String,
    scope: String,
    secret_hash: String,
    label: String,
    created_us: i64,
    expires_us: Option<i64>,
    last_used_us: Option<i64>,
    revoked_us: Option<i64>,
}

impl TryFrom<TokenRow> for TokenRecord {
    type Error = StorageError;

    fn try_from(r: TokenRow) -> Result<TokenRecord, StorageError> {
        let scope = Scope::parse(&r.scope)
            .ok_or_else(|| StorageError::Internal(format!("token {} has an unknown scope {:?}", r.id, r.scope)))?;
        Ok(TokenRecord {
            id: r.id,
            tenant_id: r.tenant_id,
            scope,
            secret_hash: r.secret_hash,
            label: r.label,
            created_us: r.created_us,
            expires_us: r.expires_us,
            last_used_us: r.last_used_us,
            revoked_us: r.revoked_us,
        })
    }
}

pub(crate) fn insert_token_in(conn: &mut AnyConnection, t: &TokenRecord) -> Result<(), StorageError> {
    let _span = crate::trace::db_span(conn, "INSERT", "tokens").entered();
    let TokenRecord {
        id,
        tenant_id,
        scope,
        secret_hash,
        label,
        created_us,
        expires_us,
        last_used_us,
        revoked_us,
    } = t;
    diesel::insert_into(tokens::table)
        .values((
            tokens::id.eq(id),
            tokens::tenant_id.eq(tenant_id),
            tokens::scope.eq(scope.as_str()),
            tokens::secret_hash.eq(secret_hash),
            tokens::label.eq(label),
            tokens::created_us.eq(created_us),
            tokens::expires_us.eq(expires_us),
            tokens::last_used_us.eq(last_used_us),
            tokens::revoked_us.eq(revoked_us),
        ))
        .execute(conn)
        .db()?;
    Ok(())
}

pub(crate) fn token_by_hash_in(
    conn: &mut AnyConnection,
    secret_hash: &str,
) -> Result<Option<TokenRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tokens").entered();
    tokens::table
        .filter(tokens::secret_hash.eq(secret_hash))
        .select(TokenRow::as_select())
        .first(conn)
        .optional()
        .db()?
        .map(TokenRecord::try_from)
        .transpose()
}

/// The tokens of one tenant, or of all tenants, oldest first.
pub(crate) fn list_tokens_in(
    conn: &mut AnyConnection,
    tenant_id: Option<&str>,
) -> Result<Vec<TokenRecord>, StorageError> {
    let _span = crate::trace::db_span(conn, "SELECT", "tokens").entered();
    let mut query = tokens::table
        .into_boxed()
        .order((tokens::created_us, tokens::id))
        .select(TokenRow::as_select());
    if let Some(tenant_id) = tenant_id {
        query = query.filter(tokens::tenant_id.eq(tenant_id.to_owned()));
    }
    query.load(conn).db()?.into_iter().map(TokenRecord::try_from).collect()
}

fn token_in(conn: &mut AnyConnection, tenant_id: Option<&str>, id: &str) -> Result<Option<TokenRecord>, StorageError> {
    let mut query = tokens::table
        .into_boxed()
        .filter(tokens::id.eq(id.to_owned()))
        .select(TokenRow::as_select());
    if let Some(tenant_id) = tenant_id {
        query = query.filter(tokens::tenant_id.eq(tenant_id.to_owned()));
    }
    query
        .first(conn)
        .optional()
        .db()?
        .map(TokenRecord::try_from)
        .transpose()
}

/// Revokes a token (keeping the first revocation time) and returns it.
pub(crate) fn revoke_token_in(
    conn: &mut AnyConnection,
    tenant_id: Option<&str>,
    id: &str,
    now_us: i64,
) -> Result<TokenRecord, StorageError> {
    let _span = crate::trace::db_span(conn, "UPDATE", "tokens").entered();
    let unrevoked = tokens::table
        .filter(tokens::id.eq(id))
        .filter(tokens::revoked_us.is_null());
    let revoke = tokens::revoked_us.eq(now_us);
    match tenant_id {
        Some(t) => diesel::update(unrevoked.filter(tokens::tenant_id.eq(t)))
            .set(revoke)
            .execute(conn),
        None => diesel::update(unrevoked).set(revoke).execute(conn),
    }
    .db()?;
    token_in(conn, tenant_id, id)?.ok_or(StorageError::NotFound)
}

/// Records a use of the token; never moves `last_used_us` backwards. A missing token
/// is not an error (the caller has just authenticated with it; a concurrent delete wins).
pub(crate) fn touch_token_in(conn: &mut AnyConnection, id: &str, now_us: i64) -> Result<(), StorageError> {
    let _span = crate::trace::db_span(conn, "UPDATE", "tokens").entered();
    diesel::update(
        tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::last_used_us.is_null().or(tokens::last_used_us.lt(now_us))),
    )
    .set(tokens::last_used_us.eq(now_us))
    .execute(conn)
    .db()?;
    Ok(())
}
