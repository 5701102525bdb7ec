//! Bearer tokens, stored as hashes and bound to one tenant.

use diesel::prelude::*;

use crate::cached;
use crate::conn::MultiBackend;
use crate::error::{DbResultExt, StorageError};
use crate::records::{Scope, TokenRecord};
use crate::schema::tokens;
use crate::{Store, Tx};

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

/// The tokens of one tenant (`Some`) or of every tenant (`None`): the scope that
/// listing and revoking share.
fn tokens_of(tenant_id: Option<&str>) -> tokens::BoxedQuery<'static, MultiBackend> {
    let query = tokens::table.into_boxed();
    match tenant_id {
        Some(tenant_id) => query.filter(tokens::tenant_id.eq(tenant_id.to_owned())),
        None => query,
    }
}

impl Tx<'_> {
    /// Stores a new token. [`StorageError::NotFound`] when its tenant does not exist;
    /// [`StorageError::Conflict`] (`tokens.id`, `tokens.secret_hash`) on a collision.
    pub fn insert_token(&mut self, token: &TokenRecord) -> Result<(), StorageError> {
        let _span = crate::trace::db_span!(self.conn, "INSERT", "tokens").entered();
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
        } = token;
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
            .execute(self.conn)
            .db()?;
        Ok(())
    }

    /// The token whose secret hashes to `secret_hash`, whatever its state: the caller
    /// checks expiry and revocation.
    pub fn token_by_hash(&mut self, secret_hash: &str) -> Result<Option<TokenRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tokens").entered();
        tokens::table
            .filter(tokens::secret_hash.eq(secret_hash))
            .select(TokenRow::as_select())
            .first(self.conn)
            .optional()
            .db()?
            .map(TokenRecord::try_from)
            .transpose()
    }

    /// The tokens of one tenant (`Some`) or of every tenant (`None`), oldest first.
    pub fn list_tokens(&mut self, tenant_id: Option<&str>) -> Result<Vec<TokenRecord>, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "SELECT", "tokens").entered();
        tokens_of(tenant_id)
            .order((tokens::created_us, tokens::id))
            .select(TokenRow::as_select())
            .load(self.conn)
            .db()?
            .into_iter()
            .map(TokenRecord::try_from)
            .collect()
    }

    /// Revokes a token and returns it. With `Some(tenant_id)` only that tenant's token
    /// qualifies ([`StorageError::NotFound`] otherwise). Revoking twice keeps the first
    /// revocation time.
    pub fn revoke_token(
        &mut self,
        tenant_id: Option<&str>,
        id: &str,
        now_us: i64,
    ) -> Result<TokenRecord, StorageError> {
        let _span = crate::trace::db_span!(self.conn, "UPDATE", "tokens").entered();
        let unrevoked = tokens::table
            .filter(tokens::id.eq(id))
            .filter(tokens::revoked_us.is_null());
        let revoke = tokens::revoked_us.eq(now_us);
        match tenant_id {
            Some(t) => diesel::update(unrevoked.filter(tokens::tenant_id.eq(t)))
                .set(revoke)
                .execute(self.conn),
            None => diesel::update(unrevoked).set(revoke).execute(self.conn),
        }
        .db()?;
        tokens_of(tenant_id)
            .filter(tokens::id.eq(id.to_owned()))
            .select(TokenRow::as_select())
            .first(self.conn)
            .optional()
            .db()?
            .map(TokenRecord::try_from)
            .transpose()?
            .ok_or(StorageError::NotFound)
    }

    /// Sets `last_used_us` (never backwards). A missing token is not an error: the
    /// caller has just authenticated with it, and a concurrent delete wins.
    pub fn touch_token(&mut self, id: &str, now_us: i64) -> Result<(), StorageError> {
        let _span = crate::trace::db_span!(self.conn, "UPDATE", "tokens").entered();
        /// Marker of the cached statement below (see `crate::cached`).
        struct TouchToken;
        cached::update::<TouchToken, _, _, _>(
            tokens::table,
            tokens::last_used_us.eq(now_us),
            tokens::id
                .eq(id)
                .and(tokens::last_used_us.is_null().or(tokens::last_used_us.lt(now_us))),
        )
        .execute(self.conn)
        .db()?;
        Ok(())
    }
}

impl Store {
    /// See [`Tx::insert_token`].
    pub fn insert_token(&self, token: &TokenRecord) -> Result<(), StorageError> {
        self.write(|tx| tx.insert_token(token))
    }

    /// See [`Tx::token_by_hash`].
    pub fn token_by_hash(&self, secret_hash: &str) -> Result<Option<TokenRecord>, StorageError> {
        self.read(|tx| tx.token_by_hash(secret_hash))
    }

    /// See [`Tx::list_tokens`].
    pub fn list_tokens(&self, tenant_id: Option<&str>) -> Result<Vec<TokenRecord>, StorageError> {
        self.read(|tx| tx.list_tokens(tenant_id))
    }

    /// See [`Tx::revoke_token`].
    pub fn revoke_token(&self, tenant_id: Option<&str>, id: &str, now_us: i64) -> Result<TokenRecord, StorageError> {
        self.write(|tx| tx.revoke_token(tenant_id, id, now_us))
    }

    /// See [`Tx::touch_token`].
    pub fn touch_token(&self, id: &str, now_us: i64) -> Result<(), StorageError> {
        self.write(|tx| tx.touch_token(id, now_us))
    }
}
