// std channel code, included by `tests/std_compat.rs` twice: once where `mpsc` is
// `dualq::channel`, once where it is `std::sync::mpsc`. Everything is named through `mpsc::`, as
// std code does, so this file must compile and pass against both.

use std::collections::HashSet;
use std::error::Error;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

// ------------------------------------------------------------------------------------------
// The examples of std's documentation, re-expressed.

/// std docs, module `std::sync::mpsc`, "Simple usage" (and the example of `channel`).
#[test]
fn docs_simple_usage() {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        tx.send(10).unwrap();
    });
    assert_eq!(rx.recv().unwrap(), 10);
}

/// std docs, module `std::sync::mpsc`, "Shared usage": one clone of the sender per thread.
#[test]
fn docs_shared_usage() {
    let (tx, rx) = mpsc::channel();
    for i in 0..10 {
        let tx = tx.clone();
        thread::spawn(move || {
            tx.send(i).unwrap();
        });
    }
    let mut got: Vec<i32> = (0..10).map(|_| rx.recv().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

/// std docs, module `std::sync::mpsc`, "Propagating panics": a hung-up channel makes `recv`
/// fail, also when the sending thread panicked and dropped its sender while unwinding.
#[test]
fn docs_propagating_panics() {
    let (tx, rx) = mpsc::channel::<i32>();
    drop(tx);
    assert!(rx.recv().is_err());

    let (tx, rx) = mpsc::channel::<i32>();
    let worker = thread::spawn(move || {
        let _tx = tx;
        panic!("the worker fails before it sends anything");
    });
    assert_eq!(rx.recv(), Err(mpsc::RecvError));
    assert!(worker.join().is_err());
}

/// std docs, module `std::sync::mpsc`, "Synchronous channels": `sync_channel(0)` makes the
/// sender wait for the receiver.
#[test]
fn docs_synchronous_channel() {
    let (tx, rx) = mpsc::sync_channel::<i32>(0);
    let sender = thread::spawn(move || {
        tx.send(53).unwrap();
    });
    assert_eq!(rx.recv().unwrap(), 53);
    sender.join().unwrap();
}

/// std docs, module `std::sync::mpsc`, "Unbounded receive loop": `recv` ends with an error
/// once every clone of the sender is gone.
#[test]
fn docs_receive_loop_ends_when_all_senders_are_gone() {
    let (tx, rx) = mpsc::sync_channel(3);
    for _ in 0..3 {
        let tx = tx.clone();
        thread::spawn(move || tx.send("ok").unwrap());
    }
    drop(tx);
    let mut count = 0;
    while let Ok(msg) = rx.recv() {
        assert_eq!(msg, "ok");
        count += 1;
    }
    assert_eq!(count, 3);
}

/// std docs, `sync_channel`: the first send fits in the buffer, the second waits until the
/// first is received.
#[test]
fn docs_sync_channel_of_one() {
    let (sender, receiver) = mpsc::sync_channel(1);
    sender.send(1).unwrap();
    let second = thread::spawn(move || {
        sender.send(2).unwrap();
    });
    assert_eq!(receiver.recv().unwrap(), 1);
    assert_eq!(receiver.recv().unwrap(), 2);
    second.join().unwrap();
}

/// std docs, `SyncSender`: two threads with clones of a `SyncSender` into a buffer of two; the
/// third message waits for room.
#[test]
fn docs_sync_sender_clones_across_threads() {
    let (sync_sender, receiver) = mpsc::sync_channel(2);
    let sync_sender2 = sync_sender.clone();
    let first = thread::spawn(move || {
        sync_sender.send(1).unwrap();
        sync_sender.send(2).unwrap();
    });
    let second = thread::spawn(move || {
        sync_sender2.send(3).unwrap();
    });
    let mut got: Vec<i32> = (0..3).map(|_| receiver.recv().unwrap()).collect();
    let one = got.iter().position(|&m| m == 1).unwrap();
    let two = got.iter().position(|&m| m == 2).unwrap();
    assert!(one < two, "one sender's messages arrive in order");
    got.sort_unstable();
    assert_eq!(got, [1, 2, 3]);
    first.join().unwrap();
    second.join().unwrap();
}

/// std docs, `SyncSender::send`: on a rendezvous channel the sender is blocked until its
/// message is received.
#[test]
fn docs_sync_sender_send_on_a_rendezvous_channel() {
    let (sync_sender, receiver) = mpsc::sync_channel(0);
    let sender = thread::spawn(move || {
        sync_sender.send(1).unwrap();
        "message received"
    });
    let msg = receiver.recv().unwrap();
    assert_eq!(1, msg);
    assert_eq!(sender.join().unwrap(), "message received");
}

/// std docs, `SyncSender::try_send`: with a buffer of one and a sender blocked behind it, a
/// `try_send` from another thread may find the buffer full and send nothing.
#[test]
fn docs_sync_sender_try_send() {
    let (sync_sender, receiver) = mpsc::sync_channel(1);
    let sync_sender2 = sync_sender.clone();
    let handle1 = thread::spawn(move || {
        sync_sender.send(1).unwrap();
        sync_sender.send(2).unwrap();
    });
    let handle2 = thread::spawn(move || sync_sender2.try_send(3).is_ok());
    let mut got = vec![receiver.recv().unwrap(), receiver.recv().unwrap()];
    handle1.join().unwrap();
    let third_sent = handle2.join().unwrap();
    // The third message may never have been sent.
    got.extend(receiver.try_iter());
    let mut expected = vec![1, 2];
    if third_sent {
        expected.push(3);
    }
    assert_eq!(got.len(), expected.len());
    got.sort_unstable();
    assert_eq!(got, expected);
}

/// std docs, `Sender`: two threads, each with its own clone.
#[test]
fn docs_sender_clones() {
    let (sender, receiver) = mpsc::channel();
    let sender2 = sender.clone();
    thread::spawn(move || {
        sender.send(1).unwrap();
    });
    thread::spawn(move || {
        sender2.send(2).unwrap();
    });
    let msg = receiver.recv().unwrap();
    let msg2 = receiver.recv().unwrap();
    assert_eq!(3, msg + msg2);
}

/// std docs, `Sender::send`: a send fails, giving the value back, once the receiver is gone.
#[test]
fn docs_send_fails_when_the_receiver_is_gone() {
    let (tx, rx) = mpsc::channel();
    tx.send(1).unwrap();
    drop(rx);
    assert_eq!(tx.send(1).unwrap_err().0, 1);
}

/// std docs, `Receiver`: the first message arrives at once, the second after the sender's
/// pause.
#[test]
fn docs_receiver_waits_for_a_delayed_message() {
    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        send.send("Hello world!").unwrap();
        thread::sleep(Duration::from_millis(50));
        send.send("Delayed for 50 ms").unwrap();
    });
    assert_eq!(recv.recv().unwrap(), "Hello world!");
    assert_eq!(recv.recv().unwrap(), "Delayed for 50 ms");
}

