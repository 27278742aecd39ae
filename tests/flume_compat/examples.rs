// flume channel code, included by `tests/flume_compat.rs` twice: once where `flume` is
// `dualq::channel`, once where it is flume itself. Everything is named through `flume::`.

use std::thread;
use std::time::Duration;

/// A work queue that reports how many workers and producers are attached, and stops the
/// producers once nobody listens (`is_disconnected`).
#[test]
fn counts_and_disconnection() {
    let (tx, rx) = flume::unbounded::<u32>();
    assert_eq!((tx.sender_count(), tx.receiver_count()), (1, 1));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let rx = rx.clone();
            thread::spawn(move || rx.iter().count())
        })
        .collect();
    assert_eq!(tx.receiver_count(), 4);
    drop(rx);
    for i in 0..30 {
        tx.send(i).unwrap();
    }
    assert!(!tx.is_disconnected());
    drop(tx);
    let done: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(done, 30);

    let (tx, rx) = flume::bounded::<u32>(1);
    drop(rx);
    assert!(tx.is_disconnected());
    assert!(tx.send(1).is_err());
}

/// `drain` takes what is in the channel now, in order, and leaves what comes after.
#[test]
fn drain_takes_what_is_there() {
    let (tx, rx) = flume::unbounded();
    for i in 0..5 {
        tx.send(i).unwrap();
    }
    let drained = rx.drain();
    assert_eq!(drained.len(), 5);
    tx.send(5).unwrap();
    assert_eq!(drained.collect::<Vec<_>>(), [0, 1, 2, 3, 4]);
    assert_eq!(rx.try_recv().ok(), Some(5));
    assert_eq!(rx.drain().count(), 0);
    drop(tx);
    assert!(rx.is_disconnected());
    assert!(rx.recv().is_err());
}

/// A background task holds a weak sender: it sends while the main sender lives, and the
/// receivers see the end of the stream once the main sender is gone.
#[test]
fn weak_sender_does_not_keep_the_stream_open() {
    let (tx, rx) = flume::unbounded::<&str>();
    let weak = tx.downgrade();
    let helper = thread::spawn(move || {
        if let Some(tx) = weak.upgrade() {
            tx.send("from the helper").unwrap();
        }
        weak
    });
    let weak = helper.join().unwrap();
    tx.send("from main").unwrap();
    assert_eq!(rx.sender_count(), 1, "the weak sender does not count");
    drop(tx);
    assert!(weak.upgrade().is_none());
    assert_eq!(rx.iter().collect::<Vec<_>>(), ["from the helper", "from main"]);
}

/// A bounded channel as backpressure, with a timed receive.
#[test]
fn bounded_backpressure() {
    let (tx, rx) = flume::bounded(2);
    tx.send(1).unwrap();
    tx.send(2).unwrap();
    assert!(tx.is_full());
    assert!(tx.try_send(3).is_err());
    let sender = thread::spawn(move || tx.send(3).is_ok());
    assert_eq!(rx.recv_timeout(Duration::from_secs(5)).ok(), Some(1));
    assert!(sender.join().unwrap());
    assert_eq!(rx.iter().collect::<Vec<_>>(), [2, 3]);
}

/// Async on both ends, with `send_async` and `recv_async`.
#[test]
fn async_ping_pong() {
    let (to_server, server_rx) = flume::bounded::<u32>(1);
    let (to_client, client_rx) = flume::bounded::<u32>(1);
    let server = thread::spawn(move || {
        futures::executor::block_on(async {
            while let Ok(n) = server_rx.recv_async().await {
                to_client.send_async(n * 2).await.unwrap();
            }
        })
    });
    futures::executor::block_on(async {
        for n in 0..10 {
            to_server.send_async(n).await.unwrap();
            assert_eq!(client_rx.recv_async().await.ok(), Some(n * 2));
        }
    });
    drop(to_server);
    server.join().unwrap();
    assert!(client_rx.is_disconnected());
}
