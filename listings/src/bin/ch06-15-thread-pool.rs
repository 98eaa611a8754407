use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};

use anyhow::{Context, Result, anyhow};

type Job = Box<dyn FnOnce() + Send + 'static>;

thread_local! {
    /// The number of the worker running on this thread.
    static WORKER: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// A fixed set of threads taking jobs from one channel.
struct Pool {
    jobs: Option<Sender<Job>>,
    workers: Vec<JoinHandle<()>>,
}

impl Pool {
    fn new(size: usize) -> Result<Pool> {
        let (jobs, queue) = mpsc::channel::<Job>();
        // One receiver, shared: a worker holds the lock while it waits in
        // recv for the next job (the other idle workers wait for the lock),
        // and releases it before it runs the job.
        let queue: Arc<Mutex<Receiver<Job>>> = Arc::new(Mutex::new(queue));
        let workers = (0..size)
            .map(|i| {
                let queue = Arc::clone(&queue);
                thread::Builder::new().name(format!("worker {i}")).spawn(
                    move || {
                        WORKER.set(i);
                        loop {
                            // The guard is a temporary of this statement:
                            // unlocked before the job runs.
                            let next = queue.lock().expect("no panic").recv();
                            match next {
                                Ok(job) => job(),
                                Err(_) => return, // channel closed: done
                            }
                        }
                    },
                )
            })
            .collect::<Result<_, _>>()
            .context("cannot spawn a worker")?;
        Ok(Pool {
            jobs: Some(jobs),
            workers,
        })
    }

    fn run(&self, job: impl FnOnce() + Send + 'static) -> Result<()> {
        let jobs = self.jobs.as_ref().context("pool is shut down")?;
        jobs.send(Box::new(job))
            .map_err(|_| anyhow!("all workers gone"))
    }
}

impl Drop for Pool {
    /// Closes the channel, then waits for every worker to finish.
    fn drop(&mut self) {
        drop(self.jobs.take());
        for worker in self.workers.drain(..) {
            let _ = worker.join(); // a panicked job already printed its message
        }
    }
}

fn main() -> Result<()> {
    // The CPUs this thread may use, not the machine's: the calling thread's
    // affinity mask and the cgroup quota count.
    let size = thread::available_parallelism()?.get();
    let pool = Pool::new(size)?;
    let (results, collected) = mpsc::channel();
    for n in 1..=100_u64 {
        let results = results.clone();
        pool.run(move || {
            let _ = results.send((n * n, WORKER.get()));
        })?;
    }
    drop(results); // only the jobs hold senders now
    let mut per_worker = vec![0; size];
    let mut sum = 0;
    for (square, worker) in collected {
        sum += square;
        per_worker[worker] += 1;
    }
    drop(pool); // joins the workers
    println!("pool of {size} workers (available_parallelism)");
    println!("sum of the squares of 1..=100: {sum}");
    println!("jobs run by each worker: {per_worker:?}");
    Ok(())
}
