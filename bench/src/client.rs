//! One keep-alive HTTP/1.1 connection per client, on hyper's connection API: no pool, no
//! redirects, nothing between the driver and the socket but hyper's HTTP/1.1 codec. A
//! connection that breaks is opened again for the next request. It speaks SCIM under
//! the Tenant URL with the bearer token (`send`), or as a browser speaks to the admin
//! console on the same listener: a cookie, HTML, forms (`browse`).

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE, HOST, HeaderMap, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// SCIM's media type, as Entra sends it.
const SCIM_JSON: &str = "application/scim+json; charset=utf-8";
/// What a browser's form sends.
const FORM: &str = "application/x-www-form-urlencoded";

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

/// A server's answer: its status, its headers and its whole body.
#[derive(Debug)]
pub struct Answer {
    /// HTTP status code.
    pub status: u16,
    /// The headers (the console's `Set-Cookie` and `Location`).
    pub headers: HeaderMap,
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
        let mut request = Request::builder()
            .method(method)
            .uri(format!("{}{path}", self.endpoint.base_path))
            .header(AUTHORIZATION, self.endpoint.authorization.clone())
            .header(ACCEPT, "application/scim+json");
        if body.is_some() {
            request = request.header(CONTENT_TYPE, SCIM_JSON);
        }
        let request = request.body(Full::new(body.map(Bytes::from).unwrap_or_default()))?;
        self.round_trip(request).await
    }

    /// Sends `method` to `path` from the server's root (not the Tenant URL's) as a
    /// browser would: no bearer token, `cookie` (`name=value`) when given, `form` as a
    /// form-encoded body. Redirects are answers like any other, never followed.
    pub async fn browse(
        &mut self,
        method: Method,
        path: &str,
        cookie: Option<&str>,
        form: Option<String>,
    ) -> Result<Answer> {
        let mut request = Request::builder().method(method).uri(path).header(ACCEPT, "text/html");
        if let Some(cookie) = cookie {
            request = request.header(COOKIE, cookie);
        }
        if form.is_some() {
            request = request.header(CONTENT_TYPE, FORM);
        }
        let request = request.body(Full::new(form.map(Bytes::from).unwrap_or_default()))?;
        self.round_trip(request).await
    }

    /// Sends `request` (given its `Host` here) and reads the whole answer. A transport
    /// error drops the connection; the next call reconnects.
    async fn round_trip(&mut self, mut request: Request<Full<Bytes>>) -> Result<Answer> {
        request.headers_mut().insert(HOST, self.endpoint.host.clone());
        let result = self.exchange(request).await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    async fn exchange(&mut self, request: Request<Full<Bytes>>) -> Result<Answer> {
        let mut sender = match self.sender.take() {
            Some(sender) if !sender.is_closed() => sender,
            _ => self.open().await?,
        };
        sender.ready().await.context("the connection closed")?;
        let response = sender.send_request(request).await?;
        let (parts, body) = response.into_parts();
        let body = body.collect().await?.to_bytes();
        self.sender = Some(sender);
        Ok(Answer {
            status: parts.status.as_u16(),
            headers: parts.headers,
            body,
        })
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
