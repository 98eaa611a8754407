use std::sync::mpsc;
use std::thread;

use anyhow::{Result, anyhow};

fn main() -> Result<()> {
    let (numbers_in, numbers_out) = mpsc::channel::<u64>();
    let (squares_in, squares_out) = mpsc::channel::<u64>();

    // Stage 1 produces, stage 2 squares, main sums: each stage ends when its
    // input closes.
    let producer = thread::spawn(move || {
        for n in 1..=10 {
            let _ = numbers_in.send(n);
        }
    });
    let squarer = thread::spawn(move || {
        for n in numbers_out {
            let _ = squares_in.send(n * n);
        }
    });
    let total: u64 = squares_out.iter().sum();
    producer.join().map_err(|_| anyhow!("producer panicked"))?;
    squarer.join().map_err(|_| anyhow!("squarer panicked"))?;
    println!("sum of the squares of 1..=10: {total}");
    Ok(())
}
