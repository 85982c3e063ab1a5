#!/usr/bin/env python3
"""bench/relay: messages per second that qmgr + relay hand to a local SMTP
sink (an asyncio server that answers 250 at once and stores nothing) with
up to 20 connections (max_per_destination = 20). The messages are queued
first while the sink is down (they wait in deferred/), then the sink starts
and `postroomctl queue flush` releases them: the figure is N / the time
until the sink has all N. Reports; asserts nothing. Loopback only."""
import argparse
import asyncio
import multiprocessing
import os
import smtplib
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))


def sink_main(port, counter, ready):
    async def session(reader, writer):
        writer.write(b"220 sink ESMTP\r\n")
        in_data = False
        while True:
            line = await reader.readline()
            if not line:
                break
            if in_data:
                if line == b".\r\n":
                    in_data = False
                    with counter.get_lock():
                        counter.value += 1
                    writer.write(b"250 2.0.0 ok\r\n")
                continue
            verb = line[:4].upper()
            if verb == b"EHLO":
                writer.write(b"250-sink\r\n250-PIPELINING\r\n"
                             b"250 8BITMIME\r\n")
            elif verb == b"DATA":
                in_data = True
                writer.write(b"354 go\r\n")
            elif verb == b"QUIT":
                writer.write(b"221 bye\r\n")
                await writer.drain()
                break
            else:
                writer.write(b"250 ok\r\n")
            await writer.drain()
        writer.close()

    async def run():
        server = await asyncio.start_server(session, "127.0.0.1", port,
                                            backlog=128)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(run())


def submit(pr, count, size, threads):
    body = b"Subject: bench\r\n\r\n" + (b"x" * 70 + b"\r\n") * (size // 72)
    per = count // threads

    def worker():
        with smtplib.SMTP("127.0.0.1", pr.submission, timeout=60) as s:
            s.login("bench@bench.test", "pw")
            for i in range(per):
                s.sendmail("bench@bench.test", [f"to{i % 10}@sink.test"],
                           body)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return per * threads


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--count", type=int, default=2000)
    ap.add_argument("--size", type=int, default=4096)
    args = ap.parse_args()
    os.environ["POSTROOM_BUILD"] = os.path.join(ROOT, args.build)
    import harness
    harness.BUILD = os.environ["POSTROOM_BUILD"]
    harness.POSTROOMD = os.path.join(harness.BUILD, "servers", "postroomd",
                                     "postroomd")
    harness.POSTROOMCTL = os.path.join(harness.BUILD, "clients",
                                       "postroomctl", "postroomctl")
    port = harness.free_port()
    pr = harness.Postroom(main={"log_level": "warn"}, sections={
        "relay": {"transport_map": f"sink.test=127.0.0.1:{port}",
                  "max_per_destination": 20, "connect_timeout": "2s"},
        "queue": {"min_backoff": "1h", "max_backoff": "2h"}}).start()
    sink = None
    try:
        pr.add_user("bench@bench.test", "pw")
        n = submit(pr, args.count, args.size, 20)
        while len(pr.queue_files("deferred")) < n:
            time.sleep(0.2)
        counter = multiprocessing.Value("l", 0)
        ready = multiprocessing.Event()
        sink = multiprocessing.Process(target=sink_main,
                                       args=(port, counter, ready))
        sink.start()
        ready.wait(10)
        start = time.monotonic()
        pr.ctl("queue", "flush")
        while counter.value < n:
            time.sleep(0.01)
        took = time.monotonic() - start
        while pr.queue_files("deferred") or pr.queue_files("active"):
            time.sleep(0.05)
        print(f"relay: {n} messages of {args.size} bytes to a local sink, "
              f"20 connections: {took:.2f}s, {n / took:.0f} msg/s")
    finally:
        if sink is not None:
            sink.terminate()
            sink.join()
        pr.stop()
        pr.cleanup()


if __name__ == "__main__":
    main()