/// std docs, `Receiver::try_recv`: nothing to receive yet is an error.
#[test]
fn docs_try_recv_on_an_empty_channel() {
    let (_, receiver): (_, mpsc::Receiver<i32>) = mpsc::channel();
    assert!(receiver.try_recv().is_err());
}

/// std docs, `Receiver::recv`: a value sent before the sender's thread ended is received; once
/// the channel is drained and the sender gone, `recv` fails with `RecvError`.
#[test]
fn docs_recv_buffers_then_fails() {
    let (send, recv) = mpsc::channel();
    let handle = thread::spawn(move || {
        send.send(1u8).unwrap();
    });
    handle.join().unwrap();
    assert_eq!(Ok(1), recv.recv());

    let (send, recv) = mpsc::channel();
    let handle = thread::spawn(move || {
        send.send(1u8).unwrap();
        send.send(2).unwrap();
        send.send(3).unwrap();
        drop(send);
    });
    handle.join().unwrap();
    assert_eq!(Ok(1), recv.recv());
    assert_eq!(Ok(2), recv.recv());
    assert_eq!(Ok(3), recv.recv());
    assert_eq!(Err(mpsc::RecvError), recv.recv());
}

/// std docs, `Receiver::recv_timeout`: a value sent in time arrives; a late one times out.
#[test]
fn docs_recv_timeout() {
    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        send.send('a').unwrap();
    });
    assert_eq!(recv.recv_timeout(Duration::from_millis(400)), Ok('a'));

    // A sender that sends only after the receive has timed out (told so, instead of the
    // docs' longer sleep, so that a slow machine cannot deliver it in time).
    let (send, recv) = mpsc::channel();
    let (go, wait) = mpsc::channel::<()>();
    let late = thread::spawn(move || {
        wait.recv().unwrap();
        send.send('a').unwrap();
    });
    assert_eq!(
        recv.recv_timeout(Duration::from_millis(50)),
        Err(mpsc::RecvTimeoutError::Timeout)
    );
    go.send(()).unwrap();
    late.join().unwrap();
    assert_eq!(recv.recv_timeout(Duration::from_millis(400)), Ok('a'));
}

