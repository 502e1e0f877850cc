//! The easypay gateway: KICC EasyPay's API, hosted pages, storage and simulated processors.

pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod notify;
pub mod observe;
pub mod openapi;
pub mod pages;
pub mod processor;
pub mod sandbox;
pub mod service;
pub mod store;
pub mod vault;
