//! One keep-alive HTTP/1.1 connection per client, on hyper's connection API: no pool, no
//! redirects, nothing between the driver and the socket but hyper's HTTP/1.1 codec. A
//! connection that breaks is opened again for the next request.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// SCIM's media type, as Entra sends it.
const SCIM_JSON: &str = "application/scim+json; charset=utf-8";

/// Where a tenant's requests go: a loopback address, the Tenant URL's path and the token.
#[derive(Debug)]
pub struct Endpoint {
    addr: SocketAddr,
    host: HeaderValue,
    base_path: String,
    authorization: HeaderValue,
}

impl Endpoint {
    /// Parses a Tenant URL (`http://127.0.0.1:PORT/scim/v2`) and keeps its Secret Token.
    /// Only loopback addresses are accepted: the harness loads nothing else.
    pub fn new(tenant_url: &str, token: &str) -> Result<Endpoint> {
        let uri: Uri = tenant_url
            .parse()
            .with_context(|| format!("Tenant URL {tenant_url:?}"))?;
        if uri.scheme_str() != Some("http") {
            bail!("Tenant URL {tenant_url:?}: only http:// is driven");
        }
        let authority = uri.authority().context("the Tenant URL names no host")?;
        let addr = authority
            .as_str()
            .to_socket_addrs()
            .with_context(|| format!("resolving {authority}"))?
            .next()
            .context("the Tenant URL's host has no address")?;
        if !addr.ip().is_loopback() {
            bail!("{addr} is not a loopback address; the harness loads only 127.0.0.1");
        }
        Ok(Endpoint {
            addr,
            host: HeaderValue::from_str(authority.as_str())?,
            base_path: uri.path().trim_end_matches('/').to_owned(),
            authorization: HeaderValue::from_str(&format!("Bearer {token}"))?,
        })
    }
}

/// A server's answer: its status and its whole body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The body, read to its end.
    pub body: Bytes,
}

/// One client's persistent connection to one tenant's endpoint.
pub struct Connection {
    endpoint: Arc<Endpoint>,
    sender: Option<SendRequest<Full<Bytes>>>,
}

impl Connection {
    /// A connection to `endpoint`, opened on the first request.
    pub fn new(endpoint: Arc<Endpoint>) -> Connection {
        Connection { endpoint, sender: None }
    }

    async fn open(&self) -> Result<SendRequest<Full<Bytes>>> {
        let stream = TcpStream::connect(self.endpoint.addr)
            .await
            .with_context(|| format!("connecting to {}", self.endpoint.addr))?;
        stream.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(stream)).await?;
        // Drives the socket; ends when the sender is dropped or the server closes.
        tokio::spawn(connection);
        Ok(sender)
    }

    /// Sends `method` to `<base path><path>` (with `body` as SCIM JSON) and reads the
    /// whole answer. A transport error drops the connection; the next call reconnects.
    pub async fn send(&mut self, method: Method, path: &str, body: Option<String>) -> Result<Answer> {
        let result = self.exchange(method, path, body).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(&mut self, method: Method, path: &str, body: Option<String>) -> Result<Answer> {
        let mut sender = match self.sender.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.open().await?,
        };
        sender.ready().await.context("the connection closed")?;
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint.base_path))
            .header(HOST, self.endpoint.host.clone())
            .header(AUTHORIZATION, self.endpoint.authorization.clone())
            .header(ACCEPT, "application/scim+json");
        if body.is_some() {
            request = request.header(CONTENT_TYPE, SCIM_JSON);
        }
        let request = request.body(Full::new(body.map(Bytes::from).unwrap_or_default()))?;
        let response = sender.send_request(request).await?;
        let status = response.status().as_u16();
        let body = response.into_body().collect().await?.to_bytes();
        self.sender = Some(sender);
        Ok(Answer { status, body })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_urls_split_into_address_path_and_token() {
        let endpoint = Endpoint::new("http://127.0.0.1:8080/scim/v2/", "idsync_x").unwrap();
        assert_eq!(endpoint.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert_eq!(endpoint.base_path, "/scim/v2");
        assert_eq!(endpoint.host, "127.0.0.1:8080");
        assert_eq!(endpoint.authorization, "Bearer idsync_x");
    }

    #[test]
    fn only_loopback_http_is_driven() {
        assert!(Endpoint::new("http://192.0.2.1:80/scim/v2", "t").is_err());
        assert!(Endpoint::new("https://127.0.0.1:443/scim/v2", "t").is_err());
        assert!(Endpoint::new("not a url", "t").is_err());
    }
}
