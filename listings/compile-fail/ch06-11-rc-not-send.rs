use std::rc::Rc;
use std::thread;

fn main() {
    let shared = Rc::new(vec![1, 2, 3]);
    let copy = Rc::clone(&shared); // a second owner: the count is now 2
    // Move one owner into another thread: both threads could then change
    // the (non-atomic) reference count at the same time.
    let handle = thread::spawn(move || copy.len());
    println!("{} {}", shared.len(), handle.join().unwrap());
}
