//! The panic hook. Nothing should panic (see the crate's lint denials), but
//! if something does, the runtime resets the wasm instance; before it does,
//! this writes one structured line an operator can search and alert on:
//! `{"event":"panic","message":…,"location":"src/…:line:column"}`.

use std::panic::PanicHookInfo;

use serde_json::json;

/// Installs the hook (once per instance, from the start event).
pub fn install() {
    std::panic::set_hook(Box::new(|info| worker::console_error!("{}", line(info))));
}

fn line(info: &PanicHookInfo<'_>) -> String {
    let message = info
        .payload()
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| info.payload().downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned());
    let location = info
        .location()
        .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
    json!({ "event": "panic", "message": message, "location": location }).to_string()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn a_panic_is_one_json_line_with_its_message_and_location() {
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let sink = Arc::clone(&seen);
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| sink.lock().unwrap().push(line(info))));
        let result = std::panic::catch_unwind(|| {
            let n: u8 = "300".parse().unwrap_or(u8::MAX);
            panic!("budget {n} overflowed");
        });
        std::panic::set_hook(previous);
        assert!(result.is_err());
        // (Another test of the process may panic while the hook is ours.)
        let lines = seen.lock().unwrap().clone();
        let ours: Vec<&String> = lines.iter().filter(|l| l.contains("255")).collect();
        assert_eq!(ours.len(), 1, "{lines:?}");
        assert!(!ours[0].contains('\n'));
        let parsed: serde_json::Value = serde_json::from_str(ours[0]).unwrap();
        assert_eq!(parsed["event"], "panic");
        assert_eq!(parsed["message"], "budget 255 overflowed");
        assert!(parsed["location"]
            .as_str()
            .unwrap()
            .starts_with("src/panic.rs:"));
    }
}
