//! The original stack, re-measured in the same run: the brief's
//! public API on FastAPI + SQLAlchemy + SQLite under uvicorn (one worker),
//! from `bench/reference/`, in a venv under `target/bench-venv`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::tools::{self, Result};
use watcher_stack::{free_port, Server};

pub struct Reference {
    pub server: Server,
    pub token: String,
    pub versions: String,
}

fn venv_python(venv: &Path) -> PathBuf {
    venv.join("bin/python")
}

/// Creates the venv and installs the pinned requirements, once per change
/// of `requirements.txt`.
fn ensure_venv(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/bench-venv");
    let requirements = root.join("bench/reference/requirements.txt");
    let wanted = fs::read_to_string(&requirements)
        .map_err(|e| format!("{}: {e}", requirements.display()))?;
    let stamp = venv.join(".orw-requirements");
    if fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str())
        && venv_python(&venv).exists()
    {
        return Ok(venv);
    }
    tools::step("Python venv for the reference (target/bench-venv)");
    tools::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    tools::run(
        Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
            .arg(&requirements),
    )?;
    fs::write(&stamp, &wanted).map_err(|e| e.to_string())?;
    Ok(venv)
}

/// Builds the reference database from the bench's TSV and starts uvicorn.
pub fn start(root: &Path, state: &Path, tsv: &Path) -> Result<Reference> {
    let venv = ensure_venv(root)?;
    let app_dir = root.join("bench/reference");
    let db = state.join("reference.db");
    let token = format!("or_api_bench_reference_{}", std::process::id());
    tools::step("reference database (SQLite, same 73,000 rows)");
    tools::run(
        Command::new(venv_python(&venv))
            .arg(app_dir.join("app.py"))
            .arg("load")
            .arg(&db)
            .arg(tsv)
            .arg(&token),
    )?;
    let port = free_port()?;
    tools::step("reference app: uvicorn --workers 1");
    let mut uvicorn = Command::new(venv.join("bin/uvicorn"));
    uvicorn
        .args(["app:app", "--app-dir"])
        .arg(&app_dir)
        .args(["--host", "127.0.0.1", "--port", &port.to_string()])
        .args(["--workers", "1"])
        .env("REF_DB", &db)
        .env("PYTHONDONTWRITEBYTECODE", "1");
    let log = state.join("reference.log");
    let mut server = Server::spawn("reference (uvicorn)", port, uvicorn, Some(&log))?;
    server.wait_ready("/health", Duration::from_secs(60))?;
    let versions = Command::new(venv_python(&venv))
        .args([
            "-c",
            "import sys, fastapi, uvicorn, sqlalchemy, pydantic; \
             print(f'Python {sys.version.split()[0]}, FastAPI {fastapi.__version__}, \
             uvicorn {uvicorn.__version__}, SQLAlchemy {sqlalchemy.__version__}, \
             pydantic {pydantic.VERSION}')",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_default();
    Ok(Reference {
        server,
        token,
        versions,
    })
}
