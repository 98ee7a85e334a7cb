#!/usr/bin/env python3
"""Opens N idle HTTP/2 connections to a proxy listener and holds them: each sends the client preface
and an empty SETTINGS frame, then nothing (issue 18's attack). Reports how many connections the proxy
accepted and kept open, and how many it refused or closed, then holds them until --hold seconds pass.

usage: bench/h2-idle-flood.py HOST:PORT N [--hold SECONDS] [--rate PER_SECOND]
Raise the open-file limit first (ulimit -n 65536), in this shell and the proxy's.
"""
import argparse
import asyncio
import time

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + bytes([0, 0, 0, 4, 0, 0, 0, 0, 0])


async def one(host, port, opened, closed, failed, held):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        failed.append(1)
        return
    writer.write(PREFACE)
    opened.append(1)
    held.append(writer)
    try:
        while await reader.read(4096):
            pass  # the proxy's SETTINGS, WINDOW_UPDATE, then a GOAWAY when it gives up on us
    except OSError:
        pass
    closed.append(1)


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("n", type=int)
    p.add_argument("--hold", type=float, default=30)
    p.add_argument("--rate", type=float, default=2000)
    a = p.parse_args()
    host, port = a.target.rsplit(":", 1)
    opened, closed, failed, held, tasks = [], [], [], [], []
    start = time.monotonic()
    for i in range(a.n):
        tasks.append(asyncio.ensure_future(one(host, int(port), opened, closed, failed, held)))
        if i % 100 == 99:
            await asyncio.sleep(max(0, start + (i + 1) / a.rate - time.monotonic()))
    await asyncio.sleep(1)
    print(f"after opening: opened={len(opened)} failed={len(failed)} closed_by_proxy={len(closed)}", flush=True)
    deadline = time.monotonic() + a.hold
    while time.monotonic() < deadline:
        await asyncio.sleep(5)
        print(f"t={time.monotonic() - start:.0f}s open={len(opened) - len(closed)} closed_by_proxy={len(closed)}",
              flush=True)
    for w in held:
        w.close()


asyncio.run(main())
