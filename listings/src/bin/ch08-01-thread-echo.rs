use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsFd;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Barrier};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::resource::{UsageWho, getrusage};

const CLIENTS: usize = 100;
const MESSAGES: usize = 10;

// ANCHOR: shown
/// Echoes what it reads until the client closes its end, then returns,
/// which drops (closes) the stream.
fn echo(mut stream: TcpStream) -> Result<()> {
    let mut buf = [0_u8; 1024];
    loop {
        let n = stream.read(&mut buf).context("read failed")?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).context("write failed")?;
    }
}

/// Accepts `count` connections, one new thread each, then joins them.
/// `stop` ends the accepting early: a client that failed to connect.
fn serve(listener: TcpListener, count: usize, stop: &AtomicBool) -> Result<()> {
    let mut handlers = Vec::new();
    let mut accepted = Ok(());
    for i in 0..count {
        let spawned = accept_or_stop(&listener, stop).and_then(|stream| {
            thread::Builder::new()
                .name(format!("conn-{i}"))
                .spawn(move || echo(stream))
                .context("cannot spawn a thread")
        });
        match spawned {
            Ok(handler) => handlers.push(handler),
            Err(e) => {
                accepted = Err(e); // stop accepting, but join what runs
                break;
            }
        }
    }
    drop(listener); // connections still queued are refused
    let mut result = accepted; // the first error, after joining them all
    for handler in handlers {
        let ended = handler.join().map_err(|_| anyhow!("a handler panicked"));
        result = result.and(ended.and_then(|ended| ended));
    }
    result
}
// ANCHOR_END: shown

/// Waits for a connection, or for `stop`, checked every 50 ms: std has no
/// way to wake a thread blocked in accept(2) (Linux's shutdown(2) of the
/// listening socket would, with EINVAL); polling keeps to std.
fn accept_or_stop(
    listener: &TcpListener,
    stop: &AtomicBool,
) -> Result<TcpStream> {
    loop {
        let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
        if poll(&mut fds, PollTimeout::from(50_u8)).context("poll failed")? > 0
        {
            return Ok(listener.accept().context("accept failed")?.0);
        }
        if stop.load(Ordering::Acquire) {
            bail!("stopped accepting: a client did not connect");
        }
    }
}

/// Connects, checks one echo, waits for the go, then sends `MESSAGES`.
fn client(port: u16, go: &Barrier) -> Result<()> {
    let connected = TcpStream::connect(("127.0.0.1", port))
        .context("connect failed")
        .and_then(|mut stream| round_trip(&mut stream).map(|_| stream));
    go.wait(); // reached even on an error, so that no one waits forever
    go.wait();
    let mut stream = connected?;
    for _ in 0..MESSAGES {
        round_trip(&mut stream)?;
    }
    Ok(()) // dropping the stream closes it: the server's read returns 0
}

fn round_trip(stream: &mut TcpStream) -> Result<()> {
    let mut reply = [0_u8; 32];
    stream.write_all(&[b'x'; 32]).context("write failed")?;
    stream.read_exact(&mut reply).context("no echo")
}

/// This process's threads, grouped by name (digits dropped) and by the
/// kernel function each one waits in (wchan, proc(5)).
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
            read("comm")?
                .trim()
                .trim_end_matches(char::is_numeric)
                .into()
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
        thread::sleep(Duration::from_millis(10));
    }
}

fn voluntary_switches() -> Result<i64> {
    let usage = getrusage(UsageWho::RUSAGE_SELF).context("getrusage")?;
    Ok(usage.voluntary_context_switches())
}

// ANCHOR: shown
fn main() -> Result<()> {
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen")?;
    let port = listener.local_addr().context("no address")?.port();
    let stop = Arc::new(AtomicBool::new(false));
    let server = thread::Builder::new()
        .name("acceptor".into())
        .spawn({
            let stop = Arc::clone(&stop);
            move || serve(listener, CLIENTS, &stop)
        })
        .context("cannot spawn the acceptor")?;
    let go = Arc::new(Barrier::new(CLIENTS + 1));
    let clients = (0..CLIENTS)
        .map(|i| {
            let go = Arc::clone(&go);
            thread::Builder::new()
                .name(format!("client-{i}"))
                .spawn(move || client(port, &go))
                .context("cannot spawn a client")
        })
        // On an error, main returns: the process ends, with its threads.
        .collect::<Result<Vec<_>>>()?;
    go.wait(); // every client has connected (or failed)
    stop.store(true, Ordering::Release); // all accepted, or some never will
    let seen = observe();
    let before = voluntary_switches();
    go.wait(); // go: each client sends its messages
    let joined = join_all(clients, server);
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
    let messages = CLIENTS * MESSAGES;
    println!(
        "{messages} echoes, then close: {switches} voluntary context \
         switches ({:.2} per echo)",
        switches as f64 / messages as f64
    );
    Ok(())
}

/// Joins every thread (all of them, even after an error).
fn join_all(
    clients: Vec<JoinHandle<Result<()>>>,
    server: JoinHandle<Result<()>>,
) -> Result<()> {
    let mut result = Ok(());
    for client in clients {
        let ended = client.join().map_err(|_| anyhow!("a client panicked"));
        result = result.and(ended.and_then(|ended| ended));
    }
    let served = server.join().map_err(|_| anyhow!("the server panicked"))?;
    result.and(served)
}
