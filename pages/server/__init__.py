"""The app server's own code: the teacher's limits, the server-wide training queue, the
background jobs that train while a page polls them, and how training threads share the CPU.
The engine knows nothing of it."""
