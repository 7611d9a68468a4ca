//! schemathesis in a project-local virtualenv (`target/fuzz-venv`), from the
//! exact pins of `requirements-fuzz.txt`; installed by `cargo xtask setup`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::tools::{self, step, Result};

/// Pins of schemathesis and everything it pulls in.
pub const PIN_FILE: &str = "requirements-fuzz.txt";
/// The virtualenv, relative to the repository root (under `target/`, so
/// `cargo clean` removes it and git ignores it).
pub const VENV: &str = "target/fuzz-venv";
/// Written into the virtualenv once `pip install` succeeded: the pin file's
/// hash, so a changed pin file reinstalls and an unchanged one costs nothing.
const STAMP: &str = ".orw-pins-stamp";
/// The Debian package that provides `python3 -m venv` (ensurepip).
const VENV_PACKAGE: &str = "python3-venv";

/// Creates `target/fuzz-venv` with the pinned schemathesis unless the stamp
/// says it is there; returns the `schemathesis` executable. Installs Debian's
/// `python3-venv` when `python3 -m venv` cannot work without it and we are
/// root; otherwise names the package to install.
pub fn setup() -> Result<PathBuf> {
    let root = tools::root();
    let venv = root.join(VENV);
    let pins = fs::read(root.join(PIN_FILE)).map_err(|e| format!("{PIN_FILE}: {e}"))?;
    let text = String::from_utf8_lossy(&pins);
    let version = pinned_version(&text, "schemathesis")
        .ok_or_else(|| format!("{PIN_FILE} pins no schemathesis==<version>"))?;
    step(&format!("schemathesis {version} (virtualenv {VENV})"));
    let schemathesis = venv.join("bin/schemathesis");
    let stamp = format!("{:x}", tools::fnv1a(&pins));
    let stamp_path = venv.join(STAMP);
    if schemathesis.exists()
        && fs::read_to_string(&stamp_path).ok().as_deref() == Some(stamp.as_str())
    {
        return Ok(schemathesis);
    }
    // From scratch: packages a previous pin file named must not linger.
    if venv.exists() {
        fs::remove_dir_all(&venv).map_err(|e| format!("{}: {e}", venv.display()))?;
    }
    if create_venv(&venv).is_err() {
        let _ = fs::remove_dir_all(&venv);
        install_venv_package()?;
        create_venv(&venv)?;
    }
    tools::run(
        Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
            ])
            .arg(root.join(PIN_FILE)),
    )?;
    let out = Command::new(&schemathesis)
        .arg("--version")
        .output()
        .map_err(|e| format!("{}: {e}", schemathesis.display()))?;
    let reported = String::from_utf8_lossy(&out.stdout);
    if !reported.split_whitespace().any(|w| w == version) {
        return Err(format!(
            "{} --version says {reported:?}, not {version}",
            schemathesis.display()
        ));
    }
    fs::write(&stamp_path, &stamp).map_err(|e| format!("{}: {e}", stamp_path.display()))?;
    Ok(schemathesis)
}

fn create_venv(venv: &Path) -> Result {
    tools::run(Command::new("python3").args(["-m", "venv"]).arg(venv))
}

fn install_venv_package() -> Result {
    let uid = Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    if uid != "0" {
        return Err(format!(
            "`python3 -m venv` failed: install the Debian package `{VENV_PACKAGE}` \
             (sudo apt-get update && sudo apt-get install -y {VENV_PACKAGE})"
        ));
    }
    step(&format!("apt-get install {VENV_PACKAGE}"));
    tools::run(Command::new("apt-get").arg("update"))?;
    tools::run(
        Command::new("apt-get")
            .args(["install", "-y", "--no-install-recommends", VENV_PACKAGE])
            .env("DEBIAN_FRONTEND", "noninteractive"),
    )
}

/// The exact version `name==version` pins in a requirements file.
fn pinned_version<'a>(pins: &'a str, name: &str) -> Option<&'a str> {
    pins.lines()
        .map(|line| line.split('#').next().unwrap_or("").trim())
        .filter_map(|line| line.split_once("=="))
        .find(|(package, _)| package.trim().eq_ignore_ascii_case(name))
        .map(|(_, version)| version.trim())
        .filter(|version| !version.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_pinned_version() {
        let pins = "# comment\nanyio==4.16.0\nSchemathesis == 4.32.5  # the fuzzer\n";
        assert_eq!(pinned_version(pins, "schemathesis"), Some("4.32.5"));
        assert_eq!(pinned_version(pins, "anyio"), Some("4.16.0"));
        assert_eq!(pinned_version(pins, "hypothesis"), None);
        assert_eq!(pinned_version("schemathesis>=4\n", "schemathesis"), None);
    }

    #[test]
    fn the_pin_file_pins_schemathesis_4() {
        let pins = fs::read_to_string(tools::root().join(PIN_FILE)).unwrap();
        let version = pinned_version(&pins, "schemathesis").unwrap();
        assert!(version.starts_with("4."), "{version}");
        for line in pins
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        {
            assert!(line.contains("=="), "not an exact pin: {line}");
        }
    }
}
