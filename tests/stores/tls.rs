//! TLS to the session stores: a private `redis-server` that only speaks TLS (`--port 0
//! --tls-port`) behind `rediss://`, and a private PostgreSQL cluster that refuses connections
//! without TLS (`hostnossl ... reject`) behind `sslmode=require` and `sslmode=verify-full`. The
//! test makes its own certificate authority and server certificate (openssl CLI) for 127.0.0.1.
//!
//! Each test opens the store, logs in on one instance and has the session accepted by a second
//! instance with a store of its own (its own connections), so the session went through the
//! server and back over TLS.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::sql_faults::{Cluster, TempDir, run};
use super::*;

/// A certificate authority and a server certificate it signed, for `127.0.0.1` and `localhost`.
struct Certificates {
    dir: TempDir,
}

impl Certificates {
    async fn new() -> Self {
        let dir = TempDir::new("tls-certs");
        let openssl = |args: &[&str]| {
            let mut command = Command::new("openssl");
            command.args(args).current_dir(&dir.0).stdin(Stdio::null());
            command
        };
        let p256 = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"];
        run(openssl(
            &[
                &["req", "-x509", "-nodes", "-days", "2"][..],
                &p256,
                &[
                    "-keyout",
                    "ca.key",
                    "-out",
                    "ca.pem",
                    "-subj",
                    "/CN=oauth test CA",
                ],
                &["-addext", "basicConstraints=critical,CA:TRUE"],
                &["-addext", "keyUsage=critical,keyCertSign,cRLSign"],
            ]
            .concat(),
        ))
        .await;
        run(openssl(
            &[
                &["req", "-nodes"][..],
                &p256,
                &[
                    "-keyout",
                    "server.key",
                    "-out",
                    "server.csr",
                    "-subj",
                    "/CN=127.0.0.1",
                ],
            ]
            .concat(),
        ))
        .await;
        std::fs::write(
            dir.0.join("server.ext"),
            "basicConstraints=critical,CA:FALSE\n\
             keyUsage=critical,digitalSignature\n\
             extendedKeyUsage=serverAuth\n\
             subjectAltName=IP:127.0.0.1,DNS:localhost\n",
        )
        .expect("the extensions file");
        run(openssl(&[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.pem",
        ]))
        .await;
        Self { dir }
    }

    fn ca(&self) -> PathBuf {
        self.dir.0.join("ca.pem")
    }

    fn cert(&self) -> PathBuf {
        self.dir.0.join("server.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.0.join("server.key")
    }
}

/// Logs ada in on one instance of `url`'s store, then has a second instance, with a store of its
/// own opened from the same URL, accept her session.
async fn session_persists_through(url: &str, what: &str) {
    let store = open(url, what).await;
    let a = instance(&store, key()).await;
    let cookie = log_in_ada(&a).await;
    let on_a = get_with_cookie(&format!("{}/private", a.base), &cookie).await;
    assert_eq!(on_a.status(), StatusCode::OK, "{what}: logged in on A");
    let on_a = on_a.text().await.unwrap();
    assert!(on_a.starts_with("private for "), "{on_a}");
    let other = open(url, what).await;
    let b = instance(&other, key()).await;
    let on_b = get_with_cookie(&format!("{}/private", b.base), &cookie).await;
    assert_eq!(on_b.status(), StatusCode::OK, "{what}: B reads A's session");
    assert_eq!(
        on_b.text().await.unwrap(),
        on_a,
        "{what}: the same user on B"
    );
}

// --- Redis -----------------------------------------------------------------------------------

/// A `redis-server` that only listens for TLS; killed on drop.
struct TlsRedis {
    port: u16,
    child: Child,
}

impl TlsRedis {
    async fn start(certs: &Certificates, dir: &Path) -> Self {
        let port = common::free_port();
        let path = |p: PathBuf| p.display().to_string();
        let child = Command::new("redis-server")
            .args(["--port", "0", "--tls-port", &port.to_string()])
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .args(["--tls-cert-file", &path(certs.cert())])
            .args(["--tls-key-file", &path(certs.key())])
            .args(["--tls-ca-cert-file", &path(certs.ca())])
            .args(["--tls-auth-clients", "no"])
            .args(["--dir", &path(dir.to_owned())])
            .args(["--logfile", &path(dir.join("redis.log"))])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server on PATH (Debian: apt-get install redis-server)");
        let server = Self { port, child };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            let log = std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default();
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server --tls-port {port} did not listen within 10 s:\n{log}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        server
    }
}

impl Drop for TlsRedis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `rediss://` with the CA trusted through `SSL_CERT_FILE`. Panicked at start-up while ring and
/// aws-lc-rs were both in the tree ("Could not automatically determine the process-level
/// CryptoProvider").
#[test]
fn rediss_keeps_sessions() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let certs = runtime.block_on(Certificates::new());
    // SAFETY: no other thread runs yet in this process (nextest runs each test in its own, and the
    // runtime above is single-threaded and idle); the system's roots are what `rediss://` trusts.
    unsafe { std::env::set_var("SSL_CERT_FILE", certs.ca()) };
    runtime.block_on(async {
        let dir = TempDir::new("redis-tls");
        let redis = TlsRedis::start(&certs, &dir.0).await;
        let url = format!("rediss://127.0.0.1:{}", redis.port);
        session_persists_through(&url, "Redis over TLS").await;
        // Without the cache, every request reads the session over TLS.
        session_persists_through(&format!("{url}?cache=off"), "Redis over TLS, no cache").await;
    });
}

