"""The app server's own code: the class store, join codes and keys, and the class board."""
