"""The app server's own code: the teacher's limits, the server-wide training queue, the
background jobs that train while a page polls them, how training threads share the CPU, and the
teacher's class (its store, join codes and keys, and the class board). The engine knows nothing
of it."""