/// std docs, `Receiver::iter`: a blocking iterator that ends when the sender is gone.
#[test]
fn docs_iter() {
    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        send.send(1).unwrap();
        send.send(2).unwrap();
        send.send(3).unwrap();
    });
    let mut iter = recv.iter();
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next(), Some(2));
    assert_eq!(iter.next(), Some(3));
    assert_eq!(iter.next(), None);
}

/// std docs, `Receiver::try_iter` and `TryIter`: yields what is buffered, never waits.
#[test]
fn docs_try_iter() {
    let (sender, receiver) = mpsc::channel();
    assert!(receiver.try_iter().next().is_none());
    let (go, wait) = mpsc::channel::<()>();
    let handle = thread::spawn(move || {
        wait.recv().unwrap();
        sender.send(1).unwrap();
        sender.send(2).unwrap();
        sender.send(3).unwrap();
    });
    // Nothing is in the buffer yet, and try_iter does not wait for the sender.
    assert!(receiver.try_iter().next().is_none());
    go.send(()).unwrap();
    handle.join().unwrap();
    let mut iter = receiver.try_iter();
    assert_eq!(iter.next(), Some(1));
    assert_eq!(iter.next(), Some(2));
    assert_eq!(iter.next(), Some(3));
    assert_eq!(iter.next(), None);
}

/// std docs, `Iter` and `IntoIter`: `for` loops over a borrowed and an owned receiver.
#[test]
fn docs_for_loops() {
    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        send.send(1u8).unwrap();
        send.send(2u8).unwrap();
        send.send(3u8).unwrap();
    });
    let mut got = Vec::new();
    for x in recv.iter() {
        got.push(x);
    }
    assert_eq!(got, [1, 2, 3]);

    let (send, recv) = mpsc::channel();
    thread::spawn(move || {
        send.send(1u8).unwrap();
        send.send(2u8).unwrap();
        send.send(3u8).unwrap();
    });
    let mut got = Vec::new();
    for x in recv {
        got.push(x);
    }
    assert_eq!(got, [1, 2, 3]);
}

// ------------------------------------------------------------------------------------------
// The error types as std code uses them.

/// The error texts users see in logs and `unwrap` messages. Run against std too, these are
/// std's texts.
#[test]
fn error_texts() {
    assert_eq!(mpsc::RecvError.to_string(), "receiving on a closed channel");
    assert_eq!(
        mpsc::TryRecvError::Empty.to_string(),
        "receiving on an empty channel"
    );
    assert_eq!(
        mpsc::TryRecvError::Disconnected.to_string(),
        "receiving on a closed channel"
    );
    assert_eq!(
        mpsc::RecvTimeoutError::Timeout.to_string(),
        "timed out waiting on channel"
    );
    assert_eq!(
        mpsc::RecvTimeoutError::Disconnected.to_string(),
        "channel is empty and sending half is closed"
    );
    assert_eq!(
        mpsc::SendError(1).to_string(),
        "sending on a closed channel"
    );
    assert_eq!(
        mpsc::TrySendError::Full(1).to_string(),
        "sending on a full channel"
    );
    assert_eq!(
        mpsc::TrySendError::Disconnected(1).to_string(),
        "sending on a closed channel"
    );
    // Debug never shows the value (it need not be Debug).
    struct Opaque;
    assert_eq!(format!("{:?}", mpsc::SendError(Opaque)), "SendError { .. }");
    assert_eq!(
        format!("{:?}", mpsc::TrySendError::Full(Opaque)),
        "TrySendError::Full(..)"
    );
    assert_eq!(
        format!("{:?}", mpsc::TrySendError::Disconnected(Opaque)),
        "TrySendError::Disconnected(..)"
    );
    assert_eq!(format!("{:?}", mpsc::RecvTimeoutError::Timeout), "Timeout");
}

