//! RS256 signature checks through the runtime's WebCrypto
//! (`crypto.subtle`), as Cloudflare's own examples do: an RSA crate would
//! add tens of kilobytes to the wasm for what workerd already has.

use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use watcher_core::access::keys::Jwk;
use worker::js_sys::{self, Array, Promise, Reflect, Uint8Array, JSON};
use worker::wasm_bindgen_futures::JsFuture;

use crate::error::{AppError, AppResult};

#[wasm_bindgen]
extern "C" {
    /// `crypto.subtle`.
    type SubtleCrypto;

    #[wasm_bindgen(method, catch, js_name = importKey)]
    fn import_key(
        this: &SubtleCrypto,
        format: &str,
        key: &JsValue,
        algorithm: &JsValue,
        extractable: bool,
        usages: &Array,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn verify(
        this: &SubtleCrypto,
        algorithm: &JsValue,
        key: &JsValue,
        signature: &Uint8Array,
        data: &Uint8Array,
    ) -> Result<Promise, JsValue>;
}

const RS256: &str = r#"{"name":"RSASSA-PKCS1-v1_5","hash":"SHA-256"}"#;

/// Whether `signature` is `key`'s RS256 signature of `signed`. A key the
/// runtime cannot import is an error (the team published a broken key);
/// a signature that does not match is `false`.
pub async fn verify_rs256(key: &Jwk, signed: &[u8], signature: &[u8]) -> AppResult<bool> {
    let failed = |what: &str, e: JsValue| {
        AppError::internal(format!("WebCrypto {what} (kid {}): {e:?}", key.kid))
    };
    let subtle = subtle().map_err(|e| failed("is missing", e))?;
    let algorithm = JSON::parse(RS256).map_err(|e| failed("algorithm", e))?;
    let jwk = JSON::parse(&key.to_import_json()).map_err(|e| failed("key", e))?;
    let usages = Array::of1(&JsValue::from_str("verify"));
    let imported = subtle
        .import_key("jwk", &jwk, &algorithm, false, &usages)
        .map_err(|e| failed("importKey", e))?;
    let imported = JsFuture::from(imported)
        .await
        .map_err(|e| failed("importKey", e))?;
    // Copies: the runtime reads them after this call returns.
    let signature = Uint8Array::from(signature);
    let signed = Uint8Array::from(signed);
    let verified = subtle
        .verify(&algorithm, &imported, &signature, &signed)
        .map_err(|e| failed("verify", e))?;
    let verified = JsFuture::from(verified)
        .await
        .map_err(|e| failed("verify", e))?;
    Ok(verified.as_bool() == Some(true))
}

fn subtle() -> Result<SubtleCrypto, JsValue> {
    let crypto = Reflect::get(&js_sys::global(), &JsValue::from_str("crypto"))?;
    let subtle = Reflect::get(&crypto, &JsValue::from_str("subtle"))?;
    if subtle.is_undefined() {
        return Err(JsValue::from_str("crypto.subtle is undefined"));
    }
    Ok(subtle.unchecked_into())
}
