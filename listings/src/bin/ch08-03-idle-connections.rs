use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use clap::{Parser, ValueEnum};
use listings::bench::{self, Summary, human};
use nix::sys::resource::{Resource, getrlimit, setrlimit};

/// Many idle connections held open against a thread-per-connection server
/// and a tokio server, each in its own process: memory, setup, round trip.
#[derive(Parser)]
struct Args {
    /// The most connections: runs 100, 1000, ... up to this many.
    #[arg(long, default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(100..=100_000))]
    max: u64,
    /// (internal) Run as the server of this kind.
    #[arg(long, hide = true, value_enum, requires = "conns")]
    serve: Option<Kind>,
    /// (internal) The number of connections the server accepts.
    #[arg(long, hide = true)]
    conns: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Kind {
    Threads,
    Tokio,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Threads => "threads",
            Kind::Tokio => "tokio",
        }
    }
}

/// A listening socket with a long accept queue. std's `bind` asks for
/// 128 entries, and when the queue is full the kernel drops new
/// connections, which retry a second later (listen(2)). Calling listen(2)
/// again on the listening socket sets a new length (inet_listen in
/// Linux); the kernel caps it at net.core.somaxconn.
fn listen() -> Result<TcpListener> {
    use nix::sys::socket::{Backlog, listen};
    let listener = TcpListener::bind("127.0.0.1:0").context("cannot listen")?;
    listen(&listener, Backlog::new(4096).context("bad backlog")?)
        .context("listen failed")?;
    Ok(listener)
}

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

/// Tells the parent the port, through stdout (a pipe): the server is
/// ready, and its memory from now on is what the connections cost.
fn ready(listener: &TcpListener) -> Result<()> {
    let port = listener.local_addr().context("no address")?.port();
    println!("{port}");
    Ok(())
}

/// One thread per connection, default stack size (2 MiB reserved).
fn serve_threads(listener: TcpListener, count: usize) -> Result<()> {
    let mut handlers = Vec::with_capacity(count);
    ready(&listener)?;
    let mut accepted = Ok(());
    for n in 1..=count {
        let spawned = listener.accept().context("accept failed").and_then(
            |(stream, _)| {
                std::thread::Builder::new()
                    .spawn(move || echo(stream))
                    .with_context(|| format!("cannot spawn thread {n}"))
            },
        );
        match spawned {
            Ok(handler) => handlers.push(handler),
            Err(e) => {
                accepted = Err(e);
                break;
            }
        }
    }
    drop(listener);
    let mut result = accepted; // the first error, after joining them all
    for handler in handlers {
        let ended = handler.join().map_err(|_| anyhow!("a handler panicked"));
        result = result.and(ended.and_then(|ended| ended));
    }
    result
}

/// One task per connection, on a runtime with two worker threads.
fn serve_tokio(listener: TcpListener, count: usize) -> Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_io()
        .build()
        .context("cannot build the runtime")?;
    runtime.block_on(async {
        ready(&listener)?; // with the runtime and its workers running
        listener.set_nonblocking(true).context("set_nonblocking")?;
        let listener = tokio::net::TcpListener::from_std(listener)
            .context("cannot register the listener")?;
        let mut handlers = tokio::task::JoinSet::new();
        for _ in 0..count {
            let (mut stream, _) =
                listener.accept().await.context("accept failed")?;
            handlers.spawn(async move {
                let mut buf = [0_u8; 1024];
                loop {
                    let n = stream.read(&mut buf).await?;
                    if n == 0 {
                        return Ok::<_, std::io::Error>(());
                    }
                    stream.write_all(&buf[..n]).await?;
                }
            });
        }
        drop(listener);
        while let Some(ended) = handlers.join_next().await {
            ended
                .context("a handler panicked")?
                .context("echo failed")?;
        }
        Ok(())
    })
}

