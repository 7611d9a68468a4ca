//! The per-invocation handle on the runtime: bindings and settings.

use worker::{D1Database, Env, Queue};

use crate::config::{self, Config};
use crate::error::{AppError, AppResult};

pub struct App {
    pub env: Env,
    pub config: Config,
}

impl App {
    pub fn new(env: Env) -> AppResult<Self> {
        let config = Config::from_lookup(|name| env.var(name).ok().map(|v| v.to_string()))?;
        Ok(Self { env, config })
    }

    pub fn db(&self) -> AppResult<D1Database> {
        self.env
            .d1("DB")
            .map_err(|e| AppError::Misconfigured(format!("D1 binding DB is missing ({e})")))
    }

    /// Where the hourly sync's batches go (`jobs::queue`).
    pub fn sync_queue(&self) -> AppResult<Queue> {
        self.env.queue("SYNC_QUEUE").map_err(|e| {
            AppError::Misconfigured(format!("queue binding SYNC_QUEUE is missing ({e})"))
        })
    }

    fn secret(&self, name: &str) -> Option<String> {
        self.env.secret(name).ok().map(|s| s.to_string())
    }

    pub fn jwt_secret(&self) -> AppResult<Vec<u8>> {
        config::jwt_secret(self.secret("JWT_SECRET"))
    }

    pub fn encryption_key(&self) -> AppResult<[u8; 32]> {
        config::encryption_key(self.secret("ENCRYPTION_KEY"))
    }
}
