"""How gunicorn serves the web application (it reads this file from the working directory).

Threads rather than more processes: a request spends most of its time waiting for PostgreSQL, so a
few threads a process keep both cores busy, and a long request (a statistics query over the base
tables) holds one thread, never a whole process. Each process keeps a pool of one database
connection per thread (DATABASE_POOL_SIZE, read by the settings). Measured in docs/performance.md."""

import multiprocessing
import os

import gunicorn.http.wsgi

worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or multiprocessing.cpu_count() + 1)
threads = int(os.environ.get("WEB_THREADS") or 4)
timeout = 120
# Behind the reverse proxy (or a script's session) a connection stays open between requests: longer
# than a client's pause, so that the server never closes one as the client reuses it.
keepalive = 30
# Set before the workers import the settings, whatever .env says for the other processes.
os.environ["DATABASE_POOL_SIZE"] = str(threads)

# gunicorn names itself ("Server: gunicorn") on every answer, from the name its Response reads as it
# is built (HTTP/2 answers too); it drops an application's own Server header. A neutral word tells
# an attacker neither the server nor its version. Refuse to start if an upgrade moved that name,
# rather than send the banner again (tests/core/test_security_gunicorn.py asks the real server).
if not isinstance(getattr(gunicorn.http.wsgi, "SERVER", None), str):
    raise RuntimeError("gunicorn.http.wsgi.SERVER is gone: find where this gunicorn version names itself")
gunicorn.http.wsgi.SERVER = "web"
