"""Benchmark of issue #16: `POST /call/` of `add` through `mizan_fastapi`
vs a bare FastAPI endpoint doing the same JSON work (parse the envelope,
validate two integers, add, answer `{"result": {"total": n}, "invalidate":
[]}`), same run, same uvicorn server (one process), interleaved rounds, a
keep-alive load generator in another process. Prints both rates and the
ratio (budget >= 0.8), then the per-call cost of crossing the binding
(resolution + header of a mutation, and of a query) in µs.

Usage: .venv/bin/python python/bench/bench_add.py [--rounds N] [--secs S] [--conns C]
(or scripts/bench-python).
"""



import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import sys
import time
import timeit
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "fixtures" / "afi-fastapi"))

ENVELOPE = b'{"fn":"add","args":{"a":2,"b":40}}'


def build_app():  # type: ignore[no-untyped-def]
    from fastapi import FastAPI, Request
    from fastapi.responses import Response

    import afi_functions
    import mizan_fastapi
    from mizan import Mizan, Settings

    app = Mizan(afi_functions.registry, Settings(state={"store": afi_functions.Store()}))
    api = FastAPI(lifespan=mizan_fastapi.lifespan(app), openapi_url=None, docs_url=None, redoc_url=None)
    api.include_router(mizan_fastapi.router(app), prefix="/api/mizan")

    @api.post("/bare/call/")
    async def bare(request: Request) -> Response:
        body = json.loads(await request.body())
        args = body["args"]
        a, b = args["a"], args["b"]
        if type(a) is not int or type(b) is not int:
            return Response(b'{"error":{"code":"VALIDATION_ERROR","message":"invalid arguments"}}', 422)
        text = json.dumps({"result": {"total": a + b}, "invalidate": []}, separators=(",", ":"))
        return Response(text.encode(), media_type="application/json", headers={"cache-control": "no-store"})

    return api


def serve(sock: socket.socket) -> None:
    import uvicorn

    config = uvicorn.Config(build_app(), log_level="warning", access_log=False, lifespan="on")
    uvicorn.Server(config).run(sockets=[sock])


async def load(port: int, path: str, secs: float, conns: int) -> int:
    """Requests answered in `secs` over `conns` keep-alive connections."""
    request = (
        f"POST {path} HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"content-length: {len(ENVELOPE)}\r\n\r\n"
    ).encode() + ENVELOPE
    deadline = time.monotonic() + secs
    done = 0

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while time.monotonic() < deadline:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            if not head.startswith(b"HTTP/1.1 200"):
                raise RuntimeError(head.decode(errors="replace"))
            length = 0
            for line in head.split(b"\r\n"):
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            await reader.readexactly(length)
            done += 1
        writer.close()

    await asyncio.gather(*(worker() for _ in range(conns)))
    return done


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(pid: int, port: int, path: str, secs: float, conns: int) -> tuple[float, float]:
    """(requests per second, server CPU µs per request) of one round."""
    cpu = cpu_seconds(pid)
    done = asyncio.run(load(port, path, secs, conns))
    return done / secs, (cpu_seconds(pid) - cpu) / max(done, 1) * 1e6


def binding_cost() -> tuple[float, float]:
    """µs per `Engine.call_response` of a mutation (resolution + header)
    and of a query (no resolution)."""
    from mizan import _core

    engine = _core.Engine((ROOT / "fixtures" / "afi" / "afi.kdl").read_text())
    n = 50_000
    mutation = timeit.timeit(
        lambda: engine.call_response("place_order", '{"user_id":5,"sku":"a"}', '{"id":1,"user_id":5,"sku":"a"}'),
        number=n,
    )
    query = timeit.timeit(lambda: engine.call_response("add", '{"a":2,"b":40}', '{"total":42}'), number=n)
    return mutation / n * 1e6, query / n * 1e6


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=int(os.environ.get("MIZAN_BENCH_ROUNDS", 5)))
    p.add_argument("--secs", type=float, default=float(os.environ.get("MIZAN_BENCH_SECS", 2)))
    p.add_argument("--conns", type=int, default=int(os.environ.get("MIZAN_BENCH_CONNS", 16)))
    args = p.parse_args()
    sock = socket.socket()
    # Accepted sockets inherit it: no Nagle / delayed-ACK stalls between a
    # response's head and body writes.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    port = sock.getsockname()[1]
    server = multiprocessing.get_context("fork").Process(target=serve, args=(sock,), daemon=True)
    server.start()
    time.sleep(2)
    try:
        assert server.pid is not None
        measure(server.pid, port, "/api/mizan/call/", 0.5, args.conns)  # warm-up
        measure(server.pid, port, "/bare/call/", 0.5, args.conns)
        mizan, bare = [], []
        for _ in range(args.rounds):
            mizan.append(measure(server.pid, port, "/api/mizan/call/", args.secs, args.conns))
            bare.append(measure(server.pid, port, "/bare/call/", args.secs, args.conns))
    finally:
        server.kill()
    # Paired ratios (each mizan round against the bare round next to it)
    # cancel most of the drift of a shared machine; server CPU per request
    # is the steadier number when other work competes for the cores.
    ratios = [m[0] / b[0] for m, b in zip(mizan, bare)]
    m_rate, b_rate = statistics.median(r for r, _ in mizan), statistics.median(r for r, _ in bare)
    m_cpu, b_cpu = statistics.median(c for _, c in mizan), statistics.median(c for _, c in bare)
    print(f"POST /call/ add, uvicorn, {args.rounds} interleaved rounds of {args.secs:g} s, {args.conns} connections")
    print(f"  mizan_fastapi  {m_rate:8.0f} req/s  {m_cpu:6.0f} µs server CPU/request")
    print(f"  bare FastAPI   {b_rate:8.0f} req/s  {b_cpu:6.0f} µs server CPU/request")
    print(f"  throughput ratio (median of paired rounds)  {statistics.median(ratios):5.2f}  (budget >= 0.80)")
    print(f"  CPU ratio (bare / mizan, per request)       {b_cpu / m_cpu:5.2f}")
    mutation, query = binding_cost()
    print("crossing the binding (Engine.call_response, in process):")
    print(f"  mutation place_order (resolution + header + body)  {mutation:6.2f} µs/call")
    print(f"  query add (body only)                              {query:6.2f} µs/call")


if __name__ == "__main__":
    main()
