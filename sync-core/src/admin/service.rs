//! The tonic `idsync.v1.Admin` service.
//!
//! Token, rule and overview calls need an `admin` token and act on its tenant; `scim`
//! and `read` tokens are refused with PERMISSION_DENIED.

use idsync_proto::v1::admin_server::Admin;
use idsync_proto::v1::{
    CreateTenantRequest, CreateTokenRequest, CreateTokenResponse, DryRunRulesRequest, DryRunRulesResponse,
    GetOverviewRequest, GetRulesRequest, GetTenantRequest, ListTenantsRequest, ListTenantsResponse, ListTokensRequest,
    ListTokensResponse, Overview, RevokeTokenRequest, RevokeTokenResponse, Rules, SetRulesRequest, Tenant, TokenInfo,
    TokenScope,
};
use idsync_storage::records::{Scope, TenantRecord, TokenRecord};
use tonic::{Request, Response, Status};

use crate::Core;
use crate::clock::{from_timestamp, now_us, to_timestamp};
use crate::error::{CoreError, CoreResult};
use crate::telemetry::in_current_span;

/// Serves `idsync.v1.Admin` over a [`Core`].
#[derive(Clone)]
pub struct AdminService {
    core: Core,
}

impl AdminService {
    /// The service over `core`.
    pub fn new(core: Core) -> Self {
        AdminService { core }
    }

    async fn operator(&self, request_metadata: &tonic::metadata::MetadataMap) -> CoreResult<()> {
        let caller = self.core.authorize(request_metadata, &[Scope::Admin]).await?;
        let store = self.core.store.clone();
        let tenant = tokio::task::spawn_blocking(in_current_span(move || store.tenant(&caller.tenant_id))).await??;
        match tenant {
            Some(t) if t.operator => Ok(()),
            _ => Err(CoreError::PermissionDenied(
                "only an operator tenant's admin token may manage tenants".into(),
            )),
        }
    }
}

impl AdminService {
    /// `other`, a tenant an operator's admin (of `caller_tenant`) acts on: PERMISSION_DENIED
    /// unless the caller's tenant is an operator, NOT_FOUND when `other` does not exist.
    async fn other_tenant(&self, caller_tenant: &str, other: String) -> CoreResult<String> {
        crate::error::check_id("tenant_id", &other)?;
        let store = self.core.store.clone();
        let caller_tenant = caller_tenant.to_owned();
        let (caller, target) = tokio::task::spawn_blocking(in_current_span(move || {
            Ok::<_, idsync_storage::StorageError>((store.tenant(&caller_tenant)?, store.tenant(&other)?))
        }))
        .await??;
        if !caller.is_some_and(|tenant| tenant.operator) {
            return Err(CoreError::PermissionDenied(
                "only an operator tenant's admin token may mint tokens for another tenant".into(),
            ));
        }
        target
            .map(|tenant| tenant.id)
            .ok_or_else(|| CoreError::NotFound("no such tenant".into()))
    }
}

/// The proto form of a tenant.
pub fn tenant_to_proto(t: &TenantRecord) -> Tenant {
    Tenant {
        id: t.id.clone(),
        name: t.name.clone(),
        public_url: t.public_url.clone(),
        operator: t.operator,
        created: Some(to_timestamp(t.created_us)),
    }
}

/// The proto form of a token (never its secret or hash).
pub fn token_to_proto(t: &TokenRecord) -> TokenInfo {
    TokenInfo {
        id: t.id.clone(),
        tenant_id: t.tenant_id.clone(),
        scope: scope_to_proto(t.scope) as i32,
        label: t.label.clone(),
        created: Some(to_timestamp(t.created_us)),
        expires: t.expires_us.map(to_timestamp),
        last_used: t.last_used_us.map(to_timestamp),
        revoked: t.revoked_us.map(to_timestamp),
    }
}

pub(crate) fn scope_to_proto(s: Scope) -> TokenScope {
    match s {
        Scope::Scim => TokenScope::Scim,
        Scope::Read => TokenScope::Read,
        Scope::Admin => TokenScope::Admin,
    }
}

fn scope_from_proto(s: i32) -> CoreResult<Scope> {
    match TokenScope::try_from(s) {
        Ok(TokenScope::Scim) => Ok(Scope::Scim),
        Ok(TokenScope::Read) => Ok(Scope::Read),
        Ok(TokenScope::Admin) => Ok(Scope::Admin),
        _ => Err(CoreError::invalid_value("scope must be SCIM, READ or ADMIN")),
    }
}

#[tonic::async_trait]
impl Admin for AdminService {
    async fn create_tenant(&self, request: Request<CreateTenantRequest>) -> Result<Response<Tenant>, Status> {
        self.operator(request.metadata()).await?;
        let CreateTenantRequest { name, public_url } = request.into_inner();
        let store = self.core.store.clone();
        let tenant = tokio::task::spawn_blocking(in_current_span(move || {
            super::create_tenant(&store, &name, public_url, false)
        }))
        .await
        .map_err(CoreError::from)??;
        Ok(Response::new(tenant_to_proto(&tenant)))
    }

