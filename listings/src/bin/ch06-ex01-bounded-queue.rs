use std::collections::VecDeque;
use std::sync::{Condvar, Mutex, OnceLock};
use std::thread;

use anyhow::{Result, ensure};

/// A blocking queue that holds at most `capacity` items.
struct Bounded<T> {
    items: Mutex<VecDeque<T>>,
    capacity: usize,
    not_empty: Condvar, // consumers wait here
    not_full: Condvar,  // producers wait here
}

impl<T> Bounded<T> {
    fn new(capacity: usize) -> Self {
        Bounded {
            items: Mutex::new(VecDeque::with_capacity(capacity)),
            capacity,
            not_empty: Condvar::new(),
            not_full: Condvar::new(),
        }
    }

    /// Blocks while the queue is full. Returns the length it left.
    fn push(&self, item: T) -> usize {
        let items = self.items.lock().expect("no panic holding it");
        let mut items = self
            .not_full
            .wait_while(items, |q| q.len() == self.capacity)
            .expect("no panic holding it");
        items.push_back(item);
        let len = items.len();
        drop(items);
        self.not_empty.notify_one();
        len
    }

    /// Blocks while the queue is empty.
    fn pop(&self) -> T {
        let items = self.items.lock().expect("no panic holding it");
        let mut items = self
            .not_empty
            .wait_while(items, |q| q.is_empty())
            .expect("no panic holding it");
        let item = items.pop_front().expect("not empty: we waited for it");
        drop(items);
        self.not_full.notify_one();
        item
    }
}

const PRODUCERS: u64 = 3;
const CONSUMERS: u64 = 3;
const EACH: u64 = 10_000; // items per producer

fn main() -> Result<()> {
    let queue = Bounded::new(4);
    // Set once every thread exists: had a spawn failed, a producer would
    // wait forever on a full queue, or a consumer for its None.
    let go = OnceLock::<bool>::new();
    let (longest, mut taken) = thread::scope(|s| {
        let failed = |e| {
            let _ = go.set(false); // the threads already started return
            anyhow::Error::new(e).context("cannot start a thread")
        };
        let mut producers = Vec::new();
        for p in 0..PRODUCERS {
            let (queue, go) = (&queue, &go);
            let producer = thread::Builder::new().spawn_scoped(s, move || {
                if !*go.wait() {
                    return 0;
                }
                let items = (0..EACH).map(|i| Some(p * EACH + i));
                items.map(|item| queue.push(item)).max().unwrap_or(0)
            });
            producers.push(producer.map_err(failed)?);
        }
        let mut consumers = Vec::new();
        for _ in 0..CONSUMERS {
            let consumer = thread::Builder::new().spawn_scoped(s, || {
                let mut got = Vec::new();
                while *go.wait()
                    && let Some(item) = queue.pop()
                {
                    got.push(item); // None: the producers are done
                }
                got
            });
            consumers.push(consumer.map_err(failed)?);
        }
        let _ = go.set(true);
        let mut longest = 0;
        for p in producers {
            longest = longest.max(p.join().unwrap_or(usize::MAX));
        }
        // One end-of-stream marker per consumer, sent only after all data.
        (0..CONSUMERS).for_each(|_| _ = queue.push(None));
        let taken: Vec<u64> = consumers
            .into_iter()
            .flat_map(|c| c.join().unwrap_or_default())
            .collect();
        anyhow::Ok((longest, taken))
    })?;
    taken.sort_unstable();
    let expected: Vec<u64> = (0..PRODUCERS * EACH).collect();
    ensure!(longest <= 4, "the queue held {longest} items");
    ensure!(taken == expected, "items lost or duplicated");
    println!("{PRODUCERS} producers, {CONSUMERS} consumers, capacity 4");
    println!("items taken: {}, each exactly once", taken.len());
    println!("longest the queue ever was: {longest}");
    Ok(())
}
