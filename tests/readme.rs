//! The README's "Use it in your app", taken at its word: its `Cargo.toml` lines and its
//! `main.rs` become a fresh crate outside this workspace (the crates come from their folders
//! through `[patch.crates-io]`, as if from the registry), which is built, started, and logged
//! into through the development provider.

mod common;

use common::Browser;
use reqwest::StatusCode;

const README: &str = include_str!("../README.md");

/// The body of the first fenced block of `lang` in the README's section `heading`.
fn block(heading: &str, lang: &str) -> String {
    let section = README
        .split("\n## ")
        .find(|s| s.starts_with(heading))
        .unwrap_or_else(|| panic!("README has no section {heading:?}"));
    let fence = format!("```{lang}");
    let start = section
        .lines()
        .position(|l| l.starts_with(&fence))
        .unwrap_or_else(|| panic!("section {heading:?} has no {fence} block"));
    section
        .lines()
        .skip(start + 1)
        .take_while(|l| !l.starts_with("```"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The directory the test binaries are built in (`<target>/debug/deps/..`), so that the fresh
/// crate reuses the workspace's compiled dependencies.
fn target_dir() -> std::path::PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors().nth(3).unwrap().to_path_buf()
}

struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fresh_app_from_the_readme_builds_and_logs_in_through_the_development_provider() {
    let manifest = block("Use it in your app", "toml");
    let main = block("Use it in your app", "rust");
    assert!(manifest.contains("axum-oauth-login"), "{manifest}");
    assert!(main.contains("127.0.0.1:8000"), "{main}");

    // Its own port, so that it can run beside the examples' tests.
    let port = common::free_port();
    let main = main.replace("127.0.0.1:8000", &format!("127.0.0.1:{port}"));

    let root = env!("CARGO_MANIFEST_DIR");
    let dir = std::env::temp_dir().join(format!("readme-app-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"fresh-app\"\nversion = \"0.0.0\"\nedition = \"2024\"\npublish = false\n\n\
             {manifest}\n\
             [patch.crates-io]\n\
             axum-oauth-login = {{ path = \"{root}/oauth-runtime\" }}\n\
             axum-oauth-login-macros = {{ path = \"{root}/oauth-macros\" }}\n\n\
             [workspace]\n"
        ),
    )
    .unwrap();
    std::fs::write(dir.join("src/main.rs"), &main).unwrap();
    // The workspace's versions, so that the build reuses what is compiled and needs no network.
    std::fs::copy(format!("{root}/Cargo.lock"), dir.join("Cargo.lock")).unwrap();

    let target = target_dir();
    let status = common::cargo()
        .args(["build", "--offline", "--quiet"])
        .env("CARGO_TARGET_DIR", &target)
        .current_dir(&dir)
        .status()
        .unwrap();
    assert!(status.success(), "the README's app builds");

    let app = Running(
        std::process::Command::new(target.join("debug/fresh-app"))
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..300 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(up, "the README's app listens on {base}");

    let ada = Browser::new();
    let home = ada.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location.as_deref(), Some("/login"));
    // `/login` sends the browser straight to the development provider's page.
    let login = ada.get(&format!("{base}/login")).await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.body);
    let link = login.location.expect("/login redirects to the provider");
    let callback = ada.dev_authorize_link(&link, "ada").await;
    let done = ada.get(&callback).await;
    assert_eq!(done.location.as_deref(), Some("/"), "{}", done.body);
    let home = ada.get(&format!("{base}/")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.starts_with("Logged in as "), "{}", home.body);

    // A stranger with no cookie is still sent to the login page.
    let stranger = Browser::new();
    let home = stranger.get(&format!("{base}/")).await;
    assert_eq!(home.location.as_deref(), Some("/login"));

    drop(app);
    let _ = std::fs::remove_dir_all(&dir);
}
