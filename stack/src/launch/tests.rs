use super::*;

fn shown(args: Vec<OsString>) -> String {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    args.join(" ")
}

#[test]
fn the_product_gets_the_simulator_then_the_callers_vars() {
    let builder = Stack::builder()
        .persist_dir("/s")
        .vars(&["A:1", "B:x:y"])
        .var("C", "2");
    assert_eq!(
        shown(builder.dev_args(1000, Some(1001), Some("http://127.0.0.1:9"))),
        "dev --local --test-scheduled --ip 127.0.0.1 --port 1000 --inspector-port 1001 \
         --persist-to /s --var OPENROUTER_BASE_URL:http://127.0.0.1:9/api/v1 --var A:1 \
         --var B:x:y --var C:2 --show-interactive-dev-session=false"
    );
}

#[test]
fn another_worker_has_its_config_and_no_cron_route_nor_simulator() {
    let builder = Stack::other_worker(Path::new("/f.toml"), "/noop").persist_dir("/s");
    assert!(!builder.migrate);
    assert_eq!(builder.health.0, "/noop");
    assert_eq!(
        shown(builder.dev_args(1000, Some(1001), None)),
        "dev -c /f.toml --local --ip 127.0.0.1 --port 1000 --inspector-port 1001 \
         --persist-to /s --show-interactive-dev-session=false"
    );
}

#[test]
fn each_worker_has_a_dev_registry_of_its_own_beside_its_state() {
    let (a, b) = (
        Stack::builder().persist_dir("/s1"),
        Stack::other_worker(Path::new("/f.toml"), "/noop").persist_dir("/s2"),
    );
    assert_eq!(
        a.dev_registry(),
        ("WRANGLER_REGISTRY_PATH", PathBuf::from("/s1/dev-registry"))
    );
    assert_eq!(b.dev_registry().1, PathBuf::from("/s2/dev-registry"));
}

#[test]
fn only_what_the_log_gained_says_whether_a_port_was_taken() {
    let dir = std::env::temp_dir().join(format!("stack-taken-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("w.log");
    std::fs::write(&log, format!("{PORT_TAKEN}\n")).unwrap();
    let builder = Stack::builder().log(&log);
    let from = builder.log_len();
    assert!(builder.port_taken(0) && !builder.port_taken(from));
    builder
        .show("listen EADDRINUSE: Address already in use\n")
        .unwrap();
    assert!(builder.port_taken(from));
    let _ = std::fs::remove_dir_all(&dir);
}
