//! Integration tests: the real Worker (workerd via `wrangler dev`, local D1,
//! the Durable Object, cron through `/__scheduled`) and the OpenRouter
//! simulator, driven over HTTP. One binary, one shared `TestApp`.

mod contract;
mod crash;
mod helpers;

mod access;
mod accounts;
mod alert_path;
mod alerts;
mod attribution;
mod audit;
mod audit_reads;
mod browser;
mod channels;
mod demo;
mod digests;
mod email;
mod foundation;
mod hardening;
mod integrations;
mod invitations;
mod keys;
mod listing;
mod organisations;
mod policies;
mod public;
mod queue;
mod scopes;
mod spikes;
mod sync;
mod tokens;
mod web;
