//! A decorator that times every provider call into the metrics, so adapters
//! stay free of bookkeeping and no call can be forgotten.

use super::{AuthorizeRequest, ExchangeRequest, Grant, Identity, Provider, ProviderError};
use crate::metrics::Metrics;
use async_trait::async_trait;
use keyhole_api::{Balance, Capability, ProviderInfo, RateLimit};
use oauth2::AccessToken;
use std::{future::Future, sync::Arc, time::Instant};
use url::Url;

/// An adapter whose calls are timed.
#[derive(Debug)]
pub(super) struct Instrumented {
    inner: Arc<dyn Provider>,
    metrics: Metrics,
}

impl Instrumented {
    pub(super) fn wrap(inner: Arc<dyn Provider>, metrics: Metrics) -> Arc<dyn Provider> {
        Arc::new(Self { inner, metrics })
    }

    async fn timed<T>(
        &self,
        operation: &'static str,
        call: impl Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let started = Instant::now();
        let result = call.await;
        // NotSupported never left the process: nothing to time.
        if !matches!(result, Err(ProviderError::NotSupported)) {
            self.metrics.upstream(
                &self.inner.info().id,
                operation,
                result.is_ok(),
                started.elapsed().as_secs_f64(),
            );
        }
        result
    }
}

#[async_trait]
impl Provider for Instrumented {
    fn info(&self) -> &ProviderInfo {
        self.inner.info()
    }

    fn uses_pkce(&self) -> bool {
        self.inner.uses_pkce()
    }

    async fn authorize_url(&self, request: &AuthorizeRequest<'_>) -> Result<Url, ProviderError> {
        self.timed("authorize_url", self.inner.authorize_url(request))
            .await
    }

    async fn exchange(&self, request: ExchangeRequest<'_>) -> Result<Grant, ProviderError> {
        self.timed("exchange", self.inner.exchange(request)).await
    }

    async fn refresh(&self, grant: &Grant) -> Result<Grant, ProviderError> {
        self.timed("refresh", self.inner.refresh(grant)).await
    }

    async fn revoke(&self, grant: &Grant) -> Result<(), ProviderError> {
        self.timed("revoke", self.inner.revoke(grant)).await
    }

    async fn identity(&self, grant: &Grant) -> Result<Identity, ProviderError> {
        self.timed("identity", self.inner.identity(grant)).await
    }

    async fn balance(&self, token: &AccessToken) -> Result<Balance, ProviderError> {
        self.timed("balance", self.inner.balance(token)).await
    }

    async fn topup_url(&self, token: &AccessToken) -> Result<Url, ProviderError> {
        self.timed("topup", self.inner.topup_url(token)).await
    }

    async fn notify(
        &self,
        token: &AccessToken,
        message: &str,
    ) -> Result<Option<RateLimit>, ProviderError> {
        self.timed("notify", self.inner.notify(token, message))
            .await
    }

    async fn friendship(&self, token: &AccessToken) -> Result<bool, ProviderError> {
        self.timed("friendship", self.inner.friendship(token)).await
    }

    fn add_friend_url(&self) -> Option<Url> {
        self.inner.add_friend_url()
    }

    fn messaging(&self) -> Option<&dyn super::Messaging> {
        self.inner.messaging()
    }

    fn can(&self, capability: Capability) -> bool {
        self.inner.can(capability)
    }
}