    async fn list_tenants(
        &self,
        request: Request<ListTenantsRequest>,
    ) -> Result<Response<ListTenantsResponse>, Status> {
        self.operator(request.metadata()).await?;
        let store = self.core.store.clone();
        let tenants = tokio::task::spawn_blocking(in_current_span(move || store.list_tenants()))
            .await
            .map_err(CoreError::from)?;
        let tenants = tenants.map_err(CoreError::from)?;
        Ok(Response::new(ListTenantsResponse {
            tenants: tenants.iter().map(tenant_to_proto).collect(),
        }))
    }

    async fn create_token(
        &self,
        request: Request<CreateTokenRequest>,
    ) -> Result<Response<CreateTokenResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let CreateTokenRequest {
            scope,
            label,
            expires,
            tenant_id,
        } = request.into_inner();
        let scope = scope_from_proto(scope)?;
        let expires_us = expires.as_ref().map(from_timestamp);
        let tenant_id = match tenant_id {
            Some(other) if other != caller.tenant_id => self.other_tenant(&caller.tenant_id, other).await?,
            _ => caller.tenant_id,
        };
        let store = self.core.store.clone();
        let (token, secret) = tokio::task::spawn_blocking(in_current_span(move || {
            super::create_token(&store, &tenant_id, scope, &label, expires_us)
        }))
        .await
        .map_err(CoreError::from)??;
        Ok(Response::new(CreateTokenResponse {
            token: Some(token_to_proto(&token)),
            secret,
        }))
    }

    async fn list_tokens(&self, request: Request<ListTokensRequest>) -> Result<Response<ListTokensResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let store = self.core.store.clone();
        let tokens = tokio::task::spawn_blocking(in_current_span(move || store.list_tokens(Some(&caller.tenant_id))))
            .await
            .map_err(CoreError::from)?
            .map_err(CoreError::from)?;
        Ok(Response::new(ListTokensResponse {
            tokens: tokens.iter().map(token_to_proto).collect(),
        }))
    }

    async fn revoke_token(
        &self,
        request: Request<RevokeTokenRequest>,
    ) -> Result<Response<RevokeTokenResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let RevokeTokenRequest { id } = request.into_inner();
        crate::error::check_id("id", &id)?;
        let store = self.core.store.clone();
        let token = tokio::task::spawn_blocking(in_current_span(move || {
            store.revoke_token(Some(&caller.tenant_id), &id, now_us())
        }))
        .await
        .map_err(CoreError::from)?
        .map_err(|e| match e {
            idsync_storage::StorageError::NotFound => CoreError::NotFound("no such token in this tenant".into()),
            other => other.into(),
        })?;
        self.core.auth.evict(&token.secret_hash);
        Ok(Response::new(RevokeTokenResponse {
            token: Some(token_to_proto(&token)),
        }))
    }

    async fn get_rules(&self, request: Request<GetRulesRequest>) -> Result<Response<Rules>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let GetRulesRequest {} = request.into_inner();
        let store = self.core.store.clone();
        let rules = tokio::task::spawn_blocking(in_current_span(move || {
            crate::rules::admin::get_rules(&store, &caller.tenant_id)
        }))
        .await
        .map_err(CoreError::from)??;
        Ok(Response::new(crate::rules::admin::rules_to_proto(&rules)))
    }

    async fn set_rules(&self, request: Request<SetRulesRequest>) -> Result<Response<Rules>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let SetRulesRequest { rules } = request.into_inner();
        let rules = crate::rules::admin::rules_from_proto(rules.unwrap_or_default())?;
        let store = self.core.store.clone();
        let stored = tokio::task::spawn_blocking(in_current_span(move || {
            crate::rules::admin::replace_rules(&store, &caller.tenant_id, rules)
        }))
        .await
        .map_err(CoreError::from)??;
        Ok(Response::new(crate::rules::admin::rules_to_proto(&stored)))
    }

    async fn dry_run_rules(
        &self,
        request: Request<DryRunRulesRequest>,
    ) -> Result<Response<DryRunRulesResponse>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let DryRunRulesRequest { rules } = request.into_inner();
        // Converted and checked exactly as `set_rules` does, so both refuse alike.
        let rules = crate::rules::admin::rules_from_proto(rules.unwrap_or_default())?;
        let store = self.core.store.clone();
        let found = tokio::task::spawn_blocking(in_current_span(move || {
            crate::rules::dry_run::dry_run_rules(&store, &caller.tenant_id, rules)
        }))
        .await
        .map_err(CoreError::from)??;
        Ok(Response::new(found.to_proto()))
    }

    async fn get_tenant(&self, request: Request<GetTenantRequest>) -> Result<Response<Tenant>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let GetTenantRequest {} = request.into_inner();
        let store = self.core.store.clone();
        let tenant = tokio::task::spawn_blocking(in_current_span(move || store.tenant(&caller.tenant_id)))
            .await
            .map_err(CoreError::from)?
            .map_err(CoreError::from)?
            .ok_or_else(|| CoreError::NotFound("the token's tenant no longer exists".into()))?;
        Ok(Response::new(tenant_to_proto(&tenant)))
    }

    async fn get_overview(&self, request: Request<GetOverviewRequest>) -> Result<Response<Overview>, Status> {
        let caller = self.core.authorize(request.metadata(), &[Scope::Admin]).await?;
        let GetOverviewRequest {} = request.into_inner();
        Ok(Response::new(self.core.overview(&caller).await?))
    }
}