/// A server process, killed and reaped if it is still there when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        // Its clients are closed by now: give it 2 s to end by itself (and
        // to report its error, if any), then kill it.
        for _ in 0..200 {
            if let Ok(Some(_)) = self.0.try_wait() {
                return; // reaped (or already reaped by a wait)
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// VmRSS in KiB and Threads of a process, from /proc/PID/status (proc(5)).
fn status(pid: u32) -> Result<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .context("cannot read /proc/PID/status (this needs Linux)")?;
    let field = |name: &str| -> Result<u64> {
        let line = text.lines().find(|l| l.starts_with(name));
        let value = line.and_then(|l| l.split_whitespace().nth(1));
        value
            .context("no such field")?
            .parse()
            .context("not a number")
    };
    Ok((field("VmRSS:")?, field("Threads:")?))
}

/// KernelStack in KiB, from /proc/meminfo: all the machine's kernel stacks.
fn kernel_stacks() -> Result<i64> {
    let text = std::fs::read_to_string("/proc/meminfo")
        .context("cannot read /proc/meminfo")?;
    let line = text.lines().find(|l| l.starts_with("KernelStack:"));
    let value = line.and_then(|l| l.split_whitespace().nth(1));
    value
        .context("no KernelStack")?
        .parse()
        .context("not a number")
}

fn round_trip(stream: &mut TcpStream) -> Result<()> {
    let mut reply = [0_u8; 64];
    stream.write_all(&[b'x'; 64]).context("write failed")?;
    stream.read_exact(&mut reply).context("no echo")
}

struct Row {
    kind: &'static str,
    conns: usize,
    threads: u64,
    rss_kib: u64,
    kstack_kib: i64,
    setup: Duration,
    rtt: Summary,
}

// ANCHOR: measure
/// Starts a server process, opens `conns` connections to it, gets one
/// echo on each (setup), then times round trips on one connection among
/// the idle others, and reads the server's memory and threads.
fn measure(kind: Kind, conns: usize) -> Result<Row> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let name = kind.name();
    let child = Command::new(exe)
        .args(["--serve", name, "--conns", &conns.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start a server")?;
    let mut server = Server(child);
    let pid = server.0.id();
    let out = server.0.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .context("no port")?;
    let port: u16 = line.trim().parse().context("the server failed")?;
    let (rss_before, _) = status(pid)?;
    let kstack_before = kernel_stacks()?;

    let start = Instant::now();
    let mut streams = Vec::with_capacity(conns);
    for _ in 0..conns {
        let stream = TcpStream::connect(("127.0.0.1", port))
            .context("connect failed")?;
        streams.push(stream);
    }
    for stream in &mut streams {
        stream.set_nodelay(true).context("set_nodelay")?;
        round_trip(stream)?;
    }
    let setup = start.elapsed();
    let probe = &mut streams[conns / 2];
    let rtt = bench::repeat(50, 500, || bench::time(|| round_trip(probe)))?;

    let (rss_after, threads) = status(pid)?;
    let kstack_after = kernel_stacks()?;
    drop(streams); // every handler sees end-of-file and ends
    let ended = server.0.wait().context("cannot wait for the server")?;
    if !ended.success() {
        bail!("the {name} server failed: {ended}");
    }
    Ok(Row {
        kind: name,
        conns,
        threads,
        rss_kib: rss_after.saturating_sub(rss_before),
        kstack_kib: kstack_after - kstack_before,
        setup,
        rtt,
    })
}
// ANCHOR_END: measure

/// Raises the soft limit on open files to the hard limit (getrlimit(2)),
/// and returns it: each process needs one descriptor per connection.
fn raise_fd_limit() -> Result<u64> {
    let (soft, hard) =
        getrlimit(Resource::RLIMIT_NOFILE).context("getrlimit")?;
    if soft < hard {
        setrlimit(Resource::RLIMIT_NOFILE, hard, hard).context("setrlimit")?;
    }
    Ok(hard)
}

fn main() -> Result<()> {
    let args = listings::cli::parse::<Args>();
    if let (Some(kind), Some(conns)) = (args.serve, args.conns) {
        let served = listen().and_then(|listener| match kind {
            Kind::Threads => serve_threads(listener, conns),
            Kind::Tokio => serve_tokio(listener, conns),
        });
        if let Err(e) = served {
            eprintln!("{} server: {e:#}", kind.name()); // one line
            std::process::exit(1);
        }
        return Ok(());
    }
    println!("{}", bench::machine()?);
    let limit = raise_fd_limit()?;
    println!("open files allowed per process (RLIMIT_NOFILE): {limit}");
    let mut rows = Vec::new();
    let mut conns = 100;
    while conns <= args.max as usize {
        if conns as u64 + 64 > limit {
            println!(
                "{conns} connections: skipped, RLIMIT_NOFILE's hard limit \
                 is {limit}"
            );
        } else {
            for kind in [Kind::Threads, Kind::Tokio] {
                match measure(kind, conns) {
                    Ok(row) => rows.push(row),
                    Err(e) => println!(
                        "{conns} connections, {} server: {e:#}",
                        kind.name()
                    ),
                }
            }
        }
        conns *= 10;
    }
    print_tables(&rows);
    Ok(())
}

fn print_tables(rows: &[Row]) {
    println!(
        "server memory   conns  threads  RSS growth  per conn  kernel stacks"
    );
    for r in rows {
        let per_conn = r.rss_kib as f64 / r.conns as f64;
        let kstack = r.kstack_kib as f64 / r.conns as f64;
        println!(
            "{:<14} {:>6} {:>8} {:>7.1} MiB {:>5.1} KiB {:>5.1} KiB/conn",
            r.kind,
            r.conns,
            r.threads,
            r.rss_kib as f64 / 1024.0,
            per_conn,
            kstack
        );
    }
    println!(
        "server time     conns      setup   round trip median  (min, max)"
    );
    for r in rows {
        println!(
            "{:<14} {:>6} {:>10} {:>20}  ({}, {})",
            r.kind,
            r.conns,
            human(r.setup),
            human(r.rtt.median),
            human(r.rtt.min),
            human(r.rtt.max)
        );
    }
}
