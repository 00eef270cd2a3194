//! One keep-alive HTTP/1.1 connection speaking DynamoDB's JSON 1.0
//! protocol, with every request SigV4-signed as the AWS SDKs sign it.

use std::time::SystemTime;

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{sign, SignableBody, SignableRequest, SigningSettings};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

/// Where to send requests and how to sign them.
#[derive(Clone)]
pub struct Target {
    /// `host:port` to connect to.
    pub addr: String,
    /// The value of the Host header (and of the signed `host`).
    pub host: String,
    pub uri: String,
    pub region: String,
    pub identity: Identity,
}

impl Target {
    pub fn new(endpoint: &str, region: &str, access_key: &str, secret_key: &str) -> Result<Target, String> {
        let rest = endpoint
            .strip_prefix("http://")
            .ok_or_else(|| format!("endpoint {endpoint:?}: only plain http:// endpoints are supported"))?;
        let host = rest.split('/').next().unwrap_or_default().to_string();
        if host.is_empty() {
            return Err(format!("endpoint {endpoint:?} has no host"));
        }
        let addr = if host.contains(':') {
            host.clone()
        } else {
            format!("{host}:80")
        };
        let identity: Identity = Credentials::new(access_key, secret_key, None, None, "halyard-bench").into();
        Ok(Target {
            addr,
            host: host.clone(),
            uri: format!("http://{host}/"),
            region: region.to_string(),
            identity,
        })
    }
}

/// A response: HTTP status and body.
pub struct Response {
    pub status: u16,
    pub body: Bytes,
}

impl Response {
    pub fn ok(&self) -> bool {
        self.status == 200
    }

    /// DynamoDB's error type (the part of `__type` after `#`), or a
    /// description of the HTTP status.
    pub fn error_type(&self) -> String {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        let kind = parsed
            .as_ref()
            .and_then(|v| v.get("__type"))
            .and_then(|t| t.as_str())
            .map(|t| t.rsplit('#').next().unwrap_or(t).to_string());
        match kind {
            Some(kind) => kind,
            None => format!("HTTP {}", self.status),
        }
    }

    pub fn error_message(&self) -> String {
        let parsed: Option<serde_json::Value> = serde_json::from_slice(&self.body).ok();
        let message = parsed.as_ref().and_then(|v| {
            v.get("message")
                .or_else(|| v.get("Message"))
                .and_then(|m| m.as_str())
                .map(str::to_string)
        });
        message.unwrap_or_else(|| String::from_utf8_lossy(&self.body[..self.body.len().min(300)]).into_owned())
    }
}

/// A signed request, kept to be sent as it is.
pub struct Presigned {
    headers: http::HeaderMap,
    body: Bytes,
}

/// One connection; reconnects after a transport error.
pub struct Connection {
    target: Target,
    sender: Option<SendRequest<Full<Bytes>>>,
    /// Connections opened after the first one.
    pub reconnects: u64,
}

impl Connection {
    pub async fn open(target: Target) -> Result<Connection, String> {
        let mut connection = Connection {
            target,
            sender: None,
            reconnects: 0,
        };
        connection.connect().await?;
        Ok(connection)
    }

    async fn connect(&mut self) -> Result<(), String> {
        let stream = TcpStream::connect(&self.target.addr)
            .await
            .map_err(|e| format!("connect to {}: {e}", self.target.addr))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        let (sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake with {}: {e}", self.target.addr))?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        self.sender = Some(sender);
        Ok(())
    }

    /// Builds, signs and sends one request for `operation` (e.g. "PutItem")
    /// and reads the whole response.
    pub async fn call(&mut self, operation: &str, body: Bytes) -> Result<Response, String> {
        let request = self.signed_request(operation, body)?;
        self.send(request).await
    }

    /// Signs a request for `operation` now, to be sent later, as often as
    /// wanted, with [`Connection::replay`] (the signature stays valid for 15
    /// minutes: a server accepts a replayed signed request, as DynamoDB does).
    pub fn presign(&self, operation: &str, body: Bytes) -> Result<Presigned, String> {
        let (parts, _) = self.signed_request(operation, body.clone())?.into_parts();
        Ok(Presigned {
            headers: parts.headers,
            body,
        })
    }

    /// Sends a request signed by [`Connection::presign`]: no signing, no
    /// JSON, a copy of its headers.
    pub async fn replay(&mut self, presigned: &Presigned) -> Result<Response, String> {
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.target.uri)
            .body(Full::new(presigned.body.clone()))
            .map_err(|e| e.to_string())?;
        *request.headers_mut() = presigned.headers.clone();
        self.send(request).await
    }

    async fn send(&mut self, request: http::Request<Full<Bytes>>) -> Result<Response, String> {
        // A connection the server has closed (no keep-alive, idle timeout)
        // is replaced; the request has not been sent yet, so this is safe.
        let mut attempts = 0;
        loop {
            if self.sender.as_ref().is_none_or(|s| s.is_closed()) {
                self.connect().await?;
                self.reconnects += 1;
            }
            let sender = self.sender.as_mut().expect("connected");
            match sender.ready().await {
                Ok(()) => break,
                Err(e) => {
                    self.sender = None;
                    attempts += 1;
                    if attempts >= 3 {
                        return Err(format!("connection lost: {e}"));
                    }
                }
            }
        }
        let sender = self.sender.as_mut().expect("connected");
        let result = async {
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| format!("request failed: {e}"))?;
            let status = response.status().as_u16();
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| format!("reading response body: {e}"))?
                .to_bytes();
            Ok(Response { status, body })
        }
        .await;
        if result.is_err() {
            self.sender = None;
        }
        result
    }

    fn signed_request(&self, operation: &str, body: Bytes) -> Result<http::Request<Full<Bytes>>, String> {
        let target_header = format!("DynamoDB_20120810.{operation}");
        let mut request = http::Request::builder()
            .method("POST")
            .uri(&self.target.uri)
            .header("host", &self.target.host)
            .header("content-type", "application/x-amz-json-1.0")
            .header("x-amz-target", &target_header)
            .header("content-length", body.len().to_string())
            .body(Full::new(body.clone()))
            .map_err(|e| e.to_string())?;
        // Signed per request, with the current time, exactly as an SDK does.
        let params = v4::SigningParams::builder()
            .identity(&self.target.identity)
            .region(&self.target.region)
            .name("dynamodb")
            .time(SystemTime::now())
            .settings(SigningSettings::default())
            .build()
            .map_err(|e| format!("signing parameters: {e}"))?
            .into();
        let headers = request
            .headers()
            .iter()
            .map(|(name, value)| (name.as_str(), value.to_str().unwrap_or_default()));
        let signable = SignableRequest::new("POST", self.target.uri.as_str(), headers, SignableBody::Bytes(&body))
            .map_err(|e| format!("signing: {e}"))?;
        let (instructions, _signature) = sign(signable, &params)
            .map_err(|e| format!("signing: {e}"))?
            .into_parts();
        instructions.apply_to_request_http1x(&mut request);
        Ok(request)
    }
}
