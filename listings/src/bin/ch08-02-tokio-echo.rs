use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use nix::sys::resource::{UsageWho, getrusage};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Barrier;
use tokio::task::JoinSet;

const CLIENTS: usize = 100;
const MESSAGES: usize = 10;

// ANCHOR: shown
/// The same echo, as a task: `.await` where the thread would block.
async fn echo(mut stream: TcpStream) -> Result<()> {
    let mut buf = [0_u8; 1024];
    loop {
        let n = stream.read(&mut buf).await.context("read failed")?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await.context("write failed")?;
    }
}

/// Accepts `count` connections, one new task each, then awaits them.
async fn serve(listener: TcpListener, count: usize) -> Result<()> {
    let mut handlers = JoinSet::new();
    let mut accepted = Ok(());
    for _ in 0..count {
        match listener.accept().await {
            Ok((stream, _)) => {
                handlers.spawn(echo(stream));
            }
            Err(e) => {
                accepted = Err(e).context("accept failed");
                break;
            }
        }
    }
    drop(listener);
    while let Some(ended) = handlers.join_next().await {
        ended.context("a handler panicked")??; // drop aborts the rest
    }
    accepted
}
// ANCHOR_END: shown

/// Connects, checks one echo, waits for the go, then sends `MESSAGES`.
async fn client(port: u16, go: Arc<Barrier>) -> Result<()> {
    let connected = match TcpStream::connect(("127.0.0.1", port)).await {
        Ok(mut stream) => round_trip(&mut stream).await.map(|_| stream),
        Err(e) => Err(e).context("connect failed"),
    };
    go.wait().await; // reached even on an error, so that no one waits
    go.wait().await;
    let mut stream = connected?;
    for _ in 0..MESSAGES {
        round_trip(&mut stream).await?;
    }
    Ok(())
}

async fn round_trip(stream: &mut TcpStream) -> Result<()> {
    let mut reply = [0_u8; 32];
    stream
        .write_all(&[b'x'; 32])
        .await
        .context("write failed")?;
    stream.read_exact(&mut reply).await.context("no echo")?;
    Ok(())
}

// ANCHOR: shown
fn main() -> Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .context("cannot build the runtime")?;
    let listener = runtime
        .block_on(TcpListener::bind("127.0.0.1:0"))
        .context("cannot listen")?;
    let port = listener.local_addr().context("no address")?.port();
    let server = runtime.spawn(serve(listener, CLIENTS));
    let go = Arc::new(Barrier::new(CLIENTS + 1));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| runtime.spawn(client(port, Arc::clone(&go))))
        .collect();
    runtime.block_on(go.wait()); // every client has connected (or failed)
    let seen = observe(); // from this thread, outside the runtime
    let epoll = epoll_watch_count();
    let before = voluntary_switches();
    runtime.block_on(go.wait()); // go: each client sends its messages
    let joined = runtime.block_on(async {
        let mut joined = Ok(());
        for client in clients {
            joined = joined.and(client.await.context("a client panicked")?);
        }
        if joined.is_err() {
            server.abort(); // a client never connected: stop its accept
            let _ = server.await; // cancelled: the client's error tells
            return joined;
        }
        server.await.context("the server panicked")?
    });
    let switches = voluntary_switches()? - before?;
    joined?;
    // ANCHOR_END: shown
    let groups = seen?;
    println!("{}", listings::bench::machine()?);
    println!(
        "{CLIENTS} connections open, {} threads:",
        groups.values().sum::<usize>()
    );
    for ((name, wchan), count) in groups {
        println!("{count:>5} x {name:<16} {wchan}");
    }
    let (fd, watched) = epoll?;
    println!("the epoll instance (fd {fd}) watches {watched} descriptors");
    let messages = CLIENTS * MESSAGES;
    println!(
        "{messages} echoes, then close: {switches} voluntary context \
         switches ({:.2} per echo)",
        switches as f64 / messages as f64
    );
    Ok(())
}

/// This process's threads, grouped by name and by the kernel function
/// each one waits in (wchan, proc(5)).
fn threads_by_wait() -> Result<BTreeMap<(String, String), usize>> {
    let mut groups = BTreeMap::new();
    let me = std::process::id().to_string();
    for entry in std::fs::read_dir("/proc/self/task").context("no /proc")? {
        let dir = entry.context("cannot list /proc/self/task")?.path();
        let read = |file| {
            std::fs::read_to_string(dir.join(file))
                .with_context(|| format!("cannot read {file}"))
        };
        let name = if dir.ends_with(&me) {
            "main".to_owned()
        } else {
            read("comm")?.trim().to_owned()
        };
        let wchan = match read("wchan")?.trim() {
            "0" => "running".to_owned(),
            f => format!("waiting in {f}"),
        };
        *groups.entry((name, wchan)).or_insert(0) += 1;
    }
    Ok(groups)
}

/// Observes once every other thread waits (bounded: 2 s).
fn observe() -> Result<BTreeMap<(String, String), usize>> {
    let start = Instant::now();
    loop {
        let groups = threads_by_wait()?;
        let running = groups.keys().filter(|(_, w)| w == "running").count();
        if running == 1 || start.elapsed() > Duration::from_secs(2) {
            return Ok(groups);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The epoll instance among this process's descriptors, and how many
/// descriptors it watches (its `tfd:` lines in /proc/self/fdinfo).
fn epoll_watch_count() -> Result<(String, usize)> {
    for entry in std::fs::read_dir("/proc/self/fd").context("no /proc")? {
        let path = entry.context("cannot list /proc/self/fd")?.path();
        let Ok(target) = std::fs::read_link(&path) else {
            continue; // the descriptor of read_dir itself, already closed
        };
        if target.as_os_str() == "anon_inode:[eventpoll]" {
            let fd = path.file_name().context("no name")?.to_string_lossy();
            let info =
                std::fs::read_to_string(format!("/proc/self/fdinfo/{fd}"))
                    .context("cannot read fdinfo")?;
            let watched =
                info.lines().filter(|l| l.starts_with("tfd:")).count();
            return Ok((fd.into_owned(), watched));
        }
    }
    anyhow::bail!("no epoll instance in /proc/self/fd")
}

fn voluntary_switches() -> Result<i64> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("getrusage")?;
    Ok(usage.voluntary_context_switches())
}
