//! Reads the JS options object of `start()` into the core's typed options.
//!
//! Options cross the boundary once: each own key is read here, turned into an
//! [`OptionValue`] and validated by the core; only functions stay JS values.

use wasm_bindgen::{JsCast, JsValue};

use crate::core::options::{OptionValue, OptionsError, RecorderOptions};

/// Validated options plus the JS callbacks they carry.
pub struct StartOptions {
    pub recorder: RecorderOptions,
    pub emit: Option<js_sys::Function>,
    /// `endpoint` resolved against the page's address.
    pub endpoint: Option<String>,
}

/// Reads `start()`'s argument; `undefined` and `null` mean all defaults.
///
/// # Errors
/// A message naming the bad key and what it allows.
pub fn read_start_options(
    value: &JsValue,
    window: &web_sys::Window,
) -> Result<StartOptions, OptionsError> {
    if value.is_undefined() || value.is_null() {
        return Err(OptionsError::NoDestination);
    }
    if !value.is_object() || js_sys::Array::is_array(value) || value.is_function() {
        return Err(OptionsError::NotAnObject {
            got: kind_of(value),
        });
    }
    let object: &js_sys::Object = value.unchecked_ref();
    let mut emit = None;
    let mut entries = Vec::new();
    for entry in js_sys::Object::entries(object).iter() {
        let pair: js_sys::Array = entry.unchecked_into();
        let key = pair.get(0).as_string().unwrap_or_default();
        let value = pair.get(1);
        // `{ endpoint: config.endpoint }` with nothing configured: an
        // explicit undefined means "not given", as in TypeScript.
        if value.is_undefined() {
            continue;
        }
        if key == "emit" && value.is_function() {
            emit = Some(value.clone().unchecked_into());
        }
        entries.push((key, option_value(&value)));
    }
    let recorder = RecorderOptions::from_entries(entries)?;
    let endpoint = match &recorder.endpoint {
        Some(endpoint) => Some(resolve_endpoint(endpoint, window)?),
        None => None,
    };
    let privacy = &recorder.privacy;
    for (key, selector) in [
        ("maskTextSelector", &privacy.mask_text_selector),
        ("blockSelector", &privacy.block_selector),
        ("ignoreSelector", &privacy.ignore_selector),
    ] {
        if let (Some(selector), Some(document)) = (selector, window.document()) {
            // The browser's parser is the judge: a selector it rejects now
            // would silently match nothing while recording.
            if document.query_selector(selector).is_err() {
                return Err(OptionsError::Invalid {
                    key,
                    reason: ["'", selector, "' is not a valid CSS selector"].concat(),
                });
            }
        }
    }
    Ok(StartOptions {
        recorder,
        emit,
        endpoint,
    })
}

/// The endpoint as an absolute http(s) URL, relative ones resolved against
/// the page, so a chunk stored now can be sent from any later page.
fn resolve_endpoint(endpoint: &str, window: &web_sys::Window) -> Result<String, OptionsError> {
    let invalid = |reason: String| OptionsError::Invalid {
        key: "endpoint",
        reason,
    };
    let base = window.location().href().unwrap_or_default();
    let url = web_sys::Url::new_with_base(endpoint, &base)
        .map_err(|_| invalid(["'", endpoint, "' is not a URL"].concat()))?;
    match url.protocol().as_str() {
        "http:" | "https:" => Ok(url.href()),
        other => Err(invalid(
            [
                "must be an http or https URL, got '",
                endpoint,
                "' (",
                other,
                ")",
            ]
            .concat(),
        )),
    }
}

fn option_value(value: &JsValue) -> OptionValue {
    if let Some(flag) = value.as_bool() {
        OptionValue::Bool(flag)
    } else if let Some(number) = value.as_f64() {
        OptionValue::Number(number)
    } else if let Some(text) = value.as_string() {
        OptionValue::Text(text)
    } else if value.is_function() {
        OptionValue::Function
    } else if let Some(texts) = string_array(value) {
        OptionValue::Texts(texts)
    } else {
        OptionValue::Other(kind_of(value))
    }
}

/// The strings of an array whose items are all strings.
fn string_array(value: &JsValue) -> Option<Vec<String>> {
    if !js_sys::Array::is_array(value) {
        return None;
    }
    let array: &js_sys::Array = value.unchecked_ref();
    // (A loop, not `collect::<Option<_>>()`: less wasm.)
    let mut texts = Vec::new();
    for item in array.iter() {
        texts.push(item.as_string()?);
    }
    Some(texts)
}

/// A short name of a JS value's kind for error messages.
pub fn kind_of(value: &JsValue) -> &'static str {
    if value.is_null() {
        "null"
    } else if value.is_undefined() {
        "undefined"
    } else if js_sys::Array::is_array(value) {
        "array"
    } else if value.is_function() {
        "function"
    } else if value.is_string() {
        "string"
    } else if value.as_bool().is_some() {
        "boolean"
    } else if value.as_f64().is_some() {
        "number"
    } else if value.is_bigint() {
        "bigint"
    } else if value.is_symbol() {
        "symbol"
    } else {
        "object"
    }
}
