use std::future::{pending, ready};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::sync::oneshot;
use tokio::time::{sleep, timeout};

struct Accounts {
    from: u64,
    to: u64,
}

/// Says when it is dropped: a cancelled future drops its locals.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        println!("  (the transfer's Guard was dropped)");
    }
}

// ANCHOR: shown
/// Debits, waits for a confirmation, then credits: two steps, one await.
async fn transfer(acc: &mut Accounts, confirmed: impl Future<Output = ()>) {
    let _guard = Guard;
    acc.from -= 10;
    confirmed.await; // if the future is dropped here, no credit follows
    acc.to += 10;
}
// ANCHOR_END: shown

fn show(what: &str, acc: &Accounts) {
    let (from, to) = (acc.from, acc.to);
    println!("{what:<32} from {from:>3}, to {to:>2}, total {}", from + to);
}

// ANCHOR: shown
#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<()> {
    let mut acc = Accounts { from: 100, to: 0 };
    show("at first:", &acc);
    transfer(&mut acc, ready(())).await;
    show("a completed transfer:", &acc);

    let limit = Duration::from_millis(50);
    let result = timeout(limit, transfer(&mut acc, pending())).await;
    show(&format!("timeout: {result:?}:"), &acc);

    tokio::select! {
        () = transfer(&mut acc, pending()) => bail!("cannot complete"),
        () = sleep(limit) => show("select!: the sleep won:", &acc),
    }

    let never_polled = transfer(&mut acc, ready(()));
    drop(never_polled); // a future does nothing until it is polled
    show("a future dropped unpolled:", &acc);

    // A spawned task is not a future you own: dropping its handle
    // detaches it, and it runs on; abort() cancels it at an await.
    let (done_tx, done_rx) = oneshot::channel();
    drop(tokio::spawn(async move { done_tx.send("ran to the end") }));
    let detached = done_rx.await.context("the task was cancelled")?;
    println!("a task whose JoinHandle was dropped {detached}");
    let (started_tx, started_rx) = oneshot::channel();
    let task = tokio::spawn(async move {
        let _ = started_tx.send(()); // it has run up to here
        sleep(Duration::from_secs(3600)).await;
    });
    started_rx.await.context("the task never started")?;
    task.abort(); // it waits in its sleep, and is cancelled there
    let aborted = task.await.expect_err("an aborted task cannot finish");
    println!("an aborted task: cancelled = {}", aborted.is_cancelled());
    Ok(())
}
// ANCHOR_END: shown
