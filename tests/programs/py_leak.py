# A Python service that keeps every request's id, a small str, for ever
# (remember_request). Prints its PYTHONMALLOC first. Runs until killed.
# An optional argument is the pause in seconds after each 2000 requests
# (default 0.002; 0 leaks as fast as the interpreter can).
import os
import sys
import time

kept = []


def remember_request(i):
    kept.append("request-%08d-%s" % (i, "x" * 40))


def main():
    print("PYTHONMALLOC=%s" % os.environ.get("PYTHONMALLOC", "(unset)"), file=sys.stderr, flush=True)
    pause = float(sys.argv[1]) if len(sys.argv) > 1 else 0.002
    i = 0
    while True:
        for _ in range(2000):
            remember_request(i)
            i += 1
        if pause > 0:
            time.sleep(pause)


main()