// --- PostgreSQL ------------------------------------------------------------------------------

/// A private cluster with `ssl=on` that refuses TCP connections without TLS.
async fn tls_cluster(certs: &Certificates) -> Cluster {
    let mut cluster = Cluster::initialized("pg-tls").await;
    // PostgreSQL reads the key only if its owner (postgres) alone may.
    let key = cluster.dir.0.join("server.key");
    std::fs::copy(certs.key(), &key).expect("the key");
    let mut chown = Command::new("chown");
    chown.arg("postgres:postgres").arg(&key);
    run(chown).await;
    let mut chmod = Command::new("chmod");
    chmod.arg("600").arg(&key);
    run(chmod).await;
    std::fs::write(
        cluster.data().join("pg_hba.conf"),
        "local all all trust\n\
         hostssl all all 127.0.0.1/32 trust\n\
         hostnossl all all 127.0.0.1/32 reject\n",
    )
    .expect("pg_hba.conf");
    cluster.settings = vec![
        "ssl=on".into(),
        format!("ssl_cert_file={}", certs.cert().display()),
        format!("ssl_key_file={}", key.display()),
    ];
    cluster.started().await
}

/// `sslmode=require` (encrypted, the certificate not checked) and `sslmode=verify-full` with the
/// test's CA as `sslrootcert`. Both failed while sqlx was built without TLS ("TLS upgrade required
/// by connect options but SQLx was built without TLS support enabled").
#[tokio::test]
async fn postgres_over_tls_keeps_sessions() {
    let certs = Certificates::new().await;
    let cluster = tls_cluster(&certs).await;
    let base = format!("postgres://postgres@127.0.0.1:{}/postgres", cluster.port);

    session_persists_through(&format!("{base}?sslmode=require"), "PostgreSQL, require").await;
    let ca = certs.ca().display().to_string();
    session_persists_through(
        &format!("{base}?sslmode=verify-full&sslrootcert={ca}"),
        "PostgreSQL, verify-full",
    )
    .await;

    // verify-full does check: the test's CA is not one of the built-in roots.
    let untrusted = AnyStore::from_url(&format!("{base}?sslmode=verify-full")).await;
    assert!(
        untrusted.is_err(),
        "verify-full without sslrootcert trusted a certificate of an unknown CA"
    );
    // And the server refuses plain connections, so the sessions above went over TLS.
    let plain = AnyStore::from_url(&format!("{base}?sslmode=disable")).await;
    assert!(
        plain.is_err(),
        "the cluster accepted a connection without TLS"
    );
}
