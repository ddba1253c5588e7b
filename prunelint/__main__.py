import sys

try:
    from prunelint.frontends.cli import console
except KeyboardInterrupt:  # Ctrl-C while starting: the same message as during a run
    sys.stderr.write("error: interrupted\n")
    sys.exit(130)

sys.exit(console())