/// Matching on the variants, the value in `SendError.0`, the conversions, `?` into a boxed
/// error, and errors compared with `==`.
#[test]
fn errors_as_std_code_handles_them() {
    fn forward(
        rx: &mpsc::Receiver<u32>,
        tx: &mpsc::SyncSender<u32>,
    ) -> Result<u32, Box<dyn Error + Send + Sync>> {
        let value = rx.recv()?;
        tx.try_send(value * 2)?;
        Ok(value)
    }
    fn poll(rx: &mpsc::Receiver<u32>) -> Result<Option<u32>, mpsc::TryRecvError> {
        match rx.try_recv() {
            Ok(v) => Ok(Some(v)),
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(e) => Err(e),
        }
    }
    fn wait(rx: &mpsc::Receiver<u32>) -> Result<u32, mpsc::RecvTimeoutError> {
        // `From<RecvError>` lets a blocking receive report in the timed error type.
        Ok(rx.recv()?)
    }

    let (in_tx, in_rx) = mpsc::channel();
    let (out_tx, out_rx) = mpsc::sync_channel(1);
    in_tx.send(21).unwrap();
    assert_eq!(forward(&in_rx, &out_tx).unwrap(), 21);
    assert_eq!(poll(&out_rx), Ok(Some(42)));
    assert_eq!(poll(&out_rx), Ok(None));
    // A full buffer: `try_send`'s error, boxed by `?`, says so.
    in_tx.send(1).unwrap();
    in_tx.send(2).unwrap();
    forward(&in_rx, &out_tx).unwrap();
    let full = forward(&in_rx, &out_tx).unwrap_err();
    assert_eq!(full.to_string(), "sending on a full channel");
    // The sender gone: recv's error, boxed.
    drop(in_tx);
    assert_eq!(
        forward(&in_rx, &out_tx).unwrap_err().to_string(),
        "receiving on a closed channel"
    );
    assert_eq!(wait(&in_rx), Err(mpsc::RecvTimeoutError::Disconnected));
    assert_eq!(poll(&in_rx), Err(mpsc::TryRecvError::Disconnected));
    // The receiver gone: the value comes back in the error.
    drop(out_rx);
    match out_tx.try_send(7) {
        Err(mpsc::TrySendError::Disconnected(v)) => assert_eq!(v, 7),
        other => panic!("expected Disconnected(7), got {other:?}"),
    }
    let mpsc::SendError(back) = out_tx.send(8).unwrap_err();
    assert_eq!(back, 8);
    // The conversions std provides.
    let converted: mpsc::TrySendError<u8> = mpsc::SendError(3).into();
    assert_eq!(converted, mpsc::TrySendError::Disconnected(3));
    assert_eq!(
        mpsc::TryRecvError::from(mpsc::RecvError),
        mpsc::TryRecvError::Disconnected
    );
}

// ------------------------------------------------------------------------------------------
// Common patterns of std channel code.

