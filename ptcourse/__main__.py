"""``python -m ptcourse``: the same command line as the ``ptcourse`` script (``ptcourse.cli``)."""

from ptcourse.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
