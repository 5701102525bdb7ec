//! A response body that notices when a gRPC call ends.
//!
//! A unary call that fails answers "trailers-only": `grpc-status` is in the headers.
//! Every other call ends with `grpc-status` in the trailers, after the body — and a
//! server-streaming call may run for hours. So the span and the duration of a call end
//! when its body does: at the trailers, at the end of the stream, or when the body is
//! dropped unfinished (the peer went away: `CANCELLED`).

use std::pin::Pin;
use std::task::{Context, Poll};

use http::HeaderMap;
use http_body::{Body, Frame, SizeHint};
use pin_project_lite::pin_project;

/// `grpc-status` of a call that the peer abandoned.
pub(crate) const CANCELLED: i32 = 1;

use super::CallEnd;

pin_project! {
    /// The body of a gRPC response, calling `on_end` once when the call is over.
    pub struct ObservedBody<B> {
        #[pin]
        inner: B,
        on_end: Option<CallEnd>,
        // `grpc-status` from the headers (trailers-only), if they had one.
        code: Option<i32>,
    }

    impl<B> PinnedDrop for ObservedBody<B> {
        fn drop(this: Pin<&mut Self>) {
            let this = this.project();
            if let Some(on_end) = this.on_end.take() {
                on_end.end(this.code.unwrap_or(CANCELLED));
            }
        }
    }
}

impl<B> ObservedBody<B> {
    pub(crate) fn new(inner: B, headers: &HeaderMap, on_end: CallEnd) -> Self {
        ObservedBody {
            inner,
            on_end: Some(on_end),
            code: grpc_status(headers),
        }
    }
}

/// The `grpc-status` in a header map.
pub(crate) fn grpc_status(headers: &HeaderMap) -> Option<i32> {
    headers
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
}

impl<B: Body> Body for ObservedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let polled = this.inner.poll_frame(cx);
        match &polled {
            Poll::Ready(Some(Ok(frame))) => {
                if let Some(code) = frame.trailers_ref().and_then(grpc_status) {
                    *this.code = Some(code);
                    if let Some(on_end) = this.on_end.take() {
                        on_end.end(code);
                    }
                }
            }
            Poll::Ready(Some(Err(_))) => {
                if let Some(on_end) = this.on_end.take() {
                    on_end.end(this.code.unwrap_or(CANCELLED));
                }
            }
            Poll::Ready(None) => {
                if let Some(on_end) = this.on_end.take() {
                    // A stream that ends without trailers ended without a status:
                    // only trailers-only answers carry it in the headers.
                    on_end.end(this.code.unwrap_or(0));
                }
            }
            Poll::Pending => {}
        }
        polled
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}
