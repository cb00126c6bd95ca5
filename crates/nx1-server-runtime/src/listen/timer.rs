//! The timer hyper reads a connection's request heads under.
//!
//! hyper arms the header-read timeout for every request head, keep-alive waits included:
//! with `hyper_util`'s `TokioTimer` that is a new tokio `Sleep` each time, entered into the
//! runtime's timer wheel on its first poll and taken out again a few microseconds later,
//! when the head has arrived (two locks, an allocation and the wheel's bookkeeping: about
//! 3% of a small request served on loopback). A deadline that far away (10 s) almost never
//! passes, so each connection keeps one tokio `Sleep`: a head's deadline moves it only when
//! it rings before that deadline, which happens at most once per timeout.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

/// Now on tokio's clock (the one `Sleep` runs on, paused in tests).
fn now() -> Instant {
    tokio::time::Instant::now().into_std()
}

/// One connection's timer; give each connection its own (the `Sleep` it keeps wakes the
/// task that polled it last).
#[derive(Clone, Default)]
pub(crate) struct ConnectionTimer {
    alarm: Arc<Mutex<Option<Alarm>>>,
}

/// The connection's one `Sleep`, and the waker it was last polled with: polled again by
/// the same task before it rings, it would only register that waker again.
struct Alarm {
    sleep: Pin<Box<tokio::time::Sleep>>,
    waker: Option<Waker>,
}

impl hyper::rt::Timer for ConnectionTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.sleep_until(now() + duration)
    }

    fn sleep_until(&self, deadline: Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        Box::pin(Deadline {
            alarm: self.alarm.clone(),
            at: deadline,
        })
    }

    fn now(&self) -> Instant {
        now()
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: Instant) {
        match sleep.as_mut().downcast_mut_pin::<Deadline>() {
            Some(mut deadline) => deadline.at = new_deadline,
            None => *sleep = self.sleep_until(new_deadline),
        }
    }
}

/// One wait of hyper's: ready at `at`, never before.
struct Deadline {
    alarm: Arc<Mutex<Option<Alarm>>>,
    at: Instant,
}

impl hyper::rt::Sleep for Deadline {}

impl Future for Deadline {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let at = tokio::time::Instant::from_std(self.at);
        let mut alarm = self.alarm.lock().unwrap_or_else(PoisonError::into_inner);
        let alarm = alarm.get_or_insert_with(|| Alarm {
            sleep: Box::pin(tokio::time::sleep_until(at)),
            waker: None,
        });
        // The alarm may be set for an earlier deadline (an earlier head's), never a later
        // one: that would let this one pass unnoticed.
        if alarm.sleep.deadline() > at {
            alarm.sleep.as_mut().reset(at);
        } else if !alarm.sleep.is_elapsed()
            && alarm
                .waker
                .as_ref()
                .is_some_and(|waker| waker.will_wake(cx.waker()))
        {
            return Poll::Pending;
        }
        loop {
            match alarm.sleep.as_mut().poll(cx) {
                Poll::Pending => {
                    alarm.waker = Some(cx.waker().clone());
                    return Poll::Pending;
                }
                Poll::Ready(()) if tokio::time::Instant::now() >= at => return Poll::Ready(()),
                // It rang for an earlier head: set it for this one and wait again.
                Poll::Ready(()) => alarm.sleep.as_mut().reset(at),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use hyper::rt::Timer;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn each_deadline_passes_at_its_time_though_the_connection_keeps_one_alarm() {
        let timer = ConnectionTimer::default();
        // A head that arrives in time: its wait is dropped unfinished, the alarm stays set
        // for its deadline.
        let mut first = timer.sleep(Duration::from_secs(10));
        let mut cx = Context::from_waker(std::task::Waker::noop());
        assert!(first.as_mut().poll(&mut cx).is_pending());
        drop(first);
        tokio::time::sleep(Duration::from_secs(4)).await;
        // The next head's deadline is later than the alarm's: it must not pass at 10 s.
        let waited = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(10)).await;
        assert_eq!(waited.elapsed(), Duration::from_secs(10));
        // A deadline earlier than the alarm's moves the alarm forward.
        let mut late = timer.sleep(Duration::from_secs(60));
        assert!(late.as_mut().poll(&mut cx).is_pending());
        let waited = tokio::time::Instant::now();
        timer.sleep(Duration::from_secs(2)).await;
        assert_eq!(waited.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_reset_wait_passes_at_its_new_deadline() {
        let timer = ConnectionTimer::default();
        let mut sleep = timer.sleep(Duration::from_secs(1));
        timer.reset(&mut sleep, timer.now() + Duration::from_secs(5));
        let waited = tokio::time::Instant::now();
        sleep.await;
        assert_eq!(waited.elapsed(), Duration::from_secs(5));
    }
}
