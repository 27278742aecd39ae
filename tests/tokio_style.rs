//! tokio `mpsc` programs and their dualq ports, side by side: each scenario is written once
//! against tokio's channel and once against dualq's (the names of issue 26: `close`,
//! `closed`, `is_closed`, `recv_many`, `downgrade`/`upgrade`; the async operations are
//! `send_async`/`recv_async` where tokio's are `send(v).await`/`recv().await`), and both record
//! what they observe in a transcript that must be the same. On a current-thread runtime, so
//! that the tasks' order is the one the code says.
#![cfg(feature = "async")]

use tokio::runtime::Builder;

fn run<F: std::future::Future>(f: F) -> F::Output {
    Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(f)
}

/// A producer that stops once the consumer is gone (`closed()` in a `select!`), and a consumer
/// that takes a few values and leaves.
mod producer_stops_when_nobody_listens {
    use super::run;

    pub(super) async fn tokio_version() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(4);
        let producer = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                tokio::select! {
                    biased;
                    _ = tx.closed() => return (sent, tx.is_closed()),
                    r = tx.send(sent) => match r {
                        Ok(()) => sent += 1,
                        Err(_) => return (sent, tx.is_closed()),
                    },
                }
            }
        });
        let mut log = Vec::new();
        for _ in 0..3 {
            log.push(format!("got {:?}", rx.recv().await));
        }
        drop(rx);
        let (sent, closed) = producer.await.unwrap();
        log.push(format!(
            "producer stopped: at least 3 sent {}, closed {closed}",
            sent >= 3
        ));
        log
    }

    pub(super) async fn dualq_version() -> Vec<String> {
        let (tx, rx) = dualq::channel::bounded::<u32>(4);
        let producer = tokio::spawn(async move {
            let mut sent = 0;
            loop {
                tokio::select! {
                    biased;
                    _ = tx.closed() => return (sent, tx.is_closed()),
                    r = tx.send_async(sent) => match r {
                        Ok(()) => sent += 1,
                        Err(_) => return (sent, tx.is_closed()),
                    },
                }
            }
        });
        let mut log = Vec::new();
        for _ in 0..3 {
            log.push(format!("got {:?}", rx.recv_async().await.ok()));
        }
        drop(rx);
        let (sent, closed) = producer.await.unwrap();
        log.push(format!(
            "producer stopped: at least 3 sent {}, closed {closed}",
            sent >= 3
        ));
        log
    }

    #[test]
    fn same_transcript() {
        assert_eq!(run(tokio_version()), run(dualq_version()));
    }
}

/// The consumer closes the channel, then drains what was sent before: sends after the close
/// fail, the values before it are all received, then the stream ends.
mod consumer_closes_then_drains {
    use super::run;

    pub(super) async fn tokio_version() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(8);
        for i in 0..3 {
            tx.send(i).await.unwrap();
        }
        let mut log = vec![format!("closed before: {}", tx.is_closed())];
        rx.close();
        log.push(format!("closed after: {}", tx.is_closed()));
        log.push(format!(
            "send after close fails: {}",
            tx.send(99).await.is_err()
        ));
        while let Some(v) = rx.recv().await {
            log.push(format!("drained {v}"));
        }
        log.push("stream ended".into());
        log
    }

    pub(super) async fn dualq_version() -> Vec<String> {
        let (tx, rx) = dualq::channel::bounded::<u32>(8);
        for i in 0..3 {
            tx.send_async(i).await.unwrap();
        }
        let mut log = vec![format!("closed before: {}", tx.is_closed())];
        rx.close();
        log.push(format!("closed after: {}", tx.is_closed()));
        log.push(format!(
            "send after close fails: {}",
            tx.send_async(99).await.is_err()
        ));
        while let Ok(v) = rx.recv_async().await {
            log.push(format!("drained {v}"));
        }
        log.push("stream ended".into());
        log
    }

    #[test]
    fn same_transcript() {
        assert_eq!(run(tokio_version()), run(dualq_version()));
    }
}

/// A batching consumer: `recv_many` takes what is there, up to a limit, after waiting for the
/// first value; an empty closed channel ends it (tokio: 0 values, dualq: `Err`).
mod batching_consumer {
    use super::run;

    pub(super) async fn tokio_version() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<u32>(16);
        let producer = tokio::spawn(async move {
            for i in 0..7 {
                tx.send(i).await.unwrap();
            }
        });
        producer.await.unwrap();
        let mut log = Vec::new();
        let mut buf = Vec::new();
        loop {
            let n = rx.recv_many(&mut buf, 3).await;
            if n == 0 {
                break;
            }
            log.push(format!("batch of {n}: {buf:?}"));
            buf.clear();
        }
        log.push("ended".into());
        log
    }

    pub(super) async fn dualq_version() -> Vec<String> {
        let (tx, rx) = dualq::channel::bounded::<u32>(16);
        let producer = tokio::spawn(async move {
            for i in 0..7 {
                tx.send_async(i).await.unwrap();
            }
        });
        producer.await.unwrap();
        let mut log = Vec::new();
        let mut buf = Vec::new();
        while let Ok(n) = rx.recv_many_async(&mut buf, 3).await {
            log.push(format!("batch of {n}: {buf:?}"));
            buf.clear();
        }
        log.push("ended".into());
        log
    }

    #[test]
    fn same_transcript() {
        assert_eq!(run(tokio_version()), run(dualq_version()));
    }
}

/// A weak sender held by a long-lived task: it can send while the owner's sender lives, and it
/// does not keep the receiver's loop alive after the owner drops it.
mod weak_sender_in_a_background_task {
    use super::run;

    pub(super) async fn tokio_version() -> Vec<String> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<&str>(4);
        let weak = tx.downgrade();
        let mut log = vec![format!("senders: {}", tx.strong_count())];
        if let Some(tx) = weak.upgrade() {
            tx.send("via the weak sender").await.unwrap();
        }
        tx.send("via the sender").await.unwrap();
        drop(tx);
        log.push(format!(
            "upgrade after the drop: {}",
            weak.upgrade().is_some()
        ));
        while let Some(v) = rx.recv().await {
            log.push(format!("got {v}"));
        }
        log
    }

    pub(super) async fn dualq_version() -> Vec<String> {
        let (tx, rx) = dualq::channel::bounded::<&str>(4);
        let weak = tx.downgrade();
        let mut log = vec![format!("senders: {}", tx.sender_count())];
        if let Some(tx) = weak.upgrade() {
            tx.send_async("via the weak sender").await.unwrap();
        }
        tx.send_async("via the sender").await.unwrap();
        drop(tx);
        log.push(format!(
            "upgrade after the drop: {}",
            weak.upgrade().is_some()
        ));
        while let Ok(v) = rx.recv_async().await {
            log.push(format!("got {v}"));
        }
        log
    }

    #[test]
    fn same_transcript() {
        assert_eq!(run(tokio_version()), run(dualq_version()));
    }
}
