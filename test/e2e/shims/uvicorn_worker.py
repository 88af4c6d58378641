"""Stands in for the uvicorn-worker package, which Debian does not ship: the same import name, mapped to
Debian's uvicorn (0.17), whose uvicorn.workers.UvicornWorker is the class that package grew out of."""
from uvicorn.workers import UvicornWorker  # noqa: F401
