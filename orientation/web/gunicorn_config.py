"""gunicorn settings of the web process, shared by the Procfile, the systemd unit and the tests.

Used as `gunicorn -c python:orientation.web.gunicorn_config --bind ADDRESS 'orientation:create_app()'`; it ships
in the wheel, so a server installed from it needs no checkout.
"""

from __future__ import annotations

import os

# Threads rather than sync workers: a request waiting on the database or on Twilio holds one thread, not a
# whole process. Slow clients are nginx's to absorb (deploy/nginx): it hands gunicorn whole requests only.
worker_class = "gthread"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
threads = int(os.environ.get("ORIENTATION_WEB_THREADS") or 4)
# Twilio waits 15 s for a webhook's answer; a worker silent for twice that is stuck and is replaced.
timeout = 30
graceful_timeout = 30
keepalive = 5
# The path without the query string (%(U)s, not %(r)s): signed links carry their tokens in the query.
accesslog = "-"
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(L)ss'
# gunicorn 27's control socket sits at one path per user (~/.gunicorn): two servers of one user (tests, a
# benchmark, a second instance) would take it from each other. Nothing here uses it.
control_socket_disable = True