/// A worker pool in the shape of *The Rust Programming Language*, chapter 20: jobs are boxed
/// closures, the workers share one receiver behind an `Arc<Mutex<_>>`, and dropping the pool
/// drops the sender so that every worker's `recv` fails and the worker ends.
#[test]
fn worker_pool_with_a_shared_receiver() {
    type Job = Box<dyn FnOnce() + Send + 'static>;

    struct Pool {
        jobs: Option<mpsc::Sender<Job>>,
        workers: Vec<thread::JoinHandle<usize>>,
    }

    impl Pool {
        fn new(size: usize) -> Pool {
            let (jobs, queue) = mpsc::channel::<Job>();
            let queue = Arc::new(Mutex::new(queue));
            let workers = (0..size)
                .map(|_| {
                    let queue = Arc::clone(&queue);
                    thread::spawn(move || {
                        let mut done = 0;
                        loop {
                            // The guard is a temporary: the lock is released before the job runs.
                            let next = queue.lock().unwrap().recv();
                            match next {
                                Ok(job) => {
                                    job();
                                    done += 1;
                                }
                                Err(_) => return done,
                            }
                        }
                    })
                })
                .collect();
            Pool {
                jobs: Some(jobs),
                workers,
            }
        }

        fn execute(&self, job: impl FnOnce() + Send + 'static) {
            self.jobs.as_ref().unwrap().send(Box::new(job)).unwrap();
        }

        /// Stops the pool; how many jobs the workers ran.
        fn shut_down(mut self) -> usize {
            drop(self.jobs.take());
            self.workers.drain(..).map(|w| w.join().unwrap()).sum()
        }
    }

    let pool = Pool::new(4);
    let (results, collected) = mpsc::channel();
    for i in 0..100u64 {
        let results = results.clone();
        pool.execute(move || results.send(i * i).unwrap());
    }
    drop(results);
    assert_eq!(pool.shut_down(), 100);
    let sum: u64 = collected.iter().sum();
    assert_eq!(sum, (0..100u64).map(|i| i * i).sum());
}

/// A pipeline of threads joined by bounded channels (backpressure): generate, transform,
/// collect. Each stage ends when its input's senders are gone, which ends the next stage.
#[test]
fn pipeline_of_bounded_stages() {
    fn stage<A: Send + 'static, B: Send + 'static>(
        input: mpsc::Receiver<A>,
        bound: usize,
        f: impl Fn(A) -> B + Send + 'static,
    ) -> mpsc::Receiver<B> {
        let (tx, rx) = mpsc::sync_channel(bound);
        thread::spawn(move || {
            for item in input {
                if tx.send(f(item)).is_err() {
                    break;
                }
            }
        });
        rx
    }

    let (source, numbers) = mpsc::sync_channel(2);
    let generator = thread::spawn(move || {
        for n in 1..=1000u64 {
            source.send(n).unwrap();
        }
    });
    let squares = stage(numbers, 4, |n| n * n);
    let labelled = stage(squares, 0, |sq| format!("{sq}"));
    let out: Vec<String> = labelled.iter().collect();
    generator.join().unwrap();
    assert_eq!(out.len(), 1000);
    assert_eq!(out[0], "1");
    assert_eq!(out[999], "1000000");
    assert!(
        out.windows(2).all(|w| w[0].len() <= w[1].len()),
        "order kept"
    );
}

/// A stage that stops early: the downstream receiver is dropped, and the upstream sender sees
/// its sends fail instead of blocking forever on a full buffer.
#[test]
fn a_dropped_consumer_unblocks_a_producer_on_a_full_buffer() {
    let (tx, rx) = mpsc::sync_channel(2);
    let producer = thread::spawn(move || {
        let mut sent = 0;
        while tx.send(sent).is_ok() {
            sent += 1;
        }
        sent
    });
    assert_eq!(rx.recv(), Ok(0));
    drop(rx);
    let sent = producer.join().unwrap();
    assert!(
        (1..=4).contains(&sent),
        "sent {sent} before the receiver went"
    );
}

