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
    /// Runs of each server at each size, the two servers alternated.
    #[arg(long, default_value_t = 3,
          value_parser = clap::value_parser!(u64).range(1..=20))]
    runs: u64,
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

/// VmRSS and VmPTE (its page tables) in KiB, and Threads, of a process,
/// from /proc/PID/status (proc(5)).
fn status(pid: u32) -> Result<(u64, u64, u64)> {
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
    Ok((field("VmRSS:")?, field("VmPTE:")?, field("Threads:")?))
}

/// The machine's count of connections refused for want of room in an
/// accept queue (TcpExt ListenOverflows and ListenDrops, /proc/net/netstat).
/// A refused SYN is retried a second later: setup would measure the timer.
fn listen_overflows() -> Result<[u64; 2]> {
    let text = std::fs::read_to_string("/proc/net/netstat")
        .context("cannot read /proc/net/netstat")?;
    let mut tcp = text.lines().filter(|l| l.starts_with("TcpExt:"));
    let (names, values) = tcp.next().zip(tcp.next()).context("no TcpExt")?;
    let mut counts = [0, 0];
    for (name, value) in names.split(' ').zip(values.split(' ')) {
        let slot = match name {
            "ListenOverflows" => 0,
            "ListenDrops" => 1,
            _ => continue,
        };
        counts[slot] = value.parse().context("not a number")?;
    }
    Ok(counts)
}

/// The transparent huge page mode, which decides whether a thread stack
/// may be backed by a huge page (the kernel's "Transparent Hugepage
/// Support"): the word in brackets.
fn thp_mode() -> String {
    let path = "/sys/kernel/mm/transparent_hugepage/enabled";
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mode = text.split('[').nth(1).and_then(|t| t.split(']').next());
    mode.unwrap_or("unknown").to_owned()
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
    kind: Kind,
    conns: usize,
    threads: u64,
    rss_kib: u64,
    pte_kib: u64,
    kstack_kib: i64,
    setup: Duration,
    rtt: Summary,
    load: Load,
    overflows: [u64; 2],
}

/// Many connections active at once: what the server sustains.
struct Load {
    per_second: f64,  // requests answered per second, all clients
    cpu_per_req: f64, // the server's CPU time per request, in seconds
    median: Duration, // one request's round trip, under this load
    p99: Duration,    // the 99th percentile of the same
}

/// Connections kept busy at once in the loaded phase, and for how long.
const ACTIVE: usize = 100;
const LOAD_SPAN: Duration = Duration::from_millis(500);

/// The CPU time a process has used, user and system, in seconds: fields
/// 14 and 15 of /proc/PID/stat, in clock ticks (proc(5)).
fn cpu_time(pid: u32) -> Result<f64> {
    use nix::unistd::{SysconfVar, sysconf};
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .context("cannot read /proc/PID/stat")?;
    let after = stat.rsplit(')').next().context("no ')' in stat")?;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| -> Result<f64> {
        let field = fields.get(i).context("a short stat line")?;
        Ok(field.parse::<u64>().context("not a number")? as f64)
    };
    let hz = sysconf(SysconfVar::CLK_TCK).context("sysconf")?;
    let hz = hz.context("no CLK_TCK")? as f64;
    // After the ')', field 3 (state) comes first: utime is 14, stime 15.
    Ok((ticks(14 - 3)? + ticks(15 - 3)?) / hz)
}

/// Round trips on every one of `streams` at once, one client thread
/// each, for LOAD_SPAN: a load of many active connections.
fn load(streams: &mut [TcpStream], pid: u32) -> Result<Load> {
    let cpu_before = cpu_time(pid)?;
    let start = Instant::now();
    let times = std::thread::scope(|s| {
        let mut clients = Vec::new();
        for stream in streams.iter_mut() {
            let client =
                std::thread::Builder::new().spawn_scoped(s, move || {
                    let mut times = Vec::new();
                    while start.elapsed() < LOAD_SPAN {
                        times.push(bench::time(|| round_trip(stream))?);
                    }
                    Ok::<_, anyhow::Error>(times)
                });
            // A failed spawn ends the loop; the others end with the span.
            clients.push(client.context("cannot spawn a client")?);
        }
        let mut all = Vec::new();
        for client in clients {
            let ended = client.join().map_err(|_| anyhow!("a panic"))?;
            all.extend(ended?);
        }
        Ok::<_, anyhow::Error>(all)
    });
    let (elapsed, cpu) = (start.elapsed(), cpu_time(pid)? - cpu_before);
    let mut times = times?;
    times.sort();
    let requests = times.len().max(1);
    Ok(Load {
        per_second: requests as f64 / elapsed.as_secs_f64(),
        cpu_per_req: cpu / requests as f64,
        median: times.get(requests / 2).copied().unwrap_or_default(),
        p99: times.get(requests * 99 / 100).copied().unwrap_or_default(),
    })
}

