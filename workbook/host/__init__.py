"""The answer host: runs a learner's answer in a process of its own and serves its app.

The checks never run the learner's code. They ask a host for an answer process, talk to the
app it serves over a Unix socket, and read a small report it writes; nothing else crosses.

- ``zygote``: a long-lived process that has already imported FastAPI, pydantic, uvicorn and
  friends, and forks one answer process per request on its control socket. In the notebook
  it runs beside the kernel; in classroom grading it runs inside bubblewrap, one per
  submission, so that one student's answers never share a process with another's.
- ``answer``: what a forked answer process does: limits, environment, relays to the fake
  upstream services, loading the code, serving the app with uvicorn on the socket it was
  handed, and reporting.
- ``report``: the JSON-lines report (``protocol`` names its events).
- ``blocking``: blockbuster, in a mode that observes blocking calls without changing them.
- ``relay``: loopback TCP to Unix-socket relays, so that a sandbox without a network can still
  reach the fake upstreams the checks observe.

Everything here may be reached by the learner's code, so nothing here decides a grade.
"""
