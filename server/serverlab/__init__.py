"""The server lab: real web servers (uvicorn, gunicorn, hypercorn, granian) serving the lab's
workloads, under HTTP load from the lab, recorded as ordinary runs.

How the pieces fit, in the direction the data flows:

- ``target`` / ``target_wsgi``: the app the servers run (ASGI, and a WSGI twin). Each request runs a
  workload inside the server and measures it there, exactly as a pool worker would.
- ``report``: the channel back to the lab. A worker announces itself and each request's start (UDP
  datagrams on loopback); a request's full record comes back in its response.
- ``setups`` and ``guard``: the server command lines, and how a server is started as a child process
  that can never outlive the lab.
- ``load``: the executor. It starts the setup, sends the requests (httpx, async), kills a worker on
  request, and feeds the usual recorder, so lanes are the server's worker processes and threads.
"""