/// At most this many connections wait in the server's accept queue at
/// once: fewer than its length (4096, or net.core.somaxconn if lower).
const BATCH: usize = 1000;

/// Starts a server process of this kind; returns it, once it is ready,
/// with its port.
fn start_server(kind: Kind, conns: usize) -> Result<(Server, u16)> {
    let exe = std::env::current_exe().context("cannot find this program")?;
    let child = Command::new(exe)
        .args(["--serve", kind.name(), "--conns", &conns.to_string()])
        .stdout(Stdio::piped())
        .spawn()
        .context("cannot start a server")?;
    let mut server = Server(child);
    let out = server.0.stdout.take().context("no stdout")?;
    let mut line = String::new();
    BufReader::new(out)
        .read_line(&mut line)
        .context("no port")?;
    let port: u16 = line.trim().parse().context("the server failed")?;
    Ok((server, port))
}

// ANCHOR: measure
/// Starts a server process, opens `conns` connections to it, a batch at
/// a time, each with one echo (setup), reads its memory, then times round
/// trips on one connection among the idle others, and loads it.
fn measure(kind: Kind, conns: usize) -> Result<Row> {
    let (mut server, port) = start_server(kind, conns)?;
    let (name, pid) = (kind.name(), server.0.id());
    let (rss_before, pte_before, _) = status(pid)?;
    let kstack_before = kernel_stacks()?;
    let dropped_before = listen_overflows()?;

    let start = Instant::now();
    let mut streams = Vec::with_capacity(conns);
    while streams.len() < conns {
        let first = streams.len();
        for _ in first..conns.min(first + BATCH) {
            let stream = TcpStream::connect(("127.0.0.1", port))
                .context("connect failed")?;
            streams.push(stream);
        }
        for stream in &mut streams[first..] {
            stream.set_nodelay(true).context("set_nodelay")?;
            // A server that stops answering is an error, not a hang.
            let patience = Some(Duration::from_secs(10));
            stream.set_read_timeout(patience).context("timeout")?;
            round_trip(stream)?; // accepted and served: out of the queue
        }
    }
    let setup = start.elapsed();
    let dropped_after = listen_overflows()?;
    // Memory of the idle connections, before the load can add to it.
    let (rss_after, pte_after, threads) = status(pid)?;
    let kstack_after = kernel_stacks()?;
    let probe = &mut streams[conns / 2];
    let rtt = bench::repeat(50, 500, || bench::time(|| round_trip(probe)))?;
    let load = load(&mut streams[..ACTIVE.min(conns)], pid)?;

    drop(streams); // every handler sees end-of-file and ends
    let ended = server.0.wait().context("cannot wait for the server")?;
    if !ended.success() {
        bail!("the {name} server failed: {ended}");
    }
    Ok(Row {
        kind,
        conns,
        threads,
        rss_kib: rss_after.saturating_sub(rss_before),
        pte_kib: pte_after.saturating_sub(pte_before),
        kstack_kib: kstack_after - kstack_before,
        setup,
        rtt,
        load,
        overflows: [0, 1].map(|i| dropped_after[i] - dropped_before[i]),
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
    println!("transparent huge pages: {}", thp_mode());
    let runs = bench::repetitions(args.runs as usize);
    println!(
        "runs of each server per size, alternated: {runs}; connections \
         opened {BATCH} at a time"
    );
    let mut rows = Vec::new();
    let mut conns = 100;
    while conns <= args.max as usize {
        if conns as u64 + 64 > limit {
            println!(
                "{conns} connections: skipped, RLIMIT_NOFILE's hard limit \
                 is {limit}"
            );
        } else {
            for run in 0..runs {
                let mut order = [Kind::Threads, Kind::Tokio];
                if run % 2 == 1 {
                    order.reverse(); // so that neither always goes first
                }
                for kind in order {
                    match measure(kind, conns) {
                        Ok(row) => rows.push(row),
                        Err(e) => println!(
                            "{conns} connections, {} server: {e:#}",
                            kind.name()
                        ),
                    }
                }
            }
        }
        conns *= 10;
    }
    print_tables(&rows);
    let [overflows, drops] = rows
        .iter()
        .fold([0, 0], |[o, d], r| [o + r.overflows[0], d + r.overflows[1]]);
    println!(
        "accept queues during setup: ListenOverflows +{overflows}, \
         ListenDrops +{drops}"
    );
    if overflows + drops > 0 {
        bail!("an accept queue overflowed: setup includes TCP's SYN retry");
    }
    Ok(())
}

/// The median of `values` (the mean of the two middle ones if even).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    (values[(n - 1) / 2] + values[n / 2]) / 2.0
}

/// One line per server and size: medians over the runs.
fn print_tables(rows: &[Row]) {
    let mut groups: Vec<(Kind, usize, Vec<&Row>)> = Vec::new();
    for r in rows {
        match groups.iter_mut().find(|g| g.0 == r.kind && g.1 == r.conns) {
            Some(group) => group.2.push(r),
            None => groups.push((r.kind, r.conns, vec![r])),
        }
    }
    groups.sort_by_key(|g| (g.1, g.0 == Kind::Tokio));
    println!(
        "server memory   conns  threads  RSS growth  per conn  page tables  \
         kernel stacks"
    );
    for (kind, conns, runs) in &groups {
        let per = |f: &dyn Fn(&Row) -> f64| {
            median(runs.iter().map(|r| f(r)).collect()) / *conns as f64
        };
        println!(
            "{:<14} {:>6} {:>8} {:>7.1} MiB {:>5.1} KiB {:>5.1} KiB/conn \
             {:>5.1} KiB/conn",
            kind.name(),
            conns,
            runs[0].threads,
            per(&|r| r.rss_kib as f64) * *conns as f64 / 1024.0,
            per(&|r| r.rss_kib as f64),
            per(&|r| r.pte_kib as f64),
            per(&|r| r.kstack_kib as f64),
        );
    }
    println!(
        "server time     conns  setup median  (min, max)              \
         round trip median  (min, max)"
    );
    for (kind, conns, runs) in &groups {
        let setup = Summary::of(runs.iter().map(|r| r.setup).collect());
        let rtt = Summary::of(runs.iter().map(|r| r.rtt.median).collect());
        let min = runs.iter().map(|r| r.rtt.min).min().unwrap_or_default();
        let max = runs.iter().map(|r| r.rtt.max).max().unwrap_or_default();
        println!(
            "{:<14} {:>6} {:>13}  ({}, {}) {:>14}  ({}, {})",
            kind.name(),
            conns,
            human(setup.median),
            human(setup.min),
            human(setup.max),
            human(rtt.median),
            human(min),
            human(max)
        );
    }
    println!(
        "server load     conns  active  requests/s  CPU per request  \
         round trip median  (99th percentile)"
    );
    for (kind, conns, runs) in &groups {
        let med = |f: &dyn Fn(&Load) -> f64| {
            median(runs.iter().map(|r| f(&r.load)).collect())
        };
        let secs = |f: &dyn Fn(&Load) -> Duration| {
            Duration::from_secs_f64(med(&|l| f(l).as_secs_f64()))
        };
        println!(
            "{:<14} {:>6} {:>7} {:>11.0} {:>16} {:>18}  ({})",
            kind.name(),
            conns,
            ACTIVE.min(*conns),
            med(&|l| l.per_second),
            human(Duration::from_secs_f64(med(&|l| l.cpu_per_req))),
            human(secs(&|l| l.median)),
            human(secs(&|l| l.p99)),
        );
    }
}
