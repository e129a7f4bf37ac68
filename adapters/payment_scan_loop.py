"""The background thread of `forumbot serve` that tells payments made available by time.

Every `interval` seconds it runs `SqlPaymentScan.scan`; replicas may all run it (each payment
is told once). A failed round is logged by its exception type only and the loop goes on.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from bot.storage.payment_scan import SqlPaymentScan

log = logging.getLogger(__name__)
SCAN_EVERY = 30.0  # seconds: a payment is told within about half a minute of its moment


def start_payment_scan(scan: SqlPaymentScan, clock: Callable[[], datetime],
                       interval: float = SCAN_EVERY) -> Callable[[], None]:
    """Scan at once and then every `interval` seconds in a thread; returns its stopper."""
    stopping = threading.Event()

    def run() -> None:
        while not stopping.is_set():
            try:
                told = scan.scan(clock())
            except Exception as exc:  # the loop outlives any one round
                log.error("payment scan failed: %s", type(exc).__name__)
            else:
                if told:
                    log.info("payment scan: %d payments told available", told)
            stopping.wait(interval)

    thread = threading.Thread(target=run, name="forumbot-payment-scan", daemon=True)
    thread.start()

    def stop() -> None:
        stopping.set()
        thread.join(30.0)

    return stop