/// Polling with `try_recv` between other work, and `recv_timeout` in a loop that checks a
/// deadline: the two ways std code waits without blocking forever.
#[test]
fn polling_and_timed_receive_loops() {
    let (tx, rx) = mpsc::channel();
    let producer = thread::spawn(move || {
        for i in 0..5 {
            thread::sleep(Duration::from_millis(2));
            tx.send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    loop {
        match rx.try_recv() {
            Ok(v) => got.push(v),
            // Other work would go here.
            Err(mpsc::TryRecvError::Empty) => thread::yield_now(),
            Err(mpsc::TryRecvError::Disconnected) => break,
        }
    }
    producer.join().unwrap();
    assert_eq!(got, [0, 1, 2, 3, 4]);

    let (tx, rx) = mpsc::channel::<u8>();
    let deadline = Instant::now() + Duration::from_millis(30);
    let mut timeouts = 0;
    loop {
        match rx.recv_timeout(Duration::from_millis(5)) {
            Ok(_) => unreachable!("nothing is sent"),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                timeouts += 1;
                if Instant::now() >= deadline {
                    break;
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("tx is alive"),
        }
    }
    assert!(timeouts >= 1);
    drop(tx);
    assert_eq!(
        rx.recv_timeout(Duration::from_secs(1)),
        Err(mpsc::RecvTimeoutError::Disconnected)
    );
}

/// Request and reply: the server hands its request sender to the client through a rendezvous
/// channel (when the client's `recv` returns, the server is ready), and each request carries
/// its own reply channel.
#[test]
fn request_reply_after_a_rendezvous_handshake() {
    type Request = (u32, mpsc::SyncSender<u32>);
    let (ready_tx, ready_rx) = mpsc::sync_channel::<mpsc::Sender<Request>>(0);
    let server = thread::spawn(move || {
        let (requests, inbox) = mpsc::channel();
        ready_tx.send(requests).unwrap();
        let mut served = 0;
        for (n, reply) in inbox {
            reply.send(n + 100).unwrap();
            served += 1;
        }
        served
    });
    let requests = ready_rx.recv().unwrap();
    let answers: Vec<u32> = (0..3)
        .map(|n| {
            let (reply_tx, reply_rx) = mpsc::sync_channel(1);
            requests.send((n, reply_tx)).unwrap();
            reply_rx.recv().unwrap()
        })
        .collect();
    assert_eq!(answers, [100, 101, 102]);
    drop(requests);
    assert_eq!(server.join().unwrap(), 3);
}

/// Handles inside structs and behind references: a `Sender` shared by reference across scoped
/// threads, a `Receiver` moved into a thread and handed back by `join`, iterator types named
/// in signatures.
#[test]
fn handles_in_structs_references_and_signatures() {
    struct Logger {
        lines: mpsc::Sender<String>,
    }
    impl Logger {
        fn log(&self, line: &str) {
            self.lines.send(line.to_owned()).unwrap();
        }
    }
    fn ready(rx: &mpsc::Receiver<String>) -> mpsc::TryIter<'_, String> {
        rx.try_iter()
    }
    fn all(rx: &mpsc::Receiver<String>) -> mpsc::Iter<'_, String> {
        rx.iter()
    }

    let (lines, rx) = mpsc::channel();
    let logger = Logger { lines };
    thread::scope(|s| {
        for t in 0..4 {
            let logger = &logger;
            s.spawn(move || logger.log(&format!("thread {t}")));
        }
    });
    let got: HashSet<String> = ready(&rx).collect();
    assert_eq!(got.len(), 4);

    let reader = thread::spawn(move || {
        let first = rx.recv().unwrap();
        (first, rx)
    });
    logger.log("handed back");
    let (first, rx) = reader.join().unwrap();
    assert_eq!(first, "handed back");
    drop(logger);
    assert_eq!(all(&rx).count(), 0);
    let owned: mpsc::IntoIter<String> = rx.into_iter();
    assert_eq!(owned.count(), 0);
}

/// Backpressure: a producer much faster than its consumer never runs more than the buffer
/// ahead, and everything still arrives in order.
#[test]
fn sync_channel_backpressure_keeps_order() {
    let (tx, rx) = mpsc::sync_channel(3);
    let producer = thread::spawn(move || {
        for i in 0..200 {
            tx.send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    for v in rx.iter() {
        if v % 50 == 0 {
            thread::sleep(Duration::from_millis(1));
        }
        got.push(v);
    }
    producer.join().unwrap();
    assert_eq!(got, (0..200).collect::<Vec<_>>());
}
