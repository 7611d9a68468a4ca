pub fn run(_args: &[String]) -> crate::tools::Result {
    Err("not yet".into())
}
