//! Sending one chunk: `POST {endpoint}` with the gzip body, as a plain
//! CORS request with only the headers the ingest contract names.

use std::cell::Cell;
use std::rc::Rc;

use js_sys::Uint8Array;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{AbortController, Headers, RequestCredentials, RequestInit, Response};

use crate::core::delivery::Attempt;

use super::error::WebError;
use super::outbox::OutboxRecord;

/// Browsers refuse keepalive requests whose bodies, together with the other
/// keepalive requests in flight, pass 64 KiB; stay under it with room for
/// headers.
pub const KEEPALIVE_BODY_LIMIT: usize = 60 * 1024;

/// Sends `record` and waits for the answer, at most `timeout_ms`.
/// `keepalive` lets the request outlive the page.
pub async fn send_chunk(record: &OutboxRecord, timeout_ms: f64, keepalive: bool) -> Attempt {
    match PendingRequest::start(record, timeout_ms, keepalive) {
        Ok(request) => request.outcome().await,
        Err(_) => Attempt::NetworkError,
    }
}

/// A `POST` already handed to the browser.
pub struct PendingRequest {
    response: JsFuture,
    timed_out: Rc<Cell<bool>>,
    _timer: super::guard::Timer,
}

impl PendingRequest {
    /// Starts the request now, synchronously: on pagehide the page may be
    /// gone before any later task runs.
    ///
    /// # Errors
    /// No window, or the browser refused to build the request.
    pub fn start(
        record: &OutboxRecord,
        timeout_ms: f64,
        keepalive: bool,
    ) -> Result<Self, WebError> {
        let window = web_sys::window().ok_or_else(|| WebError::Unavailable("no window".into()))?;
        let headers = Headers::new()?;
        headers.set("Content-Type", "application/json")?;
        headers.set("Content-Encoding", "gzip")?;
        if let Some(key) = &record.api_key {
            headers.set("Authorization", &format!("Bearer {key}"))?;
        }
        let init = RequestInit::new();
        init.set_method("POST");
        init.set_headers(&headers);
        init.set_body(&Uint8Array::from(record.body.as_slice()));
        // web-sys has no setter for `keepalive`; set the dictionary member.
        js_sys::Reflect::set(&init, &"keepalive".into(), &keepalive.into())?;
        // No cookies: the ingest endpoint authenticates with the API key.
        init.set_credentials(RequestCredentials::Omit);
        let controller = AbortController::new()?;
        init.set_signal(Some(&controller.signal()));
        let timed_out = Rc::new(Cell::new(false));
        let timer = {
            let timed_out = timed_out.clone();
            super::guard::Timer::once(
                timeout_ms.clamp(1.0, f64::from(u32::MAX)) as u32,
                move || {
                    timed_out.set(true);
                    controller.abort();
                },
            )
        };
        let response = JsFuture::from(window.fetch_with_str_and_init(&record.endpoint, &init));
        Ok(PendingRequest {
            response,
            timed_out,
            _timer: timer,
        })
    }

    /// Waits for the answer.
    pub async fn outcome(self) -> Attempt {
        let response: Response = match self.response.await {
            Ok(response) => response.unchecked_into(),
            Err(_) if self.timed_out.get() => return Attempt::TimedOut,
            Err(_) => return Attempt::NetworkError,
        };
        // Readable cross-origin only when the endpoint lists it in
        // Access-Control-Expose-Headers; without it, backoff applies.
        let retry_after = response.headers().get("Retry-After").ok().flatten();
        Attempt::Answered {
            status: response.status(),
            retry_after,
        }
    }
}
